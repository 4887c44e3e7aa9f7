/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer: the maps loader, and the catalog built from what it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "topo/load.h"
#include "alto/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	const char *names[] = {"maps.yaml"};
	const char *texts[] = {s};
	struct diag d;
	struct topo *t;
	struct catalog *c;
	diag_init(&d);
	if (topo_load_mem(names, texts, 1, &t, &d) == 0) {
		if (catalog_build_topo(t, &c, &d) == 0)
			catalog_free(c);
		topo_free(t);
	}
	diag_free(&d);
	free(s);
	return 0;
}
