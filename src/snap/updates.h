/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The versions of the GET resources (network maps and cost maps, base maps
 * and views alike) and the patches between consecutive versions, for
 * incremental updates (TIPS, RFC 9569; SSE, RFC 8895).
 *
 * A history lives in the immutable snapshot it was built for
 * (snapshot->updates), so a request reads one consistent (snapshot,
 * history) pair with slot_acquire and no lock. A reload builds the new
 * snapshot's history from the serving one's (updates_build): a resource
 * whose body is byte for byte the same keeps its versions (blobs are
 * shared, refcounted, never copied); one whose body changed gets one more
 * version with its patches, computed once, here; the oldest are dropped
 * beyond the limits.
 *
 * Keyed by resource id: a view's resources have their own ids and their own
 * rendered content, so a change a view does not show makes no version of
 * it (a tenant cannot learn that hidden parts changed).
 *
 * Tags (upd_version.tag): for a network map its RFC 7285 vtag
 * (topo_netmap.vtag, 64 hex); for a cost map, which has no vtag of its own,
 * the strong ETag of its body without the quotes (20 hex). Either way a
 * hash of the content alone: the same maps give the same tag on every
 * replica (the numbering and the epoch do not agree across processes; a
 * client carries its tag from one to the other).
 */
#ifndef ALTOD_SNAP_UPDATES_H
#define ALTOD_SNAP_UPDATES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "alto/catalog.h"
#include "topo/topo.h"

struct snapshot;

/* Immutable once built; shared between consecutive histories. */
struct upd_blob {
	atomic_uint refs;
	size_t len;
	char data[]; /* len bytes + '\0' */
};
struct upd_blob *upd_blob_ref(struct upd_blob *b);
void upd_blob_unref(struct upd_blob *b); /* NULL: nothing */

struct upd_version {
	uint64_t seq;
	char tag[VTAG_LEN + 1];     /* the version's tag (see above) */
	struct upd_blob *merge;     /* RFC 7396 merge patch from seq-1 to seq; NULL for the oldest kept */
	struct upd_blob *jsonpatch; /* RFC 6902 JSON patch from seq-1 to seq (cost maps); NULL if none */
	uint64_t gen;               /* the build (0 at start, +1 per reload) that made it: eviction order */
};

struct upd_resource {
	char *id;               /* resource id */
	enum res_kind kind;     /* RES_NETWORKMAP or RES_COSTMAP */
	const char *media_type; /* the resource's own media type (static string) */
	/* 16 hex: names this process's numbering of the resource (RFC 9569
	 * view URIs and SSE substreams are bound to it). A hash of a random
	 * salt drawn once per process, of the build (updates.gen) this history
	 * started at, of the resource id and of the tag of its first version
	 * (updates_internal.h). The same content in the same process at the
	 * same build gives the same epoch; another process (a restart, another
	 * replica), or a history that starts over later in this one (a
	 * resource gone and back), never gets an epoch it did not number, so a
	 * client holding another numbering's seq is never given a patch of
	 * this one: its view is unknown here (404) and it opens again with its
	 * tag. */
	char epoch[17];
	struct upd_version *v; /* oldest first; v[nv-1] is the current version (the serving body) */
	size_t nv;
};

struct updates {
	struct upd_resource *res; /* sorted by id (strcmp) */
	size_t n;
	size_t bytes;         /* the patches' bytes held (SIGUSR1 statistics) */
	size_t versions;      /* versions held over all resources */
	uint64_t gen;         /* builds since start (0: the start) */
	double build_seconds; /* time updates_build took (reload statistics, benchmarks) */
	double patch_seconds; /* of which computing patches */
	/* this build's new versions (reload log line, benchmarks) */
	size_t changed;         /* resources with a new version since the previous build */
	size_t new_merge_bytes; /* their merge patches' bytes */
	size_t new_jp_bytes;    /* their JSON patches' bytes */
	size_t new_jp_bodies;   /* the bodies of those that have a JSON patch (cost maps) */
	size_t new_body_bytes;  /* their new bodies' bytes (what a client would fetch instead) */
};

struct updates_limits {
	unsigned max_versions; /* per resource, the current one included (>= 1) */
	size_t max_bytes;      /* of patches over all resources */
};

/* Builds next->updates from prev's history (prev NULL: at start, every
 * resource at seq 1). prev stays untouched (it may be serving). 0, or
 * ALTOD_ENOMEM (next->updates stays NULL). */
int updates_build(const struct snapshot *prev, struct snapshot *next, const struct updates_limits *l);
void updates_free(struct updates *u); /* called by snapshot free */

const struct upd_resource *updates_find(const struct updates *u, const char *resource_id);
/* The version with this seq, or with this tag (NULL: not kept). */
const struct upd_version *upd_version_seq(const struct upd_resource *r, uint64_t seq);
const struct upd_version *upd_version_tag(const struct upd_resource *r, const char *tag);

#endif
