/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Longest-prefix match for one address family.
 *
 * Built once per snapshot: the (nested or disjoint) prefixes are flattened
 * into a sorted array of intervals, each carrying its start and the value of
 * the longest prefix covering it. A lookup finds the last interval starting
 * at or before the address.
 *
 * The search is narrowed by an index over the keys between the first and
 * the last interval start (not the whole address space: IPv6 maps live in
 * 2000::/3, so the top bits carry nothing), with about one bucket per
 * interval. A bucket whose keys all fall in one interval answers from the
 * index entry alone; otherwise the bucket's adjacent interval records (one
 * to four cache lines: IPv6's nested prefixes cluster) are all asked for at
 * once, then scanned. Start and value sit side by side, so a lookup is one
 * miss, or two dependent ones (index entry, then records) whatever the
 * number of prefixes; independent lookups overlap theirs.
 */
#ifndef ALTOD_LPM_H
#define ALTOD_LPM_H

#include <stddef.h>
#include <stdint.h>

#include "util/ip.h"

#define LPM_NONE UINT32_MAX

typedef unsigned __int128 lpm_key;

struct lpm_entry {
	struct ip_prefix prefix;
	uint32_t value;
};

struct lpm_rec4 {
	uint32_t start;
	uint32_t value;
};

struct lpm_rec6 {
	uint32_t start[4]; /* interval start: its high, then low 64 bits, each in native order */
	uint32_t value;
};

/* One index bucket: the last interval starting at or before the bucket's
 * first key; `single` when that interval covers the whole bucket (then
 * `value` is its value and no interval record is read). */
struct lpm_bucket {
	uint32_t first;
	uint32_t value; /* LPM_BUCKET_MIXED unless the bucket is single */
};
#define LPM_BUCKET_MIXED (UINT32_MAX - 1)

struct lpm {
	lpm_key base;          /* the first key indexed: start of interval 1 */
	struct lpm_rec4 *rec4; /* family == IP_V4 */
	struct lpm_rec6 *rec6; /* family == IP_V6 */
	struct lpm_bucket *index;
	size_t n;        /* intervals; interval 0 starts at key 0 */
	size_t nbuckets; /* a power of two; index has nbuckets + 1 entries */
	enum ip_family family;
	unsigned shift; /* bucket = (key - base) >> shift */
};

/* Entries of other families are skipped. Returns 0 or ALTOD_ENOMEM. */
int lpm_build(struct lpm *lpm, enum ip_family family, const struct lpm_entry *entries, size_t n);
void lpm_free(struct lpm *lpm);
uint32_t lpm_lookup(const struct lpm *lpm, const uint8_t addr[16]);
size_t lpm_memory(const struct lpm *lpm);

/* Interval i's start and value (tests and benchmarks). */
lpm_key lpm_start(const struct lpm *lpm, size_t i);
uint32_t lpm_value(const struct lpm *lpm, size_t i);
/* The key the index and lookups use for an address of lpm's family. */
lpm_key lpm_key_of(const struct lpm *lpm, const uint8_t addr[16]);
/* The bucket a key falls in, or SIZE_MAX when it is outside the index
 * (before the base: interval 0; past the last bucket: interval n - 1). */
size_t lpm_bucket_of(const struct lpm *lpm, lpm_key k);

/* How the tables are allocated: 2 MiB and more in their own 2 MiB-aligned
 * mapping with transparent huge pages asked for (madvise), smaller ones with
 * malloc. Exported so that the benchmark's memory-latency reference gets the
 * same page treatment as the tables it is compared with. */
void *lpm_table_alloc(size_t size);
void lpm_table_free(void *p, size_t size);

#endif
