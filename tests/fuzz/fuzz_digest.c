/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer: an Authorization value through the Digest tokenizer, the
 * credentials' parser and the verifier (uri match, nonce, response). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *ctx, const char *name, const char *value)
{
	*(size_t *)ctx += strlen(name) + strlen(value);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct digest_state *st;
	static const uint8_t key[DIGEST_KEY_LEN] = "fuzz key fuzz key fuzz key fuzz";
	static const uint8_t ha1[32] = {1, 2, 3};
	if (st == NULL && (st = digest_state_new(64, 0)) == NULL)
		return 0;
	char *s = malloc(size + 1);
	char *buf = malloc(2 * size + 2);
	struct digest_credentials *cr = malloc(sizeof(*cr));
	if (s && buf && cr) {
		memcpy(s, data, size);
		s[size] = '\0';
		size_t n = 0;
		(void)digest_tokenize(s, size, buf, 2 * size + 2, count, &n);
		if (digest_parse(s, cr) == 0) {
			struct digest_check ck = {
			        .method = "GET",
			        .target = "/networkmap/x",
			        .realm = "altod",
			        .key = key,
			        .lifetime = 300,
			        .now_ns = 1000000000,
			        .ha1 = ha1,
			};
			(void)digest_verify(st, cr, &ck);
		}
	}
	free(s);
	free(buf);
	free(cr);
	return 0;
}
