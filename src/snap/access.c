/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "topo/view.h"
#include "snap/access.h"
#include "util/err.h"

static void derive(const struct policy *p, const char *label, const char *id, uint8_t out[32])
{
	gnutls_hmac_hd_t h;
	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, p->secret ? p->secret : "", p->secret ? strlen(p->secret) : 0) <
	    0) {
		memset(out, 0, 32);
		return;
	}
	gnutls_hmac(h, label, strlen(label) + 1);
	if (id)
		gnutls_hmac(h, id, strlen(id));
	gnutls_hmac_deinit(h, out);
}

static uint8_t view_modes(void *ctx, const char *metric)
{
	const struct policy_view *v = ctx;
	if (v->all_costs)
		return COST_MODES_ALL;
	for (size_t i = 0; i < v->ncosts; i++)
		if (strcmp(v->costs[i].metric, metric) == 0)
			return (uint8_t)((v->costs[i].modes[COST_NUMERICAL] ? 1u << COST_NUMERICAL : 0) |
			                 (v->costs[i].modes[COST_ORDINAL] ? 1u << COST_ORDINAL : 0));
	return 0;
}

/* the roles of one catalog */
struct roleset {
	const struct policy_role **roles;
	size_t n;
	const struct snapshot_access *a;
};

static bool role_grants(const struct policy_role *r, const char *id)
{
	for (size_t i = 0; i < r->ngrants; i++)
		if (strcmp(r->grants[i], id) == 0)
			return true;
	return false;
}

static bool is_view(const struct snapshot_access *a, const struct topo_netmap *nm)
{
	return nm && a->nviews && nm >= a->views && nm < a->views + a->nviews;
}

static bool roleset_granted(void *ctx, const char *id)
{
	const struct roleset *rs = ctx;
	const struct catalog *u = rs->a->universe;
	const struct topo_netmap *nm = NULL;
	for (size_t i = 0; i < u->nres; i++)
		if (strcmp(u->res[i].id, id) == 0)
			nm = u->res[i].nm;
	for (size_t k = 0; k < rs->n; k++) {
		if (role_grants(rs->roles[k], id))
			return true;
		/* a granted view brings all its resources */
		for (size_t i = 0; nm && i < rs->a->nviews; i++)
			if (nm == &rs->a->views[i] && role_grants(rs->roles[k], nm->id))
				return true;
		/* and the endpoint property service, for its pid */
		if (strcmp(id, "endpoint-property") == 0)
			for (size_t i = 0; i < rs->a->nviews; i++)
				if (role_grants(rs->roles[k], rs->a->views[i].id))
					return true;
	}
	return false;
}

static int build_catalog(struct snapshot_access *a, const struct topo *t, const struct policy_role **roles, size_t n,
                         struct catalog **out, struct diag *d)
{
	struct roleset rs = {roles, n, a};
	struct catalog_spec spec = {
	        .maps = a->universe->maps,
	        .nmaps = a->universe->nmaps,
	        .default_map = t->default_map == TOPO_NONE ? NULL : &t->netmaps[t->default_map],
	        .granted = roleset_granted,
	        .ctx = &rs,
	        .universe = a->universe,
	        .private_ = true,
	};
	return catalog_build(&spec, out, d);
}

/* Fail closed: every grant names a resource or a view, and whoever is
 * granted a resource of a network map is granted the map too. */
static int check_grants(const struct snapshot_access *a, struct diag *d)
{
	const struct policy *p = a->policy;
	int rc = 0;
	for (size_t i = 0; i < p->nroles; i++) {
		const struct policy_role *r = &p->roles[i];
		for (size_t g = 0; g < r->ngrants; g++) {
			const struct resource *res = NULL;
			for (size_t k = 0; k < a->universe->nres; k++)
				if (strcmp(a->universe->res[k].id, r->grants[g]) == 0)
					res = &a->universe->res[k];
			if (res == NULL) {
				diag_add(d, p->file, r->grant_at[g].line, r->grant_at[g].col,
				         "role '%s' grants '%s', which is no resource or view", r->name, r->grants[g]);
				rc = ALTOD_ECONFIG;
				continue;
			}
			if (res->nm && strcmp(res->id, res->nm->id) != 0 && !role_grants(r, res->nm->id)) {
				diag_add(d, p->file, r->grant_at[g].line, r->grant_at[g].col,
				         is_view(a, res->nm)
				                 ? "role '%s' grants '%s' but not the view '%s' it belongs to"
				                 : "role '%s' grants '%s' but not the network map '%s' it is built on",
				         r->name, r->grants[g], res->nm->id);
				rc = ALTOD_ECONFIG;
			}
		}
	}
	return rc;
}

static int role_ptr_cmp(const void *x, const void *y)
{
	const struct policy_role *a = *(const struct policy_role *const *)x, *b = *(const struct policy_role *const *)y;
	return strcmp(a->name, b->name);
}

int access_build(struct policy *policy, const struct topo *t, struct snapshot_access **out, struct diag *d)
{
	struct snapshot_access *a = calloc(1, sizeof(*a));
	int rc = 0;

	*out = NULL;
	if (a == NULL) {
		policy_free(policy);
		return ALTOD_ENOMEM;
	}
	a->policy = policy;
	/* Digest nonces: every replica with this secret checks every replica's */
	if (policy->secret) {
		derive(policy, "digest-nonce", NULL, a->nonce_key);
		derive(policy, "digest-peer", NULL, a->peer_key);
	}

	/* views */
	a->views = calloc(policy->nviews ? policy->nviews : 1, sizeof(*a->views));
	if (a->views == NULL)
		goto nomem;
	for (size_t i = 0; i < policy->nviews; i++) {
		const struct policy_view *v = &policy->views[i];
		const struct topo_netmap *base = topo_netmap_find(t, v->netmap);
		if (base == NULL) {
			diag_add(d, policy->file, v->at.line, v->at.col,
			         "view '%s' is of network map '%s', which is not defined", v->id, v->netmap);
			rc = ALTOD_ECONFIG;
			continue;
		}
		for (size_t k = 0; k < v->ncosts; k++)
			if (!topo_metric_find(base, v->costs[k].metric)) {
				diag_add(d, policy->file, v->at.line, v->at.col,
				         "view '%s' shows cost metric '%s', which network map '%s' does not have",
				         v->id, v->costs[k].metric, v->netmap);
				rc = ALTOD_ECONFIG;
			}
		uint8_t secret[32];
		derive(policy, "view", v->id, secret);
		uint32_t *lines = malloc((v->npids ? v->npids : 1) * sizeof(uint32_t));
		uint32_t *cols = malloc((v->npids ? v->npids : 1) * sizeof(uint32_t));
		if (!lines || !cols) {
			free(lines);
			free(cols);
			goto nomem;
		}
		for (size_t k = 0; k < v->npids; k++) {
			lines[k] = v->pid_at[k].line;
			cols[k] = v->pid_at[k].col;
		}
		uint32_t *plines = malloc((v->nprops ? v->nprops : 1) * sizeof(uint32_t));
		uint32_t *pcols = malloc((v->nprops ? v->nprops : 1) * sizeof(uint32_t));
		if (!plines || !pcols) {
			free(lines);
			free(cols);
			free(plines);
			free(pcols);
			goto nomem;
		}
		for (size_t k = 0; k < v->nprops; k++) {
			plines[k] = v->prop_at[k].line;
			pcols[k] = v->prop_at[k].col;
		}
		struct topo_view_spec spec = {
		        .id = v->id,
		        .file = policy->file,
		        .line = v->at.line,
		        .col = v->at.col,
		        .pids = (const char *const *)v->pids,
		        .pid_lines = lines,
		        .pid_cols = cols,
		        .npids = v->npids,
		        .catch_all = v->catch_all,
		        .opaque = v->opaque_pids,
		        .secret = secret,
		        .modes_of = view_modes,
		        .ctx = (void *)v,
		        .props = {.names = (const char *const *)v->props,
		                  .lines = plines,
		                  .cols = pcols,
		                  .n = v->nprops,
		                  .file = policy->file},
		};
		int vrc = topo_view_build(base, &spec, &a->views[a->nviews], d);
		free(lines);
		free(cols);
		free(plines);
		free(pcols);
		memset(secret, 0, sizeof(secret));
		if (vrc != 0) {
			rc = vrc;
			continue;
		}
		a->views[a->nviews].order = (uint32_t)(t->nnetmaps + a->nviews);
		a->nviews++;
	}
	if (rc != 0)
		goto fail;

	/* the universe: every map and view, every resource, rendered once */
	size_t nmaps = t->nnetmaps + a->nviews;
	const struct topo_netmap **maps = calloc(nmaps ? nmaps : 1, sizeof(*maps));
	if (maps == NULL)
		goto nomem;
	for (uint32_t i = 0; i < t->nnetmaps; i++)
		maps[t->netmaps[i].order] = &t->netmaps[i];
	for (size_t i = 0; i < a->nviews; i++)
		maps[t->nnetmaps + i] = &a->views[i];
	struct catalog_spec uspec = {
	        .maps = maps,
	        .nmaps = nmaps,
	        .default_map = t->default_map == TOPO_NONE ? NULL : &t->netmaps[t->default_map],
	};
	rc = catalog_build(&uspec, &a->universe, d);
	free(maps);
	if (rc != 0)
		goto fail;
	if ((rc = check_grants(a, d)) != 0)
		goto fail;

	/* one catalog per distinct role set (clients, and the anonymous role) */
	size_t nsets = policy->nclients + 1;
	a->cats = calloc(nsets, sizeof(*a->cats));
	a->client_cat = calloc(nsets, sizeof(*a->client_cat));
	const struct policy_role ***sets = calloc(nsets, sizeof(*sets));
	size_t *setn = calloc(nsets, sizeof(*setn));
	if (!a->cats || !a->client_cat || !sets || !setn) {
		free(sets);
		free(setn);
		goto nomem;
	}
	for (size_t i = 0; i < nsets && rc == 0; i++) {
		const struct policy_role **roles;
		size_t n;
		if (i < policy->nclients) {
			const struct policy_client *c = &policy->clients[i];
			roles = calloc(c->nroles ? c->nroles : 1, sizeof(*roles));
			n = 0;
			for (size_t k = 0; roles && k < c->nroles; k++) {
				const struct policy_role *r = policy_role_find(policy, c->roles[k]);
				bool dup = false;
				for (size_t j = 0; j < n; j++)
					dup |= roles[j] == r;
				if (r && !dup)
					roles[n++] = r;
			}
		} else {
			if (policy->anonymous_role == NULL)
				break;
			roles = calloc(1, sizeof(*roles));
			n = 0;
			if (roles)
				roles[n++] = policy_role_find(policy, policy->anonymous_role);
		}
		if (roles == NULL) {
			rc = ALTOD_ENOMEM;
			break;
		}
		qsort(roles, n, sizeof(*roles), role_ptr_cmp);
		struct catalog *cat = NULL;
		for (size_t s = 0; s < a->ncats && !cat; s++)
			if (setn[s] == n && (n == 0 || memcmp(sets[s], roles, n * sizeof(*roles)) == 0))
				cat = a->cats[s];
		if (cat == NULL) {
			rc = build_catalog(a, t, roles, n, &cat, d);
			if (rc != 0) {
				free(roles);
				break;
			}
			sets[a->ncats] = roles;
			setn[a->ncats] = n;
			a->cats[a->ncats++] = cat;
		} else {
			free(roles);
		}
		if (i < policy->nclients)
			a->client_cat[i] = cat;
		else
			a->anonymous = cat;
	}
	for (size_t s = 0; s < a->ncats; s++)
		free(sets[s]);
	free(sets);
	free(setn);
	if (rc != 0)
		goto fail;
	*out = a;
	return 0;

nomem:
	rc = ALTOD_ENOMEM;
	diag_add(d, policy->file, 0, 0, "out of memory while building the access views");
fail:
	access_free(a);
	return rc;
}

void access_free(struct snapshot_access *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->ncats; i++)
		catalog_free(a->cats[i]);
	free(a->cats);
	free(a->client_cat);
	catalog_free(a->universe);
	for (size_t i = 0; i < a->nviews; i++)
		topo_netmap_clear(&a->views[i]);
	free(a->views);
	policy_free(a->policy);
	memset(a->nonce_key, 0, sizeof(a->nonce_key));
	memset(a->peer_key, 0, sizeof(a->peer_key));
	free(a);
}
