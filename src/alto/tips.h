/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The protocol parts of the Transport Information Publication Service
 * (TIPS, RFC 9569) that need no server state: its media types, the open
 * request (§6.1) and the next-edge request (§7.4), the updates graph
 * summary (§6.2), the URIs of a TIPS view (§4.2), which edges of an
 * updates graph altod serves (§7) and the edge it recommends.
 *
 * altod's updates graph of a resource, per TIPS view: versions start-seq
 * .. end-seq (the history the snapshot keeps, snap/updates.h), the
 * mandatory incremental edges i -> i+1 between them, and one snapshot
 * edge 0 -> end-seq (the serving body; older full bodies are not kept).
 */
#ifndef ALTOD_ALTO_TIPS_H
#define ALTOD_ALTO_TIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alto/errbody.h"

#define MT_TIPS "application/alto-tips+json"
#define MT_TIPSPARAMS "application/alto-tipsparams+json"
#define MT_MERGE_PATCH "application/merge-patch+json"
#define MT_JSON_PATCH "application/json-patch+json"

/* The TIPS resource of a catalog: id and URI. A TIPS view's URI is
 * TIPS_URI "/" token; its edges TIPS_URI "/" token "/ug/" i "/" j. */
#define TIPS_ID "tips"
#define TIPS_URI "/tips"
#define TIPS_TOKEN_LEN 32 /* hex characters of a view's token */

/* TIPSReq (RFC 9569 §6.1). Unknown members are ignored (RFC 7285 §8.3.7). */
struct tips_open {
	char *resource_id;
	char *tag; /* NULL: none given */
};

/* 0, or ALTOD_EREQUEST with err set (E_SYNTAX, E_MISSING_FIELD,
 * E_INVALID_FIELD_TYPE: RFC 9569 §6.2's 400s), or ALTOD_ENOMEM. */
int tips_parse_open(const char *body, size_t len, struct tips_open *out, struct alto_error *err);
void tips_open_clear(struct tips_open *o);
/* TIPSNextEdgeReq (§7.4): { [JSONString tag;] }. *tag NULL: none given. */
int tips_parse_next_edge(const char *body, size_t len, char **tag, struct alto_error *err);

struct tips_summary {
	uint64_t start_seq, end_seq; /* the versions of the updates graph */
	uint64_t rec_i, rec_j;       /* start-edge-rec */
};

/* The edge to consume first (§6.2): have is the seq of the client's
 * version (0: none, or not kept). patch_len[k] is the size of the smallest
 * patch of edge have+k -> have+k+1 (k < end - have); full_len the size of
 * the full body. From the client's version when the patches up to
 * end-seq are smaller than the full body; the next edge (a long poll)
 * when it has the current version; else the snapshot 0 -> end-seq. */
void tips_recommend(struct tips_summary *s, uint64_t have, const size_t *patch_len, size_t full_len);

/* AddTIPSResponse (§6.2) and UpdatesGraphSummary (§7.4), malloc'd. */
char *tips_render_open(const char *view_uri, const struct tips_summary *s, size_t *len);
char *tips_render_summary(const struct tips_summary *s, size_t *len);

/* The paths under TIPS_URI "/". */
enum tips_path {
	TIPS_PATH_NONE,    /* not under TIPS_URI "/" */
	TIPS_PATH_VIEW,    /* /tips/<token> */
	TIPS_PATH_GRAPH,   /* /tips/<token>/ug: next-edge requests (POST) */
	TIPS_PATH_EDGE,    /* /tips/<token>/ug/<i>/<j> */
	TIPS_PATH_UNKNOWN, /* under a view, but no resource of it */
	TIPS_PATH_BAD,     /* under TIPS_URI "/", no token */
};
/* Splits a path; token gets TIPS_TOKEN_LEN + 1 bytes (lowercase hex).
 * Sequence numbers are canonical decimals (no sign, no leading zero)
 * below 2^53 (JSON numbers that every client reads exactly). */
enum tips_path tips_parse_path(const char *path, char token[TIPS_TOKEN_LEN + 1], uint64_t *i, uint64_t *j);

/* What an edge i -> j of a graph start..end is. */
enum tips_edge {
	TIPS_EDGE_FULL,      /* 0 -> end: the full resource */
	TIPS_EDGE_PATCH,     /* i -> i+1, start <= i < end */
	TIPS_EDGE_WAIT,      /* end -> end+1 or 0 -> end+1: long poll (§7.2) */
	TIPS_EDGE_GONE,      /* from or to a version before start-seq: 410 */
	TIPS_EDGE_TOO_EARLY, /* j beyond the long-poll window end+1: 425 */
	TIPS_EDGE_NONE,      /* not in the graph: 404 */
};
enum tips_edge tips_classify(uint64_t start, uint64_t end, uint64_t i, uint64_t j);

/* The error bodies of TIPS (application/alto-error+json, RFC 7285
 * §8.5.2), static: an unknown, closed or foreign view (404, always the
 * same bytes), an edge not in the graph (404), gone (410), too early
 * (425), not acceptable in any media type the edge has (415), and too
 * many views (429). */
extern const char tips_err_no_view[], tips_err_no_edge[], tips_err_gone[], tips_err_too_early[], tips_err_media[],
        tips_err_too_many[];

#endif
