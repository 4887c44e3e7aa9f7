/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer: Accept, Content-Type, Accept-Encoding and If-None-Match
 * values, endpoint addresses, prefixes and constraints, and the user an
 * Authorization header claims. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "altod/alto.h"
#include "altod/auth.h"
#include "altod/clients.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)media_accepts(s, MT_NETWORKMAP);
	(void)media_is(s, MT_COSTMAPFILTER);
	(void)media_accepts_gzip(s);
	(void)etag_list_matches(s, "\"0123456789abcdef0123\"");
	struct ip_prefix p;
	const char *why;
	uint8_t addr[16];
	enum ip_family f;
	struct constraint c;
	(void)ip_prefix_parse(s, IP_V4, &p, &why);
	(void)ip_prefix_parse(s, IP_V6, &p, &why);
	(void)ip_endpoint_parse(s, &f, addr);
	(void)constraint_parse(s, &c);
	(void)alto_name_valid(s);
	bool hib;
	(void)alto_metric_valid(s, &hib, &why);
	char user[AUTH_USER_MAX], tiny[3];
	if (auth_claimed_user(s, user, sizeof(user)) && strlen(user) >= sizeof(user))
		abort();
	if (auth_claimed_user(s, tiny, sizeof(tiny)) && strlen(tiny) >= sizeof(tiny))
		abort();
	free(s);
	return 0;
}
