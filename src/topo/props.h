/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entity properties (RFC 9240): the values a network map's property map
 * gives to its PIDs (the resource-specific "<map>.pid" entity domain) and to
 * IPv4/IPv6 addresses and prefixes (the "ipv4" / "ipv6" domains), read from
 * the maps files' `property-maps` section, and the RFC's inheritance: an
 * address or prefix takes a property's value from the longest prefix
 * covering it that defines the property (RFC 9240 §6.1.2.2).
 */
#ifndef ALTOD_TOPO_PROPS_H
#define ALTOD_TOPO_PROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/yp.h"
#include "topo/lpm.h"
#include "util/diag.h"
#include "util/ip.h"

struct topo;
struct topo_netmap;

#define PROP_NONE UINT32_MAX
/* RFC 9240 §5.2.2: an entity property type is at most 32 characters */
#define PROP_NAME_MAX 32

enum prop_domain { PD_IPV4, PD_IPV6, PD_PID, PD_COUNT };

struct topo_propval {
	uint32_t prop; /* index into topo_props.names */
	char *value;   /* a JSON string's content */
};

struct topo_pentity {
	char *id; /* the canonical EntityID: "ipv4:192.0.2.0/24", "<map>.pid:PID1" */
	enum prop_domain domain;
	struct ip_prefix prefix;   /* PD_IPV4, PD_IPV6 */
	uint32_t pid;              /* PD_PID: index into the network map's PIDs */
	struct topo_propval *vals; /* sorted by prop */
	uint32_t nvals;
};

/* The values an entity answers with, sorted by prop: for a PID its own;
 * for a prefix its own and, for each property it does not define, its
 * nearest covering prefix's that does (RFC 9240 §6.1.2.2). */
struct topo_pvals {
	const struct topo_propval *v;
	uint32_t n;
};

/* The properties of one network map. Entities are sorted by domain (ipv4,
 * ipv6, pid), then by prefix (ip_prefix_cmp) or PID index. */
struct topo_props {
	char **names; /* property names, sorted (strcmp) */
	uint32_t nnames;
	/* in_domain[d][p]: some entity of domain d defines property p (the
	 * property map's "mappings", RFC 9240 §7.4) */
	bool *in_domain[PD_COUNT];
	struct topo_pentity *ent;
	size_t nent;
	size_t first[PD_COUNT + 1]; /* entities of domain d: [first[d], first[d + 1]) */
	/* The index, built with the map (base or view) so that one lookup
	 * answers every property of an address: ip[f] (0: IPv4, 1: IPv6) maps
	 * an address to the longest entity prefix covering it (an index into
	 * ent, or LPM_NONE); parent[i] is the longest entity prefix strictly
	 * covering entity i (LPM_NONE: none); res[i] what entity i answers
	 * with, inherited values resolved; rv holds the merged lists (an
	 * entity without a parent, or defining all its parent has, answers
	 * with its own vals). */
	struct lpm ip[2];
	uint32_t *parent;
	struct topo_pvals *res;
	struct topo_propval *rv;
	size_t nrv;
};

void topo_props_free(struct topo_props *p);
uint32_t topo_props_name(const struct topo_props *p, const char *name);
/* Does any entity of domain d define any property? */
bool topo_props_domain_used(const struct topo_props *p, enum prop_domain d);
/* The value of property prop for a prefix or address (a /32, /128) of
 * family f: the value of the longest prefix covering it (itself included)
 * that defines prop, or NULL. */
const char *topo_props_ip(const struct topo_props *p, const struct ip_prefix *q, uint32_t prop);
/* The value a PID (index into its network map) has, or NULL. */
const char *topo_props_pid(const struct topo_props *p, uint32_t pid, uint32_t prop);
/* Every property at once, one lookup: what topo_props_ip / topo_props_pid
 * answer for each prop is topo_pvals_get(topo_props_ip_all(p, q), prop). */
struct topo_pvals topo_props_ip_all(const struct topo_props *p, const struct ip_prefix *q);
struct topo_pvals topo_props_pid_all(const struct topo_props *p, uint32_t pid);
const char *topo_pvals_get(struct topo_pvals v, uint32_t prop);
/* Bytes of the index (ip, parent, res, rv). */
size_t topo_props_index_memory(const struct topo_props *p);

/* ---- views (topo/view.c) ---- */

/* The properties a view exposes (access.views.<id>.properties). */
struct topo_props_view_spec {
	const char *const *names;
	const uint32_t *lines, *cols; /* where each name is given */
	size_t n;
	const char *file; /* the config file, for messages */
};

/* Gives view (built from base: to_view maps base PIDs to the view's, or
 * TOPO_NONE; catch_all is the view's catch-all PID) the properties vs
 * names, for the entities it shows: its kept PIDs (by their view names),
 * and the prefixes lying whole in kept PIDs (a prefix reaching into the
 * catch-all never appears). 0, ALTOD_ECONFIG (a name the base map's
 * property map does not have, reported) or ALTOD_ENOMEM (not reported). */
int topo_props_view(const struct topo_netmap *base, struct topo_netmap *view, const uint32_t *to_view,
                    uint32_t catch_all, const struct topo_props_view_spec *vs, struct diag *d);

/* ---- loading (used by the maps loader, load.c) ---- */

struct props_raw;
/* Parses the value of a maps file's `property-maps` key into *pr
 * (allocated on first use). Errors are counted in *errors. */
void props_raw_parse(struct props_raw **pr, struct yp *y, struct diag *d, size_t *errors);
/* Resolves every parsed section against the network maps of t (built,
 * sorted by id), attaching each map its topo_props. */
void props_raw_build(struct props_raw *pr, struct topo *t, struct diag *d, size_t *errors);
void props_raw_free(struct props_raw *pr);

#endif
