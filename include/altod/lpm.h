/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Longest-prefix match for one address family.
 *
 * Built once per snapshot: the (nested or disjoint) prefixes are flattened
 * into a sorted array of interval starts, each carrying the value of the
 * longest prefix covering it. A lookup is a binary search for the last start
 * <= the address, narrowed first by a 2^16-entry index on the top 16 bits,
 * so it touches a handful of cache lines whatever the number of prefixes.
 */
#ifndef ALTOD_LPM_H
#define ALTOD_LPM_H

#include <stddef.h>
#include <stdint.h>

#include "altod/ip.h"

#define LPM_NONE UINT32_MAX
#define LPM_INDEX_BITS 16

struct lpm_entry {
	struct ip_prefix prefix;
	uint32_t value;
};

typedef unsigned __int128 lpm_key;

struct lpm {
	enum ip_family family;
	size_t n;         /* intervals */
	uint32_t *start4; /* IPv4 interval starts (family == IP_V4) */
	lpm_key *start6;  /* IPv6 interval starts (family == IP_V6) */
	uint32_t *value;  /* value per interval, LPM_NONE for "no prefix" */
	uint32_t *index;  /* (1 << LPM_INDEX_BITS) + 1 entries */
};

/* Entries of other families are skipped. Returns 0 or ALTOD_ENOMEM. */
int lpm_build(struct lpm *lpm, enum ip_family family, const struct lpm_entry *entries, size_t n);
void lpm_free(struct lpm *lpm);
uint32_t lpm_lookup(const struct lpm *lpm, const uint8_t addr[16]);
size_t lpm_memory(const struct lpm *lpm);

#endif
