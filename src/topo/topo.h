/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The topology model: network maps (PIDs, prefixes, longest-prefix match)
 * and their cost maps, loaded from the maps files. Immutable once built;
 * the server wraps it in a reference-counted snapshot.
 */
#ifndef ALTOD_TOPO_H
#define ALTOD_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/vocab.h"
#include "util/diag.h"
#include "util/ip.h"
#include "topo/lpm.h"

struct topo_props;

#define TOPO_NONE UINT32_MAX
#define VTAG_LEN 64 /* hex SHA-256; RFC 7285 §10.3 allows up to 64 */

struct topo_pid {
	char *name;
	struct ip_prefix *prefixes; /* sorted: IPv4 first, then IPv6 */
	uint32_t nprefixes;
	uint32_t nv4; /* the first nv4 prefixes are IPv4 */
};

/* One cost metric over a network map's PIDs, sparse (CSR): the costs from
 * PID s are val[row[s] .. row[s+1]-1] towards col[...], sorted by col. */
struct topo_metric {
	char *name;
	bool higher_is_better;
	uint32_t *row; /* npids + 1 */
	uint32_t *col;
	double *val;
	uint32_t *rank; /* ordinal cost per entry: 1 = best, equal costs share a rank */
	size_t nentries;
	/* The decimal text of every distinct cost (jw_num's), rendered once
	 * with the metric (topo_metric_texts) so that answers copy it: ranks
	 * are dense, one per distinct value, so entry e's text is
	 * vtext[voff[rank[e] - 1] .. voff[rank[e]]). NULL: not rendered. */
	char *vtext;
	size_t *voff;  /* one per distinct cost, + 1 */
	uint8_t modes; /* bit (1 << cost_mode) set for each mode offered */
	/* RFC 9439 §2.1 cost-context: its cost-source (COST_SOURCE_NONE: no
	 * cost-context) and its "parameters" as JSON text (NULL: none) */
	uint8_t source;
	char *params;
};

#define COST_MODES_ALL ((uint8_t)((1u << COST_NUMERICAL) | (1u << COST_ORDINAL)))

struct topo_netmap {
	struct lpm lpm[2]; /* [0] IPv4, [1] IPv6 -> PID index */
	char *id;
	char *def_file; /* where it is defined, for messages */
	uint32_t def_line, def_col;
	uint32_t order; /* position of definition across all files */
	bool is_default;
	struct topo_pid *pids; /* sorted by name (strcmp) */
	uint32_t npids;
	size_t nprefixes;
	char vtag[VTAG_LEN + 1];
	struct topo_metric *metrics; /* sorted by name */
	uint32_t nmetrics;
	struct topo_props *props; /* RFC 9240 entity properties (topo/props.h); NULL: none */
	/* Each PID's name as a JSON string, quotes included, rendered once
	 * with the map (topo_netmap_quote_names): PID i's is
	 * qnames[qoff[i] .. qoff[i + 1]). NULL: not rendered. */
	char *qnames;
	size_t *qoff; /* npids + 1 */
};

struct topo {
	struct topo_netmap *netmaps; /* sorted by id */
	uint32_t nnetmaps;
	uint32_t default_map; /* index of the default network map; TOPO_NONE if none */
};

void topo_free(struct topo *t);

const struct topo_netmap *topo_netmap_find(const struct topo *t, const char *id);
uint32_t topo_pid_find(const struct topo_netmap *nm, const char *name);
const struct topo_metric *topo_metric_find(const struct topo_netmap *nm, const char *name);
/* PID index of an address, or TOPO_NONE. */
uint32_t topo_lookup(const struct topo_netmap *nm, enum ip_family family, const uint8_t addr[16]);
/* The cost from src to dst: entry index into val/rank, or TOPO_NONE. */
uint32_t topo_cost_find(const struct topo_metric *m, uint32_t src, uint32_t dst);
/* Dense ordinal ranks of n costs (1 = best). 0, or ALTOD_ENOMEM. */
int topo_rank(const double *vals, size_t n, bool higher_is_better, uint32_t *ranks);
/* Ordinal costs among some pairs of one metric (RFC 7285 §6.1.2.2: 1 for
 * the best, equal costs share a rank, dense), in place: r[j] is pair j's
 * rank in the whole metric (m->rank[e]), 0 where the pair has no cost
 * (left 0); each becomes its dense rank among the nonzero ones. The same
 * ranks as topo_rank over the pairs' values. 0, or ALTOD_ENOMEM. */
int topo_rerank(uint32_t *r, size_t n);
/* Renders the JSON string of each PID name of nm (after its PIDs are
 * final): 0, or ALTOD_ENOMEM. */
int topo_netmap_quote_names(struct topo_netmap *nm);
/* Renders the text of each distinct cost of m (after its ranks): 0, or
 * ALTOD_ENOMEM. */
int topo_metric_texts(struct topo_metric *m);
/* The decimal text of entry e's cost, and its length. */
static inline const char *topo_cost_text(const struct topo_metric *m, uint32_t e, size_t *len)
{
	uint32_t r = m->rank[e];
	*len = m->voff[r] - m->voff[r - 1];
	return m->vtext + m->voff[r - 1];
}
/* Frees what one metric / one network map holds (not the struct itself). */
void topo_metric_clear(struct topo_metric *m);
void topo_netmap_clear(struct topo_netmap *nm);

#endif
