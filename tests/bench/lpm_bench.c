/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Longest-prefix match micro-benchmark (tests/bench, scenario 6): altod's
 * lpm_lookup() on N generated prefixes per family (default 1M), for
 * addresses drawn two ways:
 *
 *   random  an address inside a prefix picked uniformly among all of them
 *   skewed  addresses drawn from the random set by a Zipf law (s = 1.0):
 *           a few hot endpoints asked for very often, a long tail
 *
 * The reference is a plain binary search over the same interval array
 * without altod's index (what the index buys).
 *
 * Timing: lookups run in batches of BATCH independent addresses, each batch
 * timed with CLOCK_MONOTONIC; ns per lookup is reported as the median (p50)
 * and p99 over the batches, and the mean. Before timing, every address set
 * is checked against a naive longest match (a hash table per prefix length):
 * a wrong answer fails the run (exit 1).
 *
 * Prefixes are generated like tests/bench/gen_maps.py: lengths /8../32 (IPv4)
 * and /24../128 inside 2000::/3 (IPv6), ~40% nested in an earlier prefix,
 * no duplicates, host bits zero, plus 0.0.0.0/0 and ::/0 (the catch-all).
 *
 * Output: a readable table on stderr, and one line per measurement on
 * stdout: RESULT {"family":...,"dist":...,"impl":...,"p50_ns":...,...}
 *
 *   bench_lpm [-n PREFIXES] [-l LOOKUPS] [-s SEED]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <getopt.h>

#include "util/ip.h"
#include "topo/lpm.h"

#define BATCH 1024
#define NADDR (1u << 20) /* addresses per set (cycled through) */

/* ---- deterministic random numbers (xorshift64*) ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd64(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static double rnd01(void)
{
	return (double)(rnd64() >> 11) / 9007199254740992.0;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd01() * n);
}

/* ---- prefixes as 128-bit integers ---- */

typedef unsigned __int128 u128;

static u128 addr_key(const uint8_t a[16], unsigned bytes)
{
	u128 k = 0;
	for (unsigned i = 0; i < bytes; i++)
		k = (k << 8) | a[i];
	return k;
}

static void key_addr(u128 k, unsigned bytes, uint8_t a[16])
{
	memset(a, 0, 16);
	for (unsigned i = 0; i < bytes; i++)
		a[bytes - 1 - i] = (uint8_t)(k >> (8 * i));
}

static u128 mask_of(unsigned len, unsigned bits)
{
	if (len == 0)
		return 0;
	u128 all = bits == 128 ? ~(u128)0 : (((u128)1 << bits) - 1);
	return (all << (bits - len)) & all;
}

static u128 rnd_bits(unsigned n)
{
	u128 r = ((u128)rnd64() << 64) | rnd64();
	if (n >= 128)
		return r;
	return r & (((u128)1 << n) - 1);
}

/* ---- a hash set / map of (prefix, length) ---- */

struct hslot {
	u128 key;
	uint8_t len;
	uint8_t used;
	uint32_t value;
};

struct hmap {
	struct hslot *s;
	size_t cap; /* power of two */
};

static uint64_t hash_of(u128 key, uint8_t len)
{
	uint64_t h = (uint64_t)key ^ ((uint64_t)(key >> 64) * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)len << 56);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static void hmap_init(struct hmap *m, size_t n)
{
	m->cap = 1;
	while (m->cap < 2 * n + 16)
		m->cap <<= 1;
	m->s = calloc(m->cap, sizeof(*m->s));
	if (m->s == NULL) {
		fprintf(stderr, "bench_lpm: out of memory\n");
		exit(2);
	}
}

/* Inserts; returns 0 if the key was already there. */
static int hmap_put(struct hmap *m, u128 key, uint8_t len, uint32_t value)
{
	size_t i = hash_of(key, len) & (m->cap - 1);
	while (m->s[i].used) {
		if (m->s[i].key == key && m->s[i].len == len)
			return 0;
		i = (i + 1) & (m->cap - 1);
	}
	m->s[i] = (struct hslot){key, len, 1, value};
	return 1;
}

static const struct hslot *hmap_get(const struct hmap *m, u128 key, uint8_t len)
{
	size_t i = hash_of(key, len) & (m->cap - 1);
	while (m->s[i].used) {
		if (m->s[i].key == key && m->s[i].len == len)
			return &m->s[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

/* ---- generation ---- */

struct gen {
	unsigned bits; /* 32 or 128 */
	size_t n;
	u128 *net;
	uint8_t *len;
	struct lpm_entry *entries;
	struct hmap set; /* (net, len) -> value: the naive reference */
	uint8_t has_len[129];
};

static unsigned v4_length(void)
{
	double r = rnd01();
	if (r < 0.05)
		return 8 + rnd_below(8);
	if (r < 0.85)
		return 16 + rnd_below(9);
	return 25 + rnd_below(8);
}

static unsigned v6_length(void)
{
	static const unsigned lens[] = {24, 29, 32, 32, 36, 40, 44, 48, 48, 48, 52, 56, 56, 64, 64, 64, 96, 112, 128};
	return lens[rnd_below(sizeof(lens) / sizeof(lens[0]))];
}

static void gen_prefixes(struct gen *g, enum ip_family fam, size_t n)
{
	unsigned bits = fam == IP_V4 ? 32 : 128;
	unsigned maxstep = fam == IP_V4 ? 8 : 16;
	g->bits = bits;
	g->n = 0;
	g->net = malloc(n * sizeof(*g->net));
	g->len = malloc(n * sizeof(*g->len));
	g->entries = malloc(n * sizeof(*g->entries));
	if (!g->net || !g->len || !g->entries) {
		fprintf(stderr, "bench_lpm: out of memory\n");
		exit(2);
	}
	memset(g->has_len, 0, sizeof(g->has_len));
	hmap_init(&g->set, n);
	/* the catch-all */
	g->net[0] = 0;
	g->len[0] = 0;
	hmap_put(&g->set, 0, 0, 0);
	g->has_len[0] = 1;
	g->n = 1;
	while (g->n < n) {
		u128 net;
		unsigned len;
		if (g->n > 1 && rnd01() < 0.4) {
			size_t p = 1 + rnd_below((uint32_t)(g->n - 1));
			unsigned plen = g->len[p];
			if (plen >= bits)
				continue;
			unsigned top = plen + maxstep < bits ? plen + maxstep : bits;
			len = plen + 1 + rnd_below(top - plen);
			net = g->net[p] | (rnd_bits(len - plen) << (bits - len));
		} else if (fam == IP_V4) {
			len = v4_length();
			net = rnd_bits(32) & mask_of(len, 32);
		} else {
			len = v6_length();
			net = (((u128)1 << 125) | rnd_bits(125)) & mask_of(len, 128);
		}
		uint32_t value = 1 + rnd_below(9999); /* a PID index */
		if (!hmap_put(&g->set, net, (uint8_t)len, value))
			continue;
		g->net[g->n] = net;
		g->len[g->n] = (uint8_t)len;
		g->has_len[len] = 1;
		g->n++;
	}
	for (size_t i = 0; i < g->n; i++) {
		struct lpm_entry *e = &g->entries[i];
		memset(e, 0, sizeof(*e));
		e->prefix.family = (uint8_t)fam;
		e->prefix.len = g->len[i];
		key_addr(g->net[i], bits / 8, e->prefix.addr);
		e->value = hmap_get(&g->set, g->net[i], g->len[i])->value;
	}
}

static uint32_t naive_lookup(const struct gen *g, const uint8_t addr[16])
{
	u128 k = addr_key(addr, g->bits / 8);
	for (int len = (int)g->bits; len >= 0; len--) {
		if (!g->has_len[len])
			continue;
		const struct hslot *s = hmap_get(&g->set, k & mask_of((unsigned)len, g->bits), (uint8_t)len);
		if (s)
			return s->value;
	}
	return LPM_NONE;
}

/* ---- address sets ---- */

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (p == NULL) {
		fprintf(stderr, "bench_lpm: out of memory\n");
		exit(2);
	}
	return p;
}

/* NADDR addresses, each inside a prefix picked uniformly. */
static uint8_t (*random_addrs(const struct gen *g))[16]
{
	uint8_t(*a)[16] = xmalloc(NADDR * sizeof(*a));
	for (size_t i = 0; i < NADDR; i++) {
		size_t p = rnd_below((uint32_t)g->n);
		unsigned host = g->bits - g->len[p];
		u128 addr = g->net[p] | (host ? rnd_bits(host) : 0);
		key_addr(addr, g->bits / 8, a[i]);
	}
	return a;
}

/* NADDR draws from the pool by a Zipf law (s = 1.0) over its entries:
 * a few addresses are asked for very often, most rarely. */
static uint8_t (*skewed_addrs(uint8_t (*pool)[16]))[16]
{
	uint8_t(*a)[16] = xmalloc(NADDR * sizeof(*a));
	double *cdf = xmalloc(NADDR * sizeof(*cdf));
	double sum = 0;
	for (size_t r = 0; r < NADDR; r++) {
		sum += 1.0 / (double)(r + 1);
		cdf[r] = sum;
	}
	for (size_t i = 0; i < NADDR; i++) {
		double u = rnd01() * sum;
		size_t lo = 0, hi = NADDR - 1;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		memcpy(a[i], pool[lo], 16);
	}
	free(cdf);
	return a;
}

/* ---- the reference: binary search over the whole interval array ---- */

static uint32_t bsearch_lookup(const struct lpm *lpm, const uint8_t addr[16])
{
	size_t lo = 0, hi = lpm->n - 1;
	if (lpm->family == IP_V4) {
		uint32_t k = (uint32_t)addr_key(addr, 4);
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;
			if (lpm->rec4[mid].start <= k)
				lo = mid;
			else
				hi = mid - 1;
		}
		return lpm->rec4[lo].value;
	}
	lpm_key k = addr_key(addr, 16);
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (lpm_start(lpm, mid) <= k)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lpm->rec6[lo].value;
}

/* How well the index narrows the search: the span (interval records to
 * scan) of the bucket each address falls in, on average over the addresses
 * (0 when the bucket answers alone), and the largest span of any bucket. */
struct spans {
	double mean;
	size_t max;
	size_t used; /* buckets that answer alone */
};

static size_t bucket_span(const struct lpm *lpm, size_t b)
{
	if (b == SIZE_MAX || lpm->index[b].value != LPM_BUCKET_MIXED)
		return 0;
	return lpm->index[b + 1].first - lpm->index[b].first + 1;
}

static struct spans index_spans(const struct lpm *lpm, uint8_t (*addrs)[16])
{
	struct spans sp = {0, 0, 0};
	for (size_t b = 0; b < lpm->nbuckets; b++) {
		size_t span = bucket_span(lpm, b);
		if (span > sp.max)
			sp.max = span;
		if (span == 0)
			sp.used++;
	}
	double sum = 0;
	for (size_t i = 0; i < NADDR; i++)
		sum += (double)bucket_span(lpm, lpm_bucket_of(lpm, lpm_key_of(lpm, addrs[i])));
	sp.mean = sum / NADDR;
	return sp;
}

/* ---- timing ---- */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static volatile uint32_t sink;

struct timing {
	double p50, p99, mean;
};

/* Times `lookups` lookups (after a warm-up pass when `warm`). */
static struct timing run(const struct lpm *lpm, uint8_t (*addrs)[16], size_t lookups, int reference, int warm)
{
	size_t nbatch = lookups / BATCH;
	double *per = xmalloc(nbatch * sizeof(*per));
	double total = 0;
	uint32_t acc = 0;
	if (warm)
		for (size_t i = 0; i < NADDR; i++)
			acc += reference ? bsearch_lookup(lpm, addrs[i]) : lpm_lookup(lpm, addrs[i]);
	static size_t pos; /* successive runs go on through the addresses */
	for (size_t b = 0; b < nbatch; b++) {
		double t0 = now_ns();
		if (reference)
			for (size_t i = 0; i < BATCH; i++)
				acc += bsearch_lookup(lpm, addrs[pos + i]);
		else
			for (size_t i = 0; i < BATCH; i++)
				acc += lpm_lookup(lpm, addrs[pos + i]);
		double t1 = now_ns();
		per[b] = (t1 - t0) / BATCH;
		total += t1 - t0;
		pos = (pos + BATCH) % NADDR;
	}
	sink = acc;
	qsort(per, nbatch, sizeof(*per), dbl_cmp);
	struct timing t = {per[nbatch / 2], per[(size_t)((double)nbatch * 0.99)], total / (double)(nbatch * BATCH)};
	free(per);
	return t;
}

/* ---- the physical limit: one dependent miss to memory ----
 *
 * A table of exactly the LPM tables' byte size (lpm_memory), allocated like
 * them (lpm_table_alloc: its own mapping with transparent huge pages asked
 * for, so that the TLB behaves the same), holding a random cyclic
 * permutation of its 64-byte lines (Sattolo's algorithm: one cycle through
 * every line). Each load reads the index of the next line from the line
 * the previous load returned, so no two loads overlap: ns per load is the
 * latency of one random access to a table of that size, the floor for a
 * lookup that must touch it once at a random place. */
struct chase {
	uint32_t *t;
	size_t bytes, lines;
	uint32_t at;
};

#define LINE_WORDS (64 / sizeof(uint32_t))

static void chase_init(struct chase *c, size_t bytes)
{
	c->bytes = bytes;
	c->lines = bytes / 64;
	if (c->lines < 2) {
		fprintf(stderr, "bench_lpm: table too small for a chase\n");
		exit(2);
	}
	c->t = lpm_table_alloc(bytes);
	uint32_t *next = xmalloc(c->lines * sizeof(*next));
	if (c->t == NULL) {
		fprintf(stderr, "bench_lpm: out of memory\n");
		exit(2);
	}
	memset(c->t, 0, bytes); /* every page faulted in, as lpm_build's writes do */
	for (size_t i = 0; i < c->lines; i++)
		next[i] = (uint32_t)i;
	/* its own random numbers: the prefixes and addresses stay those of
	 * the runs without a chase */
	uint64_t saved = rng_state;
	rng_state = 0xD1B54A32D192ED03ull ^ bytes;
	for (size_t i = c->lines - 1; i > 0; i--) {
		size_t j = rnd_below((uint32_t)i); /* j < i: Sattolo, a single cycle */
		uint32_t x = next[i];
		next[i] = next[j];
		next[j] = x;
	}
	rng_state = saved;
	for (size_t i = 0; i < c->lines; i++)
		c->t[i * LINE_WORDS] = next[i];
	free(next);
	c->at = 0;
}

static void chase_free(struct chase *c)
{
	lpm_table_free(c->t, c->bytes);
}

/* Times `loads` dependent loads (after one warm-up lap when `warm`). */
static struct timing chase_run(struct chase *c, size_t loads, int warm)
{
	size_t nbatch = loads / BATCH;
	double *per = xmalloc(nbatch * sizeof(*per));
	double total = 0;
	const uint32_t *t = c->t;
	uint32_t at = c->at;
	if (warm)
		for (size_t i = 0; i < c->lines; i++)
			at = t[(size_t)at * LINE_WORDS];
	for (size_t b = 0; b < nbatch; b++) {
		double t0 = now_ns();
		for (size_t i = 0; i < BATCH; i++)
			at = t[(size_t)at * LINE_WORDS];
		double t1 = now_ns();
		per[b] = (t1 - t0) / BATCH;
		total += t1 - t0;
	}
	c->at = at;
	sink = at;
	qsort(per, nbatch, sizeof(*per), dbl_cmp);
	struct timing tm = {per[nbatch / 2], per[(size_t)((double)nbatch * 0.99)], total / (double)(nbatch * BATCH)};
	free(per);
	return tm;
}

/* The median of each field over reps repetitions. */
static struct timing median_of(struct timing *t, int reps)
{
	double v[3][64];
	for (int i = 0; i < reps; i++) {
		v[0][i] = t[i].p50;
		v[1][i] = t[i].p99;
		v[2][i] = t[i].mean;
	}
	for (int k = 0; k < 3; k++)
		qsort(v[k], (size_t)reps, sizeof(double), dbl_cmp);
	struct timing m = {v[0][reps / 2], v[1][reps / 2], v[2][reps / 2]};
	if (reps % 2 == 0)
		m = (struct timing){(v[0][reps / 2 - 1] + v[0][reps / 2]) / 2,
		                    (v[1][reps / 2 - 1] + v[1][reps / 2]) / 2,
		                    (v[2][reps / 2 - 1] + v[2][reps / 2]) / 2};
	return m;
}

static int check(const struct gen *g, const struct lpm *lpm, uint8_t (*addrs)[16], size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t want = naive_lookup(g, addrs[i]);
		uint32_t got = lpm_lookup(lpm, addrs[i]);
		uint32_t ref = bsearch_lookup(lpm, addrs[i]);
		if (got != want || ref != want) {
			char s[64];
			struct ip_prefix p = {.family = (uint8_t)(g->bits == 32 ? IP_V4 : IP_V6),
			                      .len = (uint8_t)g->bits};
			memcpy(p.addr, addrs[i], 16);
			ip_prefix_format(&p, s);
			fprintf(stderr,
			        "bench_lpm: WRONG ANSWER for %s (%s): lpm_lookup %u, binary search %u, naive %u\n", s,
			        what, got, ref, want);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t nprefixes = 1000000, lookups = 8u << 20;
	int reps = 5, opt;
	while ((opt = getopt(argc, argv, "n:l:r:s:")) != -1) {
		switch (opt) {
		case 'n': nprefixes = strtoull(optarg, NULL, 10); break;
		case 'l': lookups = strtoull(optarg, NULL, 10); break;
		case 'r': reps = atoi(optarg); break;
		case 's': rng_state ^= strtoull(optarg, NULL, 10) * 0x9E3779B97F4A7C15ull; break;
		default:
			fprintf(stderr, "usage: bench_lpm [-n PREFIXES] [-l LOOKUPS] [-r REPETITIONS] [-s SEED]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > 64 || nprefixes < 2 || lookups / (size_t)reps < BATCH) {
		fprintf(stderr, "bench_lpm: need at least 2 prefixes, 1 to 64 repetitions and %d lookups each\n",
		        BATCH);
		return 2;
	}
	size_t per_rep = lookups / (size_t)reps;
	int failed = 0;
	fprintf(stderr, "%-6s %-8s %-14s %10s %10s %10s %12s %10s %12s %10s\n", "family", "dist", "impl", "p50 ns",
	        "p99 ns", "mean ns", "intervals", "B/prefix", "index span", "p50/miss");
	for (int f = 0; f < 2; f++) {
		enum ip_family fam = f == 0 ? IP_V4 : IP_V6;
		struct gen g;
		gen_prefixes(&g, fam, nprefixes);
		struct lpm lpm;
		double t0 = now_ns();
		if (lpm_build(&lpm, fam, g.entries, g.n) != 0) {
			fprintf(stderr, "bench_lpm: lpm_build failed\n");
			return 2;
		}
		double build_s = (now_ns() - t0) / 1e9;
		double bpp = (double)lpm_memory(&lpm) / (double)g.n;
		struct chase chase;
		chase_init(&chase, lpm_memory(&lpm));
		uint8_t(*pool)[16] = random_addrs(&g);
		for (int skewed = 0; skewed < 2; skewed++) {
			uint8_t(*addrs)[16] = skewed ? skewed_addrs(pool) : pool;
			const char *dist = skewed ? "skewed" : "random";
			/* also uniform addresses over the family's space, for the check */
			uint8_t(*uni)[16] = xmalloc(65536 * sizeof(*uni));
			for (size_t i = 0; i < 65536; i++)
				key_addr(f == 0 ? rnd_bits(32) : (((u128)1 << 125) | rnd_bits(125)), g.bits / 8,
				         uni[i]);
			if (check(&g, &lpm, addrs, 200000, dist) != 0 || check(&g, &lpm, uni, 65536, "uniform") != 0)
				failed = 1;
			free(uni);
			struct spans sp = index_spans(&lpm, addrs);
			/* interleaved (chase, altod, binary search, chase, altod, ...)
			 * so that the three see the same state of a shared machine;
			 * the medians over the repetitions are reported */
			struct timing tc[64], ta[64], tb[64];
			(void)chase_run(&chase, BATCH, 1);
			(void)run(&lpm, addrs, BATCH, 0, 1);
			(void)run(&lpm, addrs, BATCH, 1, 1);
			for (int r = 0; r < reps; r++) {
				tc[r] = chase_run(&chase, per_rep, 0);
				ta[r] = run(&lpm, addrs, per_rep, 0, 0);
				tb[r] = run(&lpm, addrs, per_rep, 1, 0);
			}
			struct timing t[3] = {median_of(ta, reps), median_of(tb, reps), median_of(tc, reps)};
			static const char *const impls[3] = {"altod", "binary-search", "chase"};
			double miss = t[2].p50;
			for (int k = 0; k < 3; k++) {
				fprintf(stderr, "%-6s %-8s %-14s %10.1f %10.1f %10.1f %12zu %10.1f %12.1f %9.2fx\n",
				        ip_family_name(fam), dist, impls[k], t[k].p50, t[k].p99, t[k].mean, lpm.n, bpp,
				        sp.mean, t[k].p50 / miss);
				printf("RESULT {\"family\":\"%s\",\"dist\":\"%s\",\"impl\":\"%s\",\"prefixes\":%zu,"
				       "\"intervals\":%zu,\"lookups\":%zu,\"reps\":%d,\"p50_ns\":%.2f,\"p99_ns\":%.2f,"
				       "\"mean_ns\":%.2f,\"miss_p50_ns\":%.2f,\"miss_ratio\":%.3f,\"miss_table_bytes\":"
				       "%zu,"
				       "\"bytes_per_prefix\":%.2f,\"build_s\":%.3f,\"index_buckets_used\":%zu,"
				       "\"index_span_mean\":%.1f,\"index_span_max\":%zu,\"checked\":%s}\n",
				       ip_family_name(fam), dist, impls[k], g.n, lpm.n, per_rep * (size_t)reps, reps,
				       t[k].p50, t[k].p99, t[k].mean, miss, t[k].p50 / miss, chase.bytes, bpp, build_s,
				       sp.used, sp.mean, sp.max, failed ? "false" : "true");
				fflush(stdout);
			}
			if (addrs != pool)
				free(addrs);
		}
		chase_free(&chase);
		free(pool);
		lpm_free(&lpm);
		free(g.net);
		free(g.len);
		free(g.entries);
		free(g.set.s);
	}
	return failed;
}
