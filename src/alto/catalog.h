/* SPDX-License-Identifier: BSD-2-Clause */
/* The resource catalog: which resources one client may see (RFC 7285 §9),
 * each with its bodies rendered once per snapshot, and routing by URI. */
#ifndef ALTOD_ALTO_CATALOG_H
#define ALTOD_ALTO_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/diag.h"
#include "topo/topo.h"

enum res_kind {
	RES_DIRECTORY,
	RES_NETWORKMAP,
	RES_COSTMAP,
	RES_FILTERED_NETWORKMAP,
	RES_FILTERED_COSTMAP,
	RES_ENDPOINTPROP,
	RES_ENDPOINTCOST,
	RES_TIPS,             /* RFC 9569: the network and cost maps of its catalog */
	RES_UPDATESTREAM,     /* RFC 8895 update stream service (alto/sse.h) */
	RES_PROPMAP,          /* RFC 9240 §7: a network map's entity properties */
	RES_FILTERED_PROPMAP, /* RFC 9240 §8 */
};

struct cost_type {
	const struct topo_metric *metric;
	enum cost_mode mode;
};

struct resource {
	enum res_kind kind;
	char *id;
	char *uri;
	const char *media_type;
	const char *accepts;          /* NULL: GET; else the POST body's media type */
	const struct topo_netmap *nm; /* the network map it is built on (not the IRD, not endpointprop) */
	struct cost_type ct;          /* RES_COSTMAP */
	/* RES_FILTERED_COSTMAP, RES_ENDPOINTCOST: for each metric of nm (by
	 * index), the cost modes this catalog grants (bits of 1 << cost_mode):
	 * the modes of the cost maps of nm it offers. A cost type outside it
	 * is answered as an unknown one. */
	uint8_t *cost_modes;
	char *body; /* GET resources: rendered once per snapshot */
	size_t body_len;
	char *gz; /* the same, gzip-compressed once (NULL: not worth it) */
	size_t gz_len;
	char etag[24]; /* strong ETags of both representations */
	char etag_gz[28];
	bool borrowed; /* bodies belong to another catalog of the snapshot */
};

/* What one client may see: its resources, and the network maps they show. */
struct catalog {
	struct resource *res; /* sorted by uri */
	size_t nres;
	const struct topo_netmap **maps; /* maps whose network map resource is offered */
	size_t nmaps;
	const struct topo_netmap *default_map;
	bool private_; /* answers depend on the client: Cache-Control private */
	/* the directory with absolute URIs: where each URI starts in its
	 * relative body, and its renderings per URI base (catalog_directory) */
	size_t *dir_uri_at;
	size_t ndir_uri_at;
	struct dir_cache *dirs;
};

/* One rendering of the directory for a URI base: bodies and ETags like a
 * resource's; owned (not NULL) when it is not kept, to free after use. */
struct dir_view {
	const char *body, *gz;
	size_t body_len, gz_len;
	const char *etag, *etag_gz;
	char *owned;
	char etag_buf[28];
};
/* How many URI bases a catalog keeps renderings of: from Host (a client
 * chooses it) and from configuration (base-url, one per listener at most). */
#define CATALOG_DIR_HOSTS 16
#define CATALOG_DIR_CONFIGURED 16

struct catalog_spec {
	const struct topo_netmap *const *maps; /* in directory order */
	size_t nmaps;
	const struct topo_netmap *default_map; /* if offered; else the first map offered */
	/* which resource ids are offered; NULL: every one */
	bool (*granted)(void *ctx, const char *id);
	void *ctx;
	const struct catalog *universe; /* bodies already rendered, to share */
	bool private_;
};

/* The most cost types one multi-cost request (RFC 8189) may name in
 * "multi-cost-types" ("testable-cost-types" is bounded by the resource's
 * "cost-type-names" instead: alto/request.c). */
#define ALTO_MAX_COST_TYPES 16

/* The number of cost types a filtered cost map or endpoint cost resource
 * grants: the length of its "cost-type-names". */
size_t resource_cost_type_count(const struct resource *r);
/* RFC 8189 §4.1.1 "max-cost-types" of a filtered cost map or endpoint cost
 * resource: the number of cost types it grants, at most
 * ALTO_MAX_COST_TYPES. */
size_t resource_max_cost_types(const struct resource *r);

int catalog_build(const struct catalog_spec *spec, struct catalog **out, struct diag *diag);
/* Every resource of a topology (no access control). */
int catalog_build_topo(const struct topo *t, struct catalog **out, struct diag *diag);
void catalog_free(struct catalog *c);
const struct resource *catalog_route(const struct catalog *c, const char *uri);

/* The directory with every URI prefixed by base (base_len bytes, nothing
 * to escape in JSON: "http://host:port"; see baseuri.c). Rendered once per
 * base and kept, compressed and with its ETag, for at most
 * CATALOG_DIR_HOSTS bases from requests (configured: whether it came from
 * base-url) and CATALOG_DIR_CONFIGURED from base-url; past that each call
 * splices the URIs into a copy (no JSON rendering, no gzip) that the caller
 * frees (view->owned). 0, or ALTOD_ENOMEM. */
int catalog_directory(const struct catalog *c, const char *base, size_t base_len, bool configured,
                      struct dir_view *out);

/* The directory (RFC 7285 §9) of a catalog: what it offers, rendered once. */
char *render_directory(const struct catalog *c, size_t *len);

#endif
