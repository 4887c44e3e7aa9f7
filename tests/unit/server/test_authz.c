/* SPDX-License-Identifier: BSD-2-Clause */
/* The authorization decision (authz.h), without libmicrohttpd: identity ->
 * catalog -> limits for crafted requests, each refusal with the attempt
 * that tries to get around it (replay, guessing past the throttle, Basic
 * in clear, two sets of credentials, another connection past the limit). */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snap/access.h"
#include "server/authz.h"
#include "util/err.h"
#include "fixtures.h"
#include "testutil.h"

#define NM "my-default-network-map"
#define PW "b-password"

static char dir[64];
static char maps_path[sizeof(dir) + 16];
static char sha_hex[65], md5_hex[33];
static uint8_t ha1_sha[32];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/altod-test-authz-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(maps_path, sizeof(maps_path), "%s/maps.yaml", dir);
	FILE *f = fopen(maps_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(RFC_MAPS, f);
	fclose(f);
	ck_assert_int_eq(auth_hash_password("tenant-b", "altod", PW, sha_hex, md5_hex), 0);
	for (size_t i = 0; i < 32; i++) {
		unsigned v;
		sscanf(sha_hex + 2 * i, "%2x", &v);
		ha1_sha[i] = (uint8_t)v;
	}
}

static void teardown(void)
{
	unlink(maps_path);
	rmdir(dir);
}

/* access with @SHA@ and @MD5@ replaced by tenant-b's HA1 hashes */
static void with_hashes(const char *access, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = access; *p && o + 65 < len;) {
		const char *h = strncmp(p, "@SHA@", 5) == 0 ? sha_hex : strncmp(p, "@MD5@", 5) == 0 ? md5_hex : NULL;
		if (h) {
			o += (size_t)snprintf(out + o, len - o, "%s", h);
			p += 5;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

/* A snapshot of the RFC example maps with the access section `access`, or
 * none. */
static struct snapshot *build(const char *access)
{
	char text[4096], section[2048] = "";
	struct diag d;
	struct conf *c;
	struct snapshot *s;
	if (access)
		with_hashes(access, section, sizeof(section));
	snprintf(text, sizeof(text), "server: {listen: [{address: 127.0.0.1, port: 1}]}\nmaps: [%s]\n%s", maps_path,
	         section);
	diag_init(&d);
	ck_assert_int_eq(conf_load_mem("altod.yaml", text, &c, &d), 0);
	int rc = snapshot_build(c, &s, &d);
	if (rc != 0)
		ck_abort_msg("snapshot: %s", d.n ? d.msgs[0] : "?");
	conf_free(c);
	diag_free(&d);
	return s;
}

static const char *ACCESS = "access:\n"
                            "  secret: authz-unit-test-secret-0123\n"
                            "  anonymous-role: pub\n"
                            "  burst: 2\n"
                            "  rate: 0.001\n"
                            "  auth-failures:\n"
                            "    per-user: {rate: 0.001, burst: 3}\n"
                            "    per-address: {rate: 0.001, burst: 5}\n"
                            "  clients:\n"
                            "    tenant-b:\n"
                            "      password: {user: tenant-b, sha256: \"@SHA@\", md5: \"@MD5@\"}\n"
                            "      roles: [full]\n"
                            "      rate: 1000\n"
                            "      burst: 100\n"
                            "      max-connections: 1\n"
                            "  roles:\n"
                            "    full: [" NM ", " NM "-num-routingcost]\n"
                            "    pub: [" NM "]\n";

static struct authz z;

static void authz_setup(void)
{
	setup();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* nonces issued from a second before now on are new to this process */
	ck_assert_int_eq(authz_init(&z, ((int64_t)ts.tv_sec - 1) * 1000000000), 0);
}

static void authz_teardown(void)
{
	authz_destroy(&z);
	teardown();
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A request from peer 127.0.0.<last> on a TLS connection (or not). */
static struct authz_request request(uint8_t last, bool tls, const char *authorization)
{
	struct authz_request rq = {.method = "GET", .url = "/", .tls = tls};
	uint8_t addr[16] = {127, 0, 0, last};
	rq.peer_len = throttle_addr_key(false, addr, rq.peer);
	rq.authorization = authorization;
	rq.nauthorization = authorization ? 1 : 0;
	return rq;
}

/* A Digest answer of tenant-b (SHA-256) for GET / with nonce and nc. */
static void digest_answer(char *out, size_t len, const char *nonce, unsigned nc, const uint8_t *ha1)
{
	char ncs[9], resp[65];
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	digest_response_hex(DIGEST_SHA256, ha1, nonce, ncs, "c0ffee", "auth", "GET", "/", resp);
	snprintf(out, len,
	         "Digest username=\"tenant-b\", realm=\"altod\", nonce=\"%s\", uri=\"/\", algorithm=SHA-256, "
	         "response=\"%s\", qop=auth, nc=%s, cnonce=\"c0ffee\"",
	         nonce, resp, ncs);
}

static void fresh_nonce(const struct snapshot *s, int64_t at, char nonce[DIGEST_NONCE_HEX + 1])
{
	digest_nonce_issue(z.digest, s->access->nonce_key, at, nonce);
}

START_TEST(no_access_section_serves_everything)
{
	struct snapshot *s = build(NULL);
	struct authz_request rq = request(1, false, NULL);
	struct authz_decision d;
	struct client_state *conn = NULL;
	ck_assert(authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_ptr_eq(d.cat, s->cat);
	ck_assert_uint_eq(d.status, 0);
	/* credentials are not looked at: there is nobody to be */
	rq = request(1, false, "Basic !!!");
	ck_assert(authz_decide(&z, s, &rq, &conn, &d));
	snapshot_unref(s);
}
END_TEST

START_TEST(anonymous_per_peer_address)
{
	struct snapshot *s = build(ACCESS);
	struct authz_decision d;
	struct client_state *conn = NULL;
	/* burst 2 for each address, not 2 for every anonymous client together */
	for (int i = 0; i < 2; i++) {
		struct authz_request rq = request(2, false, NULL);
		ck_assert(authz_decide(&z, s, &rq, &conn, &d));
		ck_assert_str_eq(d.client, "anonymous");
		ck_assert(d.anonymous);
		ck_assert_ptr_eq(d.cat, s->access->anonymous);
	}
	struct authz_request rq = request(2, false, NULL);
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 429);
	ck_assert(d.retry_after > 0);
	rq = request(3, false, NULL);
	ck_assert(authz_decide(&z, s, &rq, &conn, &d));
	snapshot_unref(s);
}
END_TEST

START_TEST(digest_then_replay)
{
	struct snapshot *s = build(ACCESS);
	char nonce[DIGEST_NONCE_HEX + 1], h[1024];
	fresh_nonce(s, now_ns(), nonce);
	struct authz_decision d;
	struct client_state *conn = NULL;
	digest_answer(h, sizeof(h), nonce, 1, ha1_sha);
	struct authz_request rq = request(4, true, h);
	ck_assert(authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_str_eq(d.client, "tenant-b");
	ck_assert_ptr_eq(d.cat, s->access->client_cat[0]);
	ck_assert_ptr_eq(conn, d.cs);
	/* the same header again: a replay */
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 401);
	ck_assert_str_eq(d.client, "?");
	ck_assert(d.digest_ok && d.basic_ok);
	/* the next nc goes on */
	digest_answer(h, sizeof(h), nonce, 2, ha1_sha);
	rq = request(4, true, h);
	ck_assert(authz_decide(&z, s, &rq, &conn, &d));
	snapshot_unref(s);
}
END_TEST

START_TEST(stale_nonce_only_for_a_right_answer)
{
	struct snapshot *s = build(ACCESS);
	char nonce[DIGEST_NONCE_HEX + 1], h[1024];
	fresh_nonce(s, now_ns() - (int64_t)1000 * 1000000000, nonce); /* older than the 300 s lifetime */
	struct authz_decision d;
	struct client_state *conn = NULL;
	digest_answer(h, sizeof(h), nonce, 1, ha1_sha);
	struct authz_request rq = request(5, true, h);
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 401);
	ck_assert(d.stale);
	uint8_t wrong[32] = {1};
	digest_answer(h, sizeof(h), nonce, 2, wrong);
	rq = request(5, true, h);
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 401);
	ck_assert(!d.stale);
	snapshot_unref(s);
}
END_TEST

START_TEST(credentials_only_over_tls)
{
	struct snapshot *s = build(ACCESS);
	char nonce[DIGEST_NONCE_HEX + 1], h[1024];
	fresh_nonce(s, now_ns(), nonce);
	struct authz_decision d;
	struct client_state *conn = NULL;
	/* a right Digest answer on plain HTTP without clear-digest: 403, and
	 * no challenge may be offered there */
	digest_answer(h, sizeof(h), nonce, 1, ha1_sha);
	struct authz_request rq = request(6, false, h);
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 403);
	ck_assert(!d.digest_ok && !d.basic_ok);
	/* with clear-digest it is taken (and was not used up by the 403) */
	rq.clear_digest = true;
	ck_assert(authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_str_eq(d.client, "tenant-b");
	/* Basic is never taken in clear, clear-digest or not */
	char basic[256], b64[128];
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *raw = "tenant-b:" PW;
	size_t n = strlen(raw), o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)raw[i] << 16 | (i + 1 < n ? (uint32_t)(uint8_t)raw[i + 1] << 8 : 0) |
		             (i + 2 < n ? (uint8_t)raw[i + 2] : 0);
		b64[o++] = tbl[v >> 18 & 63];
		b64[o++] = tbl[v >> 12 & 63];
		b64[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
		b64[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	b64[o] = '\0';
	snprintf(basic, sizeof(basic), "Basic %s", b64);
	rq = request(6, false, basic);
	rq.clear_digest = true;
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 401);
	rq = request(6, true, basic);
	ck_assert(authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_str_eq(d.client, "tenant-b");
	snapshot_unref(s);
}
END_TEST

START_TEST(guessing_is_throttled_before_the_check)
{
	struct snapshot *s = build(ACCESS);
	char nonce[DIGEST_NONCE_HEX + 1], h[1024];
	uint8_t wrong[32] = {2};
	struct authz_decision d;
	struct client_state *conn = NULL;
	/* per-user burst 3: three wrong answers are checked (401) ... */
	for (unsigned i = 1; i <= 3; i++) {
		fresh_nonce(s, now_ns(), nonce);
		digest_answer(h, sizeof(h), nonce, i, wrong);
		struct authz_request rq = request(7, true, h);
		ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
		ck_assert_uint_eq(d.status, 401);
	}
	/* ... then even the right password, from another address, is not */
	fresh_nonce(s, now_ns(), nonce);
	digest_answer(h, sizeof(h), nonce, 1, ha1_sha);
	struct authz_request rq = request(8, true, h);
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 429);
	ck_assert_str_eq(d.limited, "auth-failures-per-user");
	ck_assert(d.retry_after > 1);
	/* the answer was not checked: its nonce is still unused elsewhere */
	ck_assert_ptr_null(conn);
	snapshot_unref(s);
}
END_TEST

START_TEST(guessing_many_names_from_one_address)
{
	struct snapshot *s = build(ACCESS);
	struct authz_decision d;
	struct client_state *conn = NULL;
	char h[256];
	/* per-address burst 5: fake names do not get around it */
	for (int i = 0; i < 5; i++) {
		snprintf(h, sizeof(h), "Digest username=\"fake-%d\", realm=\"altod\"", i);
		struct authz_request rq = request(9, true, h);
		ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
		ck_assert_uint_eq(d.status, 401);
	}
	struct authz_request rq = request(9, true, "Digest username=\"fake-9\", realm=\"altod\"");
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 429);
	ck_assert_str_eq(d.limited, "auth-failures-per-address");
	/* an anonymous request from there is no guess: served */
	rq = request(9, true, NULL);
	ck_assert(authz_decide(&z, s, &rq, &conn, &d));
	snapshot_unref(s);
}
END_TEST

START_TEST(one_set_of_credentials)
{
	struct snapshot *s = build(ACCESS);
	char nonce[DIGEST_NONCE_HEX + 1], h[1024];
	fresh_nonce(s, now_ns(), nonce);
	digest_answer(h, sizeof(h), nonce, 1, ha1_sha);
	struct authz_request rq = request(10, true, h);
	rq.nauthorization = 2;
	struct authz_decision d;
	struct client_state *conn = NULL;
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 401);
	snapshot_unref(s);
}
END_TEST

START_TEST(connection_limit_per_client)
{
	struct snapshot *s = build(ACCESS);
	char nonce[DIGEST_NONCE_HEX + 1], h[1024];
	fresh_nonce(s, now_ns(), nonce);
	struct authz_decision d;
	struct client_state *first = NULL, *second = NULL;
	digest_answer(h, sizeof(h), nonce, 1, ha1_sha);
	struct authz_request rq = request(11, true, h);
	ck_assert(authz_decide(&z, s, &rq, &first, &d));
	ck_assert_uint_eq(first->conns, 1);
	/* max-connections 1: a second connection is refused, not counted */
	digest_answer(h, sizeof(h), nonce, 2, ha1_sha);
	rq = request(11, true, h);
	ck_assert(!authz_decide(&z, s, &rq, &second, &d));
	ck_assert_uint_eq(d.status, 429);
	ck_assert_ptr_null(second);
	ck_assert_uint_eq(first->conns, 1);
	/* the first one's further requests go on */
	digest_answer(h, sizeof(h), nonce, 3, ha1_sha);
	rq = request(11, true, h);
	ck_assert(authz_decide(&z, s, &rq, &first, &d));
	/* once it is closed, the other gets in */
	authz_connection_closed(first);
	digest_answer(h, sizeof(h), nonce, 4, ha1_sha);
	rq = request(11, true, h);
	bool ok = authz_decide(&z, s, &rq, &second, &d);
	ck_assert_msg(ok, "status %u %s", d.status, d.text);
	ck_assert_uint_eq(second->conns, 1);
	authz_connection_closed(second);
	snapshot_unref(s);
}
END_TEST

START_TEST(no_anonymous_role_means_a_challenge)
{
	struct snapshot *s = build("access:\n"
	                           "  clients:\n"
	                           "    tenant-b:\n"
	                           "      password: {user: tenant-b, sha256: \"@SHA@\", md5: \"@MD5@\"}\n"
	                           "      roles: [full]\n"
	                           "  roles:\n"
	                           "    full: [" NM "]\n");
	struct authz_decision d;
	struct client_state *conn = NULL;
	struct authz_request rq = request(12, true, NULL);
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 401);
	ck_assert_str_eq(d.client, "-");
	ck_assert(d.digest_ok && d.basic_ok && !d.stale);
	rq = request(12, false, NULL);
	ck_assert(!authz_decide(&z, s, &rq, &conn, &d));
	ck_assert_uint_eq(d.status, 403);
	snapshot_unref(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("authz");
	TCase *t = tcase_create("decide");
	tcase_add_checked_fixture(t, authz_setup, authz_teardown);
	tcase_add_test(t, no_access_section_serves_everything);
	tcase_add_test(t, anonymous_per_peer_address);
	tcase_add_test(t, digest_then_replay);
	tcase_add_test(t, stale_nonce_only_for_a_right_answer);
	tcase_add_test(t, credentials_only_over_tls);
	tcase_add_test(t, guessing_is_throttled_before_the_check);
	tcase_add_test(t, guessing_many_names_from_one_address);
	tcase_add_test(t, one_set_of_credentials);
	tcase_add_test(t, connection_limit_per_client);
	tcase_add_test(t, no_anonymous_role_means_a_challenge);
	suite_add_tcase(s, t);
	return s;
}

RUN_SUITE(suite)
