/* SPDX-License-Identifier: BSD-2-Clause */
/* The updates history along reload-like chains of snapshots built from
 * maps files: an unchanged resource keeps its history (shared, no new
 * version), a changed one gets exactly one new version whose patches turn
 * the previous body into the new one, the limits drop the oldest, and a
 * view gets no version for a change it does not show. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snap/access.h"
#include "snap/snapshot.h"
#include "snap/updates.h"
#include "snap/updates_internal.h"
#include "util/err.h"
#include "patchutil.h"
#include "testutil.h"

static char dir[64];
static char maps_path[sizeof(dir) + 16];

/* The maps of these tests, from what differs: PIDs A to D (and E), the
 * routingcost and hopcount maps of m. A field left 0 (NULL) is MAPS's. */
struct maps_fix {
	const char *b, *d; /* the ipv4 prefixes of B and D */
	bool e;            /* PID E (100.64.0.0/10), with A -> E 1 */
	int ab, ad, da;    /* routingcost A -> B, A -> D, D -> A */
	int hop;           /* hopcount A -> B; -1: no hopcount map */
};

static char *maps_yaml(struct maps_fix f)
{
	char *m, hop[64] = "";
	if (f.hop >= 0)
		snprintf(hop, sizeof(hop), "    hopcount: {A: {B: %d}}\n", f.hop ? f.hop : 1);
	ck_assert_int_ge(asprintf(&m,
	                          "network-maps:\n"
	                          "  m:\n"
	                          "    pids:\n"
	                          "      A: {ipv4: [10.0.0.0/8]}\n"
	                          "      B: {ipv4: [%s]}\n"
	                          "      C: {ipv4: [0.0.0.0/0]}\n"
	                          "      D: {ipv4: [%s]}\n"
	                          "%s"
	                          "cost-maps:\n"
	                          "  m:\n"
	                          "    routingcost: {A: {A: 1, B: %d, C: 3, D: %d%s}, B: {A: 2, B: 1, C: 4}, C: {A: 3, "
	                          "B: 4, C: 1}, D: {A: %d, D: 1}}\n"
	                          "%s",
	                          f.b ? f.b : "192.0.2.0/24", f.d ? f.d : "198.51.100.0/24",
	                          f.e ? "      E: {ipv4: [100.64.0.0/10]}\n" : "", f.ab ? f.ab : 2, f.ad ? f.ad : 4,
	                          f.e ? ", E: 1" : "", f.da ? f.da : 7, hop),
	                 0);
	return m;
}

/* the maps most tests start from, and those with one cost changed (D -> A:
 * 7 -> 8, still the largest, so the ordinal cost map of routingcost is the
 * same); made by setup */
static char *MAPS, *MAPS_COST;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/altod-test-updates-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(maps_path, sizeof(maps_path), "%s/maps.yaml", dir);
	MAPS = maps_yaml((struct maps_fix){0});
	MAPS_COST = maps_yaml((struct maps_fix){.da = 8});
}

static void teardown(void)
{
	unlink(maps_path);
	rmdir(dir);
	free(MAPS);
	free(MAPS_COST);
}

#define SECRET "a-secret-of-more-than-16"

/* A view "tenant" of m keeping PIDs A and B (its catch-all is C) */
static const char *VIEW = "access:\n"
                          "  secret: " SECRET "\n"
                          "  anonymous-role: public\n"
                          "  roles: {public: [tenant, m]}\n"
                          "  views:\n"
                          "    tenant:\n"
                          "      network-map: m\n"
                          "      pids: [A, B]\n"
                          "      costs: {routingcost: [numerical, ordinal]}\n";

static struct snapshot *build(const char *maps, const char *access)
{
	FILE *f = fopen(maps_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(maps, f);
	fclose(f);
	char *text;
	ck_assert_int_ge(asprintf(&text, "server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [%s]\n%s", maps_path,
	                          access ? access : ""),
	                 0);
	struct diag d;
	struct conf *c;
	struct snapshot *s;
	diag_init(&d);
	ck_assert_int_eq(conf_load_mem("altod.yaml", text, &c, &d), 0);
	ck_assert_msg(snapshot_build(c, &s, &d) == 0, "snapshot_build: %s", d.n ? d.msgs[0] : "");
	conf_free(c);
	diag_free(&d);
	free(text);
	return s;
}

static const struct updates_limits LOOSE = {64, 64u << 20};

/* the next snapshot of a chain, its history built from prev's */
static struct snapshot *next_of(struct snapshot *prev, const char *maps, const char *access,
                                const struct updates_limits *l)
{
	struct snapshot *s = build(maps, access);
	ck_assert_int_eq(updates_build(prev, s, l ? l : &LOOSE), 0);
	ck_assert_ptr_nonnull(s->updates);
	return s;
}

static const struct resource *res_of(const struct snapshot *s, const char *id)
{
	const struct catalog *c = s->access ? s->access->universe : s->cat;
	for (size_t i = 0; i < c->nres; i++)
		if (strcmp(c->res[i].id, id) == 0)
			return &c->res[i];
	return NULL;
}

static const struct upd_resource *hist(const struct snapshot *s, const char *id)
{
	const struct upd_resource *r = updates_find(s->updates, id);
	ck_assert_msg(r != NULL, "no history of %s", id);
	return r;
}

static uint64_t cur_seq(const struct snapshot *s, const char *id)
{
	const struct upd_resource *r = hist(s, id);
	return r->v[r->nv - 1].seq;
}

/* The resources of the plain catalog: the network map and its cost maps */
static const char *const IDS[] = {"m", "m-num-hopcount", "m-num-routingcost", "m-ord-hopcount", "m-ord-routingcost"};

START_TEST(start_gives_seq_1)
{
	struct snapshot *s = next_of(NULL, MAPS, NULL, NULL);
	ck_assert_uint_eq(s->updates->n, 5);
	for (size_t i = 0; i < 5; i++) {
		const struct upd_resource *r = &s->updates->res[i];
		ck_assert_str_eq(r->id, IDS[i]); /* sorted by id */
		ck_assert_uint_eq(r->nv, 1);
		ck_assert_uint_eq(r->v[0].seq, 1);
		ck_assert_ptr_null(r->v[0].merge);
		ck_assert_ptr_null(r->v[0].jsonpatch);
		ck_assert_uint_eq(strlen(r->epoch), 16);
		const struct resource *res = res_of(s, r->id);
		ck_assert_str_eq(r->media_type, res->media_type);
		if (i == 0) {
			ck_assert_int_eq(r->kind, RES_NETWORKMAP);
			ck_assert_str_eq(r->v[0].tag, res->nm->vtag);
		} else {
			ck_assert_int_eq(r->kind, RES_COSTMAP);
			/* the body's ETag without its quotes */
			ck_assert_uint_eq(strlen(r->v[0].tag) + 2, strlen(res->etag));
			ck_assert(strncmp(r->v[0].tag, res->etag + 1, strlen(r->v[0].tag)) == 0);
		}
		ck_assert_ptr_eq(upd_version_seq(r, 1), &r->v[0]);
		ck_assert_ptr_null(upd_version_seq(r, 0));
		ck_assert_ptr_null(upd_version_seq(r, 2));
		ck_assert_ptr_eq(upd_version_tag(r, r->v[0].tag), &r->v[0]);
		ck_assert_ptr_null(upd_version_tag(r, "nope"));
	}
	ck_assert_ptr_null(updates_find(s->updates, "nope"));
	ck_assert_uint_eq(s->updates->bytes, 0);
	ck_assert_uint_eq(s->updates->versions, 5);
	ck_assert_uint_eq(s->updates->gen, 0);
	snapshot_unref(s);
}
END_TEST

START_TEST(unchanged_keeps_the_history)
{
	struct snapshot *s1 = next_of(NULL, MAPS, NULL, NULL);
	struct snapshot *s2 = next_of(s1, MAPS_COST, NULL, NULL);
	struct snapshot *s3 = next_of(s2, MAPS_COST, NULL, NULL);
	ck_assert_uint_eq(s3->updates->gen, 2);
	ck_assert_uint_eq(s3->updates->changed, 0);
	ck_assert_uint_eq(s3->updates->new_merge_bytes, 0);
	for (size_t i = 0; i < 5; i++) {
		const struct upd_resource *a = hist(s2, IDS[i]), *b = hist(s3, IDS[i]);
		ck_assert_uint_eq(a->nv, b->nv);
		ck_assert_str_eq(a->epoch, b->epoch);
		for (size_t k = 0; k < a->nv; k++) {
			ck_assert_uint_eq(a->v[k].seq, b->v[k].seq);
			ck_assert_str_eq(a->v[k].tag, b->v[k].tag);
			/* shared, not copied */
			ck_assert_ptr_eq(a->v[k].merge, b->v[k].merge);
			ck_assert_ptr_eq(a->v[k].jsonpatch, b->v[k].jsonpatch);
		}
	}
	ck_assert_uint_eq(s2->updates->bytes, s3->updates->bytes);
	/* freeing the older snapshots leaves the shared patches readable */
	snapshot_unref(s1);
	snapshot_unref(s2);
	const struct upd_resource *r = hist(s3, "m-num-routingcost");
	ck_assert_uint_eq(r->nv, 2);
	ck_assert_str_eq(r->v[1].merge->data, "{\"cost-map\":{\"D\":{\"A\":8}}}");
	snapshot_unref(s3);
}
END_TEST

START_TEST(a_cost_change_versions_its_cost_map_only)
{
	struct snapshot *s1 = next_of(NULL, MAPS, NULL, NULL);
	struct snapshot *s2 = next_of(s1, MAPS_COST, NULL, NULL);
	for (size_t i = 0; i < 5; i++)
		ck_assert_uint_eq(cur_seq(s2, IDS[i]), strcmp(IDS[i], "m-num-routingcost") == 0 ? 2 : 1);
	const struct upd_resource *r = hist(s2, "m-num-routingcost");
	ck_assert_uint_eq(r->nv, 2);
	ck_assert_ptr_null(r->v[0].merge);
	ck_assert_str_eq(r->v[1].merge->data, "{\"cost-map\":{\"D\":{\"A\":8}}}");
	ck_assert_str_eq(r->v[1].jsonpatch->data, "[{\"op\":\"replace\",\"path\":\"/cost-map/D/A\",\"value\":8}]");
	ck_assert_uint_eq(r->v[1].merge->len, strlen(r->v[1].merge->data));
	ck_assert_str_eq(hist(s1, "m-num-routingcost")->epoch, r->epoch);
	ck_assert_uint_eq(s2->updates->bytes, r->v[1].merge->len + r->v[1].jsonpatch->len);
	ck_assert_uint_eq(s2->updates->versions, 6);
	ck_assert_uint_eq(s2->updates->changed, 1);
	ck_assert_uint_eq(s2->updates->new_merge_bytes, r->v[1].merge->len);
	ck_assert_uint_eq(s2->updates->new_jp_bytes, r->v[1].jsonpatch->len);
	ck_assert_uint_eq(s2->updates->new_body_bytes, res_of(s2, "m-num-routingcost")->body_len);
	ck_assert_uint_eq(s2->updates->new_jp_bodies, res_of(s2, "m-num-routingcost")->body_len);
	/* the network map has no JSON patch (the directory offers it for cost
	 * maps); its change changes every cost map (dependent-vtags) */
	char *moved = maps_yaml((struct maps_fix){.b = "192.0.2.0/24, 203.0.113.0/24", .da = 8});
	struct snapshot *s3 = next_of(s2, moved, NULL, NULL);
	free(moved);
	for (size_t i = 0; i < 5; i++)
		ck_assert_uint_eq(cur_seq(s3, IDS[i]), strcmp(IDS[i], "m-num-routingcost") == 0 ? 3 : 2);
	const struct upd_resource *n = hist(s3, "m");
	ck_assert_ptr_null(n->v[1].jsonpatch);
	ck_assert_str_eq(n->v[1].tag, res_of(s3, "m")->nm->vtag);
	char want[256];
	snprintf(want, sizeof(want),
	         "{\"meta\":{\"vtag\":{\"tag\":\"%s\"}},\"network-map\":{\"B\":{\"ipv4\":["
	         "\"192.0.2.0/24\",\"203.0.113.0/24\"]}}}",
	         n->v[1].tag);
	ck_assert_str_eq(n->v[1].merge->data, want);
	/* the cost maps' patches: their dependent vtag only, nothing else */
	const struct upd_resource *h = hist(s3, "m-ord-hopcount");
	snprintf(want, sizeof(want), "{\"meta\":{\"dependent-vtags\":[{\"resource-id\":\"m\",\"tag\":\"%s\"}]}}",
	         n->v[1].tag);
	ck_assert_str_eq(h->v[1].merge->data, want);
	snprintf(want, sizeof(want),
	         "[{\"op\":\"replace\",\"path\":\"/meta/dependent-vtags\",\"value\":[{\"resource-id\":\"m\",\"tag\":"
	         "\"%s\"}]}]",
	         n->v[1].tag);
	ck_assert_str_eq(h->v[1].jsonpatch->data, want);
	snapshot_unref(s1);
	snapshot_unref(s2);
	snapshot_unref(s3);
}
END_TEST

/* Resources that appear start over at seq 1; gone ones are gone */
START_TEST(resources_come_and_go)
{
	struct snapshot *s1 = next_of(NULL, MAPS, NULL, NULL);
	char *no_hop = maps_yaml((struct maps_fix){.hop = -1});
	struct snapshot *s2 = next_of(s1, no_hop, NULL, NULL);
	free(no_hop);
	ck_assert_uint_eq(s2->updates->n, 3);
	ck_assert_ptr_null(updates_find(s2->updates, "m-num-hopcount"));
	ck_assert_uint_eq(cur_seq(s2, "m"), 1);
	struct snapshot *s3 = next_of(s2, MAPS_COST, NULL, NULL);
	ck_assert_uint_eq(cur_seq(s3, "m-num-hopcount"), 1);
	ck_assert_uint_eq(hist(s3, "m-num-hopcount")->nv, 1);
	/* the same content as at start, but a numbering that starts over: never
	 * the epoch of the first one (a client at its seq k must not be given
	 * the new numbering's k -> k+1) */
	ck_assert_str_ne(hist(s3, "m-num-hopcount")->epoch, hist(s1, "m-num-hopcount")->epoch);
	ck_assert_uint_eq(cur_seq(s3, "m-num-routingcost"), 2);
	snapshot_unref(s1);
	snapshot_unref(s2);
	snapshot_unref(s3);
}
END_TEST

/* In one process, two chains that load the same maps and follow the same
 * reloads agree on epochs, numbering and tags; another starting point
 * gives another epoch. (Another process does not agree:
 * processes_differ.) */
START_TEST(one_process_agrees)
{
	struct snapshot *a1 = next_of(NULL, MAPS, NULL, NULL), *b1 = next_of(NULL, MAPS, NULL, NULL);
	struct snapshot *a2 = next_of(a1, MAPS_COST, NULL, NULL), *b2 = next_of(b1, MAPS_COST, NULL, NULL);
	struct snapshot *c = next_of(NULL, MAPS_COST, NULL, NULL);
	for (size_t i = 0; i < 5; i++) {
		const struct upd_resource *x = hist(a2, IDS[i]), *y = hist(b2, IDS[i]);
		ck_assert_str_eq(x->epoch, y->epoch);
		ck_assert_uint_eq(x->nv, y->nv);
		ck_assert_uint_eq(x->v[x->nv - 1].seq, y->v[y->nv - 1].seq);
		ck_assert_str_eq(x->v[x->nv - 1].tag, y->v[y->nv - 1].tag);
	}
	ck_assert_str_ne(hist(c, "m-num-routingcost")->epoch, hist(a2, "m-num-routingcost")->epoch);
	ck_assert_str_eq(hist(c, "m-num-routingcost")->v[0].tag, hist(a2, "m-num-routingcost")->v[1].tag);
	snapshot_unref(a1);
	snapshot_unref(b1);
	snapshot_unref(a2);
	snapshot_unref(b2);
	snapshot_unref(c);
}
END_TEST

/* Two processes (two salts) never share an epoch for the same resource,
 * build and first tag, so a restarted altod or another replica never
 * continues a numbering it did not make; one salt gives one epoch. */
START_TEST(processes_differ)
{
	struct snapshot *s = next_of(NULL, MAPS_COST, NULL, NULL);
	const struct upd_resource *r = hist(s, "m-num-routingcost");
	uint8_t a[UPD_SALT_LEN] = {0}, b[UPD_SALT_LEN] = {0};
	char ea[17], ea2[17], eb[17], later[17];
	b[UPD_SALT_LEN - 1] = 1;
	updates_epoch(a, r->id, 0, r->v[0].tag, ea);
	updates_epoch(a, r->id, 0, r->v[0].tag, ea2);
	updates_epoch(b, r->id, 0, r->v[0].tag, eb);
	updates_epoch(a, r->id, 1, r->v[0].tag, later);
	ck_assert_uint_eq(strlen(ea), 16);
	ck_assert_str_eq(ea, ea2);
	ck_assert_str_ne(ea, eb);
	ck_assert_str_ne(ea, later);
	/* this process's salt is neither test salt */
	ck_assert_str_ne(r->epoch, ea);
	ck_assert_str_ne(r->epoch, eb);
	snapshot_unref(s);
}
END_TEST

/* A maps file whose routingcost A -> B is v */
static char *maps_with(int v)
{
	return maps_yaml((struct maps_fix){.ab = 100 + v, .hop = 100 + v});
}

START_TEST(max_versions_drops_the_oldest)
{
	const struct updates_limits l = {3, 64u << 20};
	char *m = maps_with(0);
	struct snapshot *s = next_of(NULL, m, NULL, &l);
	free(m);
	for (int i = 1; i <= 5; i++) {
		m = maps_with(i);
		struct snapshot *n = next_of(s, m, NULL, &l);
		free(m);
		snapshot_unref(s);
		s = n;
	}
	const struct upd_resource *r = hist(s, "m-num-routingcost");
	ck_assert_uint_eq(r->nv, 3);
	ck_assert_uint_eq(r->v[0].seq, 4);
	ck_assert_uint_eq(r->v[2].seq, 6);
	ck_assert_ptr_null(r->v[0].merge); /* its predecessor is not kept */
	ck_assert_ptr_null(r->v[0].jsonpatch);
	ck_assert_ptr_nonnull(r->v[1].merge);
	ck_assert_ptr_null(upd_version_seq(r, 3));
	ck_assert_ptr_eq(upd_version_seq(r, 5), &r->v[1]);
	ck_assert_str_eq(r->v[2].merge->data, "{\"cost-map\":{\"A\":{\"B\":105}}}");
	/* 1: no patch kept at all */
	const struct updates_limits one = {1, 64u << 20};
	m = maps_with(6);
	struct snapshot *n = next_of(s, m, NULL, &one);
	free(m);
	ck_assert_uint_eq(hist(n, "m-num-routingcost")->nv, 1);
	ck_assert_uint_eq(hist(n, "m-num-routingcost")->v[0].seq, 7);
	ck_assert_uint_eq(n->updates->bytes, 0);
	ck_assert_uint_eq(n->updates->versions, 5);
	snapshot_unref(s);
	snapshot_unref(n);
}
END_TEST

START_TEST(max_bytes_drops_the_oldest_patches_first)
{
	char *m = maps_with(0);
	struct snapshot *s = next_of(NULL, m, NULL, NULL);
	free(m);
	/* two reloads: generations 1 and 2 of the three changed cost maps */
	for (int i = 1; i <= 2; i++) {
		m = maps_with(i);
		struct snapshot *n = next_of(s, m, NULL, NULL);
		free(m);
		snapshot_unref(s);
		s = n;
	}
	size_t all = s->updates->bytes;
	ck_assert_uint_gt(all, 0);
	/* what the last generation holds */
	size_t last = 0;
	for (size_t i = 0; i < s->updates->n; i++) {
		const struct upd_resource *r = &s->updates->res[i];
		if (r->nv > 1 && r->v[r->nv - 1].gen == 2)
			last += (r->v[r->nv - 1].merge ? r->v[r->nv - 1].merge->len : 0) +
			        (r->v[r->nv - 1].jsonpatch ? r->v[r->nv - 1].jsonpatch->len : 0);
	}
	/* room for the newest generation only: every older patch goes, the
	 * newest stay, whichever resource they belong to */
	const struct updates_limits l = {64, last};
	m = maps_with(2);
	struct snapshot *n = next_of(s, m, NULL, &l);
	free(m);
	ck_assert_uint_eq(n->updates->bytes, last);
	for (size_t i = 0; i < n->updates->n; i++) {
		const struct upd_resource *r = &n->updates->res[i];
		ck_assert_ptr_null(r->v[0].merge);
		for (size_t k = 1; k < r->nv; k++)
			ck_assert_uint_eq(r->v[k].gen, 2);
		ck_assert_uint_le(r->nv, 2);
	}
	ck_assert_uint_eq(cur_seq(n, "m-num-routingcost"), 3);
	/* 0 bytes: no patch at all, the versions' numbering goes on */
	const struct updates_limits none = {64, 0};
	m = maps_with(3);
	struct snapshot *z = next_of(n, m, NULL, &none);
	free(m);
	ck_assert_uint_eq(z->updates->bytes, 0);
	ck_assert_uint_eq(hist(z, "m-num-routingcost")->nv, 1);
	ck_assert_uint_eq(cur_seq(z, "m-num-routingcost"), 4);
	/* the older snapshots' histories are untouched */
	ck_assert_uint_eq(s->updates->bytes, all);
	snapshot_unref(s);
	snapshot_unref(n);
	snapshot_unref(z);
}
END_TEST

/* A view of A and B: changes of D (hidden, outside every kept prefix) make
 * no version of the view's resources, while the base map gets them */
START_TEST(view_ignores_hidden_changes)
{
	struct snapshot *s1 = next_of(NULL, MAPS, VIEW, NULL);
	ck_assert_ptr_nonnull(updates_find(s1->updates, "tenant"));
	struct maps_fix fix = {.d = "198.51.100.0/24, 203.0.113.0/24", .e = true, .ad = 9, .da = 8};
	char *hidden = maps_yaml(fix);
	struct snapshot *s2 = next_of(s1, hidden, VIEW, NULL);
	free(hidden);
	size_t views = 0;
	for (size_t i = 0; i < s2->updates->n; i++) {
		const struct upd_resource *r = &s2->updates->res[i];
		bool in_view = strncmp(r->id, "tenant", 6) == 0;
		views += in_view;
		if (in_view) { /* the same history, shared */
			const struct upd_resource *o = hist(s1, r->id);
			ck_assert_msg(r->nv == 1 && r->v[0].seq == 1, "%s got a version", r->id);
			ck_assert_str_eq(r->v[0].tag, o->v[0].tag);
			ck_assert_str_eq(r->epoch, o->epoch);
		}
	}
	ck_assert_uint_eq(views, 3); /* tenant, tenant-num-routingcost, tenant-ord-routingcost */
	ck_assert_uint_eq(cur_seq(s2, "m"), 2);
	ck_assert_uint_eq(cur_seq(s2, "m-num-routingcost"), 2);
	/* a visible change: A -> B; the view's own patch, in its own names */
	fix.ab = 6;
	char *visible = maps_yaml(fix);
	struct snapshot *s3 = next_of(s2, visible, VIEW, NULL);
	free(visible);
	ck_assert_uint_eq(cur_seq(s3, "tenant"), 1);
	ck_assert_uint_eq(cur_seq(s3, "tenant-num-routingcost"), 2);
	const struct upd_resource *r = hist(s3, "tenant-num-routingcost");
	json_t *want = parse_ok(res_of(s3, "tenant-num-routingcost")->body);
	json_t *mp = parse_ok(r->v[1].merge->data); /* merge_apply does not take it over */
	json_t *got = merge_apply(parse_ok(res_of(s2, "tenant-num-routingcost")->body), mp);
	ck_assert(json_equal(got, want));
	ck_assert_ptr_null(strstr(r->v[1].merge->data, "\"D\""));
	json_decref(got);
	json_decref(mp);
	json_decref(want);
	snapshot_unref(s1);
	snapshot_unref(s2);
	snapshot_unref(s3);
}
END_TEST

/* Random chains: every stored patch turns the previous body into the new
 * one; a resource whose body did not change has no new version */
START_TEST(random_chains)
{
	uint64_t seed = 0x853c49e6748fea9bull + (uint64_t)_i * 104729;
	struct gen g;
	gen_init(&g, &seed);
	char *yaml = gen_yaml(&g);
	const char *access = _i % 2 ? "access:\n  secret: " SECRET "\n  anonymous-role: public\n"
	                              "  roles: {public: [v, m]}\n"
	                              "  views:\n    v: {network-map: m, pids: [p0, P1, \"pid:2\", \"pid@3\"], "
	                              "costs: {routingcost: [numerical, ordinal], delay-rt: [numerical]}}\n"
	                            : NULL;
	struct snapshot *prev = next_of(NULL, yaml, access, NULL);
	free(yaml);
	size_t patched = 0;
	for (int round = 0; round < 20; round++) {
		gen_mutate(&g, &seed, round % 3 == 0 ? 0 : round % 3 == 1 ? 3 : 25);
		yaml = gen_yaml(&g);
		struct snapshot *next = next_of(prev, yaml, access, NULL);
		free(yaml);
		for (size_t i = 0; i < next->updates->n; i++) {
			const struct upd_resource *r = &next->updates->res[i];
			const struct upd_resource *o = updates_find(prev->updates, r->id);
			const struct resource *rb = res_of(next, r->id), *ra = res_of(prev, r->id);
			ck_assert_ptr_nonnull(rb);
			if (o == NULL) {
				ck_assert_uint_eq(r->nv, 1);
				continue;
			}
			bool same = strcmp(ra->body, rb->body) == 0;
			ck_assert_uint_eq(r->v[r->nv - 1].seq, o->v[o->nv - 1].seq + (same ? 0 : 1));
			ck_assert_str_eq(r->epoch, o->epoch);
			if (same)
				continue;
			const struct upd_version *v = &r->v[r->nv - 1];
			json_t *want = parse_ok(rb->body);
			json_t *mp = parse_ok(v->merge->data); /* merge_apply does not take it over */
			json_t *got = merge_apply(parse_ok(ra->body), mp);
			ck_assert_msg(json_equal(got, want), "%s: merge patch %s", r->id, v->merge->data);
			json_decref(got);
			json_decref(mp);
			if (r->kind == RES_COSTMAP) {
				got = parse_ok(ra->body);
				json_t *ops = parse_ok(v->jsonpatch->data);
				ck_assert_int_eq(jsonpatch_apply(&got, ops), 0);
				ck_assert_msg(json_equal(got, want), "%s: JSON patch %s", r->id, v->jsonpatch->data);
				json_decref(ops);
				json_decref(got);
			}
			json_decref(want);
			patched++;
		}
		snapshot_unref(prev);
		prev = next;
	}
	snapshot_unref(prev);
	ck_assert_uint_gt(patched, 20);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("updates");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, start_gives_seq_1);
	tcase_add_test(tc, unchanged_keeps_the_history);
	tcase_add_test(tc, a_cost_change_versions_its_cost_map_only);
	tcase_add_test(tc, resources_come_and_go);
	tcase_add_test(tc, one_process_agrees);
	tcase_add_test(tc, processes_differ);
	tcase_add_test(tc, max_versions_drops_the_oldest);
	tcase_add_test(tc, max_bytes_drops_the_oldest_patches_first);
	tcase_add_test(tc, view_ignores_hidden_changes);
	tcase_add_loop_test(tc, random_chains, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)
