/* SPDX-License-Identifier: BSD-2-Clause */
/* Merge patches (RFC 7396) and JSON patches (RFC 6902): every patch
 * computed, applied by the independent appliers of patchutil.h to the old
 * document, gives the new one; the RFCs' examples; random documents with
 * '/', '~' and non-ASCII member names; random network and cost maps,
 * diffed from the topology structures. */
#include <check.h>
#include <stdio.h>

#include "alto/patch.h"
#include "alto/render.h"
#include "util/err.h"
#include "patchutil.h"
#include "testutil.h"

/* diff(from, to), applied to from, gives to: both kinds of patch */
static void roundtrip_json(const json_t *from, const json_t *to)
{
	bool inexpressible;
	json_t *mp = patch_merge_diff(from, to, &inexpressible);
	ck_assert_msg(mp != NULL && !inexpressible, "no merge patch");
	json_t *got = merge_apply(json_deep_copy(from), mp);
	char *a = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY),
	     *b = json_dumps(to, JSON_SORT_KEYS | JSON_ENCODE_ANY);
	ck_assert_msg(json_equal(got, (json_t *)to), "merge patch: got %s, want %s", a, b);
	free(a);
	free(b);
	json_decref(got);
	json_decref(mp);

	json_t *jp = patch_json_diff(from, to);
	ck_assert_ptr_nonnull(jp);
	got = json_deep_copy(from);
	char *ops = json_dumps(jp, JSON_COMPACT);
	ck_assert_msg(jsonpatch_apply(&got, jp) == 0, "JSON patch %s does not apply", ops);
	ck_assert_msg(json_equal(got, (json_t *)to), "JSON patch %s", ops);
	free(ops);
	if (json_equal((json_t *)from, (json_t *)to))
		ck_assert_uint_eq(json_array_size(jp), 0);
	json_decref(got);
	json_decref(jp);
}

static void roundtrip(const char *from, const char *to)
{
	json_t *f = parse_ok(from), *t = parse_ok(to);
	roundtrip_json(f, t);
	json_decref(f);
	json_decref(t);
}

static char *merge_text(const char *from, const char *to)
{
	bool inexpressible;
	json_t *f = parse_ok(from), *t = parse_ok(to);
	json_t *mp = patch_merge_diff(f, t, &inexpressible);
	ck_assert_ptr_nonnull(mp);
	char *s = json_dumps(mp, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(mp);
	json_decref(f);
	json_decref(t);
	return s;
}

/* RFC 7396 Appendix A: each (original, result) pair; the patch we compute
 * is the minimal one, not necessarily the RFC's, but it must give the
 * result. And the applier itself follows the RFC's table. */
START_TEST(rfc7396_examples)
{
	static const char *const ex[][3] = {
	        {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
	        {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
	        {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
	        {"{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
	        {"{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
	        {"{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
	        {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
	        {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
	        {"[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"},
	        {"{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"},
	        {"{\"a\":\"foo\"}", "null", "null"},
	        {"{\"a\":\"foo\"}", "\"bar\"", "\"bar\""},
	        {"{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
	        {"[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
	        {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
	};
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		json_t *orig = parse_ok(ex[i][0]), *patch = parse_ok(ex[i][1]), *want = parse_ok(ex[i][2]);
		json_t *got = merge_apply(json_deep_copy(orig), patch);
		ck_assert_msg(json_equal(got, want), "applier, example %zu", i);
		roundtrip_json(orig, want);
		json_decref(got);
		json_decref(orig);
		json_decref(patch);
		json_decref(want);
	}
	/* RFC 7396 §3 */
	const char *target = "{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
	                     "\"tags\":[\"example\",\"sample\"],\"content\":\"This will be unchanged\"}";
	const char *result = "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},\"tags\":[\"example\"],"
	                     "\"content\":\"This will be unchanged\",\"phoneNumber\":\"+01-123-456-7890\"}";
	char *mp = merge_text(target, result);
	ck_assert_str_eq(mp,
	                 "{\"author\":{\"familyName\":null},\"phoneNumber\":\"+01-123-456-7890\",\"tags\":[\"example\"]"
	                 ",\"title\":\"Hello!\"}");
	free(mp);
	roundtrip(target, result);
}
END_TEST

/* RFC 7396 cannot set a member to null: no merge patch, said so */
START_TEST(merge_cannot_say_null)
{
	static const char *const cases[][2] = {
	        {"{\"a\":1}", "{\"a\":null}"},
	        {"{\"a\":{\"b\":1}}", "{\"a\":{\"b\":null}}"},
	        {"{\"a\":1}", "{\"a\":{\"x\":null}}"}, /* a new object value keeps no null member */
	        {"[1]", "{\"x\":null}"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *f = parse_ok(cases[i][0]), *t = parse_ok(cases[i][1]);
		bool inexpressible = false;
		ck_assert_ptr_null(patch_merge_diff(f, t, &inexpressible));
		ck_assert_msg(inexpressible, "case %zu", i);
		/* the JSON patch can */
		json_t *jp = patch_json_diff(f, t);
		json_t *got = json_deep_copy(f);
		ck_assert_int_eq(jsonpatch_apply(&got, jp), 0);
		ck_assert(json_equal(got, t));
		json_decref(got);
		json_decref(jp);
		json_decref(f);
		json_decref(t);
	}
	/* a null that stays, or one inside an array (replaced whole), is fine */
	roundtrip("{\"a\":null,\"b\":1}", "{\"a\":null,\"b\":2}");
	roundtrip("{\"a\":[1]}", "{\"a\":[null,{\"x\":null}]}");
}
END_TEST

/* RFC 6901 §5 names, escaped in the paths the JSON patch gives */
START_TEST(pointer_escaping)
{
	struct buf b;
	buf_init(&b);
	patch_pointer_token(&b, "a/b");
	patch_pointer_token(&b, "m~n");
	patch_pointer_token(&b, "~1");
	patch_pointer_token(&b, "");
	patch_pointer_token(&b, "ü/~/");
	ck_assert_str_eq(b.data, "/a~1b/m~0n/~01//ü~1~0~1");
	buf_free(&b);

	json_t *f = parse_ok("{\"a/b\":1,\"m~n\":{\"~1\":2},\"\":3,\"ü\":4}");
	json_t *t = parse_ok("{\"a/b\":2,\"m~n\":{\"~1\":3},\"\":4}");
	json_t *jp = patch_json_diff(f, t);
	char *s = json_dumps(jp, JSON_COMPACT | JSON_ENSURE_ASCII);
	ck_assert_contains(s, "\"path\":\"/a~1b\"");
	ck_assert_contains(s, "\"path\":\"/m~0n/~01\"");
	ck_assert_contains(s, "\"path\":\"/\"");
	ck_assert_contains(s, "{\"op\":\"remove\",\"path\":\"/\\u00FC\"}");
	free(s);
	json_decref(jp);
	roundtrip_json(f, t);
	json_decref(f);
	json_decref(t);
}
END_TEST

/* RFC 6902 Appendix A's object examples, as (before, after) pairs */
START_TEST(rfc6902_examples)
{
	roundtrip("{\"foo\":\"bar\"}", "{\"baz\":\"qux\",\"foo\":\"bar\"}");                 /* A.1 */
	roundtrip("{\"baz\":\"qux\",\"foo\":\"bar\"}", "{\"foo\":\"bar\"}");                 /* A.3 */
	roundtrip("{\"baz\":\"qux\",\"foo\":\"bar\"}", "{\"baz\":\"boo\",\"foo\":\"bar\"}"); /* A.5 */
	roundtrip("{\"foo\":\"bar\"}", "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");   /* A.10 */
	roundtrip("{\"foo\":[\"bar\",\"baz\"]}", "{\"foo\":[\"bar\",[\"abc\",\"def\"],\"baz\"]}");
	roundtrip("{\"foo\":1}", "[1]");
	roundtrip("1", "{\"a\":1}");
	json_t *f = parse_ok("{\"foo\":\"bar\"}");
	json_t *jp = patch_json_diff(f, f);
	ck_assert_uint_eq(json_array_size(jp), 0);
	json_decref(jp);
	json_decref(f);
}
END_TEST

static const char *const KEYS[] = {"a", "b", "a/b", "~", "~0", "~1", "/", "", "ü", "名前", "x~/y", "c"};

static json_t *random_value(uint64_t *s, int depth);

static json_t *random_object(uint64_t *s, int depth)
{
	json_t *o = json_object();
	unsigned n = rnd(s) % 5;
	for (unsigned i = 0; i < n; i++)
		json_object_set_new(o, KEYS[rnd(s) % 12], random_value(s, depth + 1));
	return o;
}

static json_t *random_value(uint64_t *s, int depth)
{
	switch (rnd(s) % (depth > 3 ? 4 : 7)) {
	case 0: return json_integer(rnd(s) % 5);
	case 1: return json_string(KEYS[rnd(s) % 12]);
	case 2: return json_real((double)(rnd(s) % 8) / 4);
	case 3: return rnd(s) % 2 ? json_true() : json_false();
	case 4: {
		json_t *a = json_array();
		for (unsigned i = rnd(s) % 3; i > 0; i--)
			json_array_append_new(a, random_value(s, depth + 1));
		return a;
	}
	default: return random_object(s, depth);
	}
}

/* A copy of v with random changes: members added, removed, changed */
static json_t *mutate(uint64_t *s, const json_t *v, int depth)
{
	if (!json_is_object(v) || rnd(s) % 8 == 0)
		return rnd(s) % 3 ? json_deep_copy(v) : random_value(s, depth);
	json_t *o = json_object();
	const char *k;
	json_t *m;
	json_object_foreach ((json_t *)v, k, m)
		if (rnd(s) % 6)
			json_object_set_new(o, k, mutate(s, m, depth + 1));
	if (rnd(s) % 3 == 0)
		json_object_set_new(o, KEYS[rnd(s) % 12], random_value(s, depth + 1));
	return o;
}

START_TEST(random_documents)
{
	uint64_t s = 0x9e3779b97f4a7c15ull + (uint64_t)_i;
	for (int round = 0; round < 500; round++) {
		json_t *a = random_object(&s, 0);
		json_t *b = mutate(&s, a, 0);
		roundtrip_json(a, b);
		roundtrip_json(b, a);
		json_decref(a);
		json_decref(b);
	}
}
END_TEST

/* ---- from the topology structures ---- */

static const struct resource *find(const struct catalog *c, const char *id)
{
	for (size_t i = 0; i < c->nres; i++)
		if (strcmp(c->res[i].id, id) == 0)
			return &c->res[i];
	return NULL;
}

struct version {
	struct topo *t;
	struct catalog *c;
};

static struct version version_of(const struct gen *g)
{
	struct version v;
	struct diag d;
	char *yaml = gen_yaml(g);
	v.t = load_ok(yaml);
	free(yaml);
	diag_init(&d);
	ck_assert_int_eq(catalog_build_topo(v.t, &v.c, &d), 0);
	diag_free(&d);
	return v;
}

static void version_free(struct version *v)
{
	catalog_free(v->c);
	topo_free(v->t);
}

/* every network map and cost map of a, patched, is b's */
static void check_topo_patches(const struct version *a, const struct version *b, size_t *checked)
{
	for (size_t i = 0; i < b->c->nres; i++) {
		const struct resource *rb = &b->c->res[i];
		if (rb->kind != RES_NETWORKMAP && rb->kind != RES_COSTMAP)
			continue;
		const struct resource *ra = find(a->c, rb->id);
		ck_assert_ptr_nonnull(ra);
		struct buf merge, jp;
		buf_init(&merge);
		buf_init(&jp);
		if (rb->kind == RES_NETWORKMAP)
			ck_assert_int_eq(patch_networkmap(ra->nm, rb->nm, &merge), 0);
		else
			ck_assert_int_eq(patch_costmap(ra->nm, &ra->ct, rb->nm, &rb->ct, &merge, &jp), 0);
		json_t *want = parse_ok(rb->body);
		json_t *mp = parse_ok(merge.data);
		json_t *got = merge_apply(parse_ok(ra->body), mp);
		ck_assert_msg(json_equal(got, want), "%s: merge patch %s", rb->id, merge.data);
		if (strcmp(ra->body, rb->body) == 0) /* unchanged: an empty patch */
			ck_assert_str_eq(merge.data, rb->kind == RES_NETWORKMAP ? "{}" : "{}");
		json_decref(got);
		json_decref(mp);
		if (rb->kind == RES_COSTMAP) {
			json_t *ops = parse_ok(jp.data);
			got = parse_ok(ra->body);
			ck_assert_msg(jsonpatch_apply(&got, ops) == 0, "%s: JSON patch %s does not apply", rb->id,
			              jp.data);
			ck_assert_msg(json_equal(got, want), "%s: JSON patch %s", rb->id, jp.data);
			if (strcmp(ra->body, rb->body) == 0)
				ck_assert_str_eq(jp.data, "[]");
			json_decref(got);
			json_decref(ops);
		}
		json_decref(want);
		buf_free(&merge);
		buf_free(&jp);
		(*checked)++;
	}
}

START_TEST(random_maps)
{
	uint64_t s = 0x2545f4914f6cdd1dull + (uint64_t)_i * 7919;
	struct gen g;
	size_t checked = 0;
	gen_init(&g, &s);
	struct version prev = version_of(&g);
	for (int round = 0; round < 40; round++) {
		gen_mutate(&g, &s, round % 4 == 0 ? 0 : round % 4 == 1 ? 2 : round % 4 == 2 ? 10 : 40);
		struct version next = version_of(&g);
		check_topo_patches(&prev, &next, &checked);
		check_topo_patches(&next, &prev, &checked);
		version_free(&prev);
		prev = next;
	}
	version_free(&prev);
	ck_assert_uint_ge(checked, 40 * 2 * 5); /* a network map, 2 metrics x 2 modes */
}
END_TEST

/* A cost map patch names only what changed; its meta only when the
 * network map's vtag changed */
START_TEST(costmap_patch_is_minimal)
{
	const char *a = "network-maps: {m: {pids: {A: {ipv4: [10.0.0.0/8]}, B: {ipv4: [11.0.0.0/8]}}}}\n"
	                "cost-maps: {m: {routingcost: {A: {A: 1, B: 2}, B: {A: 3, B: 4}}}}\n";
	const char *b = "network-maps: {m: {pids: {A: {ipv4: [10.0.0.0/8]}, B: {ipv4: [11.0.0.0/8]}}}}\n"
	                "cost-maps: {m: {routingcost: {A: {A: 1, B: 2}, B: {A: 3.5, B: 4}}}}\n";
	struct topo *ta = load_ok(a), *tb = load_ok(b);
	const struct topo_netmap *na = &ta->netmaps[0], *nb = &tb->netmaps[0];
	struct cost_type ca = {na->metrics, COST_NUMERICAL}, cb = {nb->metrics, COST_NUMERICAL};
	struct buf merge, jp;
	buf_init(&merge);
	buf_init(&jp);
	ck_assert_int_eq(patch_costmap(na, &ca, nb, &cb, &merge, &jp), 0);
	ck_assert_str_eq(merge.data, "{\"cost-map\":{\"B\":{\"A\":3.5}}}");
	ck_assert_str_eq(jp.data, "[{\"op\":\"replace\",\"path\":\"/cost-map/B/A\",\"value\":3.5}]");
	buf_free(&merge);
	buf_free(&jp);
	/* ordinal: B->A still ranks third, nothing changes */
	ca.mode = cb.mode = COST_ORDINAL;
	buf_init(&merge);
	buf_init(&jp);
	ck_assert_int_eq(patch_costmap(na, &ca, nb, &cb, &merge, NULL), 0);
	ck_assert_str_eq(merge.data, "{}");
	ck_assert_ptr_null(jp.data);
	buf_free(&merge);
	/* network map unchanged: "{}" */
	ck_assert_int_eq(patch_networkmap(na, nb, &merge), 0);
	ck_assert_str_eq(merge.data, "{}");
	buf_free(&merge);
	topo_free(ta);
	topo_free(tb);
}
END_TEST

/* A row whose every cost changed (ordinal ranks shift) is replaced whole in
 * the JSON patch: fewer bytes than one operation per cost */
static void costmap_patches(const char *costs_a, const char *costs_b, enum cost_mode mode, const char *want_merge,
                            const char *want_jp)
{
	char *ya, *yb;
	const char *net = "network-maps: {m: {pids: {A: {ipv4: [10.0.0.0/8]}, B: {ipv4: [11.0.0.0/8]}, "
	                  "C: {ipv4: [12.0.0.0/8]}, D: {ipv4: [13.0.0.0/8]}}}}\n";
	ck_assert_int_ge(asprintf(&ya, "%scost-maps: {m: {routingcost: %s}}\n", net, costs_a), 0);
	ck_assert_int_ge(asprintf(&yb, "%scost-maps: {m: {routingcost: %s}}\n", net, costs_b), 0);
	struct topo *ta = load_ok(ya), *tb = load_ok(yb);
	const struct topo_netmap *na = &ta->netmaps[0], *nb = &tb->netmaps[0];
	struct cost_type ca = {na->metrics, mode}, cb = {nb->metrics, mode};
	struct buf merge, jp;
	buf_init(&merge);
	buf_init(&jp);
	ck_assert_int_eq(patch_costmap(na, &ca, nb, &cb, &merge, &jp), 0);
	ck_assert_str_eq(merge.data, want_merge);
	ck_assert_str_eq(jp.data, want_jp);
	buf_free(&merge);
	buf_free(&jp);
	topo_free(ta);
	topo_free(tb);
	free(ya);
	free(yb);
}

/* A row whose every cost changed (an ordinal map's ranks shift) is
 * replaced whole in the JSON patch: fewer bytes than one operation per
 * cost; a row with one change keeps its one operation */
START_TEST(jsonpatch_replaces_rows_when_shorter)
{
	costmap_patches("{A: {A: 2, B: 3, C: 4, D: 5}, B: {A: 6, B: 7}}",
	                "{A: {A: 2, B: 3, C: 4, D: 5}, B: {A: 6, B: 1}}", COST_ORDINAL,
	                "{\"cost-map\":{\"A\":{\"A\":2,\"B\":3,\"C\":4,\"D\":5},\"B\":{\"A\":6,\"B\":1}}}",
	                "[{\"op\":\"replace\",\"path\":\"/cost-map/A\",\"value\":{\"A\":2,\"B\":3,\"C\":4,\"D\":5}},"
	                "{\"op\":\"replace\",\"path\":\"/cost-map/B\",\"value\":{\"A\":6,\"B\":1}}]");
	costmap_patches("{A: {A: 2, B: 3, C: 4, D: 5}, B: {A: 6, B: 7, C: 1, D: 1}}",
	                "{A: {A: 12, B: 13, C: 14, D: 15}, B: {A: 6, B: 7, C: 1, D: 2}}", COST_NUMERICAL,
	                "{\"cost-map\":{\"A\":{\"A\":12,\"B\":13,\"C\":14,\"D\":15},\"B\":{\"D\":2}}}",
	                "[{\"op\":\"replace\",\"path\":\"/cost-map/A\",\"value\":{\"A\":12,\"B\":13,\"C\":14,\"D\":"
	                "15}},{\"op\":\"replace\",\"path\":\"/cost-map/B/D\",\"value\":2}]");
	/* the other way round: the row with one change first */
	costmap_patches("{A: {A: 6, B: 7, C: 1, D: 1}, B: {A: 2, B: 3, C: 4, D: 5}}",
	                "{A: {A: 6, B: 7, C: 1, D: 2}, B: {A: 12, B: 13, C: 14, D: 15}}", COST_NUMERICAL,
	                "{\"cost-map\":{\"A\":{\"D\":2},\"B\":{\"A\":12,\"B\":13,\"C\":14,\"D\":15}}}",
	                "[{\"op\":\"replace\",\"path\":\"/cost-map/A/D\",\"value\":2},{\"op\":\"replace\",\"path\":"
	                "\"/cost-map/B\",\"value\":{\"A\":12,\"B\":13,\"C\":14,\"D\":15}}]");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("patch");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rfc7396_examples);
	tcase_add_test(tc, merge_cannot_say_null);
	tcase_add_test(tc, pointer_escaping);
	tcase_add_test(tc, rfc6902_examples);
	tcase_add_loop_test(tc, random_documents, 0, 4);
	tcase_add_loop_test(tc, random_maps, 0, 4);
	tcase_add_test(tc, costmap_patch_is_minimal);
	tcase_add_test(tc, jsonpatch_replaces_rows_when_shorter);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)
