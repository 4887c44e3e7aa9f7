/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer: altod.yaml, its access section included; an accepted policy
 * is built into views and catalogs over fixed maps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "topo/load.h"
#include "snap/access.h"
#include "conf/conf.h"

static const char *MAPS = "network-maps:\n"
                          "  m:\n"
                          "    pids:\n"
                          "      PID1: {ipv4: [10.0.0.0/8]}\n"
                          "      PID2: {ipv4: [10.1.0.0/16], ipv6: ['2001:db8::/32']}\n"
                          "      PID3: {ipv4: [0.0.0.0/0], ipv6: ['::/0']}\n"
                          "cost-maps:\n"
                          "  m:\n"
                          "    routingcost: {PID1: {PID1: 1, PID2: 5, PID3: 10}, PID2: {PID1: 5, PID2: 1}}\n";

static struct topo *T;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *names[] = {"maps.yaml"};
	const char *texts[] = {MAPS};
	struct diag d;
	diag_init(&d);
	if (topo_load_mem(names, texts, 1, &T, &d) != 0)
		abort();
	diag_free(&d);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct diag d;
	struct conf *c;
	diag_init(&d);
	if (conf_load_mem("/etc/altod/altod.yaml", s, &c, &d) == 0) {
		if (c->access) {
			struct snapshot_access *a;
			struct policy *p = c->access;
			c->access = NULL;
			if (access_build(p, T, &a, &d) == 0)
				access_free(a);
		}
		conf_free(c);
	}
	diag_free(&d);
	free(s);
	return 0;
}
