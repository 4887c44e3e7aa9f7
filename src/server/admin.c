/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The admin listener (admin.h). One libmicrohttpd daemon with one
 * internal thread: a scrape every few seconds and a load balancer's checks
 * need no pool, and nothing here touches the ALTO listeners' threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <microhttpd.h>

#include "server/admin.h"
#include "server/tls.h"
#include "util/err.h"
#include "util/log.h"
#include "http_internal.h"

#define ADMIN_REALM "altod admin"
/* Failed Basic authentications per peer address: 10 at once, then one per
 * 10 seconds. Past that every request from the address gets 429 before its
 * credentials are looked at, so guessing cannot go faster and a right guess
 * is not told apart. Prometheus sends the right password: it never gets
 * here. */
#define ADMIN_FAIL_BURST 10
#define ADMIN_FAIL_RATE 0.1
#define ADMIN_FAIL_TABLE 1024

struct admin {
	struct MHD_Daemon *mhd;
	struct metrics *metrics;
	_Atomic(struct snapshot_slot *) slot; /* NULL: no snapshot serving yet */
	_Atomic(struct server *) srv;
	struct conf_admin_user *users; /* copies; none: no credentials asked */
	size_t nusers;
	struct bucket_table fails; /* failed authentications per peer address */
	bool fails_init;
	char *cert_pem, *key_pem;
	char name[80];
};

unsigned health_answer(const char *path, bool ready, const char **body)
{
	if (strcmp(path, "/healthz") == 0) {
		*body = "ok\n";
		return MHD_HTTP_OK;
	}
	if (strcmp(path, "/readyz") == 0) {
		*body = ready ? "ready\n" : "not ready\n";
		return ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	return 0;
}

static bool ready(struct admin *a)
{
	return atomic_load(&a->slot) != NULL;
}

/* What the snapshot holds, counted the way snapshot_summary does */
static void snapshot_gauges(struct snapshot_slot *slot, struct metrics_gauges *g)
{
	struct snapshot *s = slot_acquire(slot);
	const struct topo *t = s->topo;
	g->have_snapshot = true;
	g->maps = t->nnetmaps;
	for (uint32_t i = 0; i < t->nnetmaps; i++) {
		g->pids += t->netmaps[i].npids;
		g->prefixes += t->netmaps[i].nprefixes;
		for (uint32_t k = 0; k < t->netmaps[i].nmetrics; k++)
			g->cost_pairs += t->netmaps[i].metrics[k].nentries;
	}
	const struct catalog *cat = s->cat ? s->cat : s->access->universe;
	g->resources = cat->nres;
	for (size_t i = 0; i < cat->nres; i++)
		g->bytes += cat->res[i].body_len + (cat->res[i].gz ? cat->res[i].gz_len : 0);
	g->load_seconds = s->load_seconds;
	snapshot_unref(s);
	g->snapshots_live = slot_live(slot);
}

static double resident_bytes(void)
{
	char line[128];
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL)
		return -1;
	char *got = fgets(line, sizeof(line), f);
	fclose(f);
	return got ? metrics_statm_rss(line, sysconf(_SC_PAGESIZE)) : -1;
}

static char *render(struct admin *a, size_t *len)
{
	struct metrics_gauges g = {.ready = ready(a), .resident_bytes = resident_bytes()};
	struct snapshot_slot *slot = atomic_load(&a->slot);
	struct server *srv = atomic_load(&a->srv);
	if (slot)
		snapshot_gauges(slot, &g);
	if (srv) {
		g.cut_request = atomic_load(&srv->cut_request);
		g.cut_response = atomic_load(&srv->cut_response);
	}
	struct buf b;
	buf_init(&b);
	metrics_render(a->metrics, &g, &b);
	return buf_finish(&b, len);
}

/* The peer address as a throttle key (an IPv4 client on a dual-stack
 * socket as IPv4) */
static size_t peer_key(struct MHD_Connection *c, uint8_t key[THROTTLE_ADDR_KEY])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	uint8_t addr[16] = {0};
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, 4);
		return throttle_addr_key(false, addr, key);
	}
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6) {
		const uint8_t *v6 = ((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr.s6_addr;
		if (memcmp(v6, mapped, 12) == 0) {
			memcpy(addr, v6 + 12, 4);
			return throttle_addr_key(false, addr, key);
		}
		memcpy(addr, v6, 16);
		return throttle_addr_key(true, addr, key);
	}
	key[0] = 0;
	return 1;
}

enum admin_auth { ADMIN_AUTH_OK, ADMIN_AUTH_NONE, ADMIN_AUTH_FAILED };

/* Basic credentials of one of the users (RFC 7617), checked against every
 * user whatever matches, so the time taken does not tell which names
 * exist. ADMIN_AUTH_NONE: no Basic credentials sent. */
static enum admin_auth authorized(struct admin *a, struct MHD_Connection *c)
{
	if (a->nusers == 0)
		return ADMIN_AUTH_OK;
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(c, &pass);
	bool ok = false, sent = user != NULL;
	if (user && pass) {
		uint8_t h[32];
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, pass, strlen(pass), h) == 0) {
			for (size_t i = 0; i < a->nusers; i++) {
				unsigned diff = strcmp(user, a->users[i].user) != 0;
				for (size_t k = 0; k < 32; k++)
					diff |= h[k] ^ a->users[i].sha256[k];
				ok |= diff == 0;
			}
		}
		memset(pass, 0, strlen(pass));
	}
	MHD_free(user);
	MHD_free(pass);
	return ok ? ADMIN_AUTH_OK : sent ? ADMIN_AUTH_FAILED : ADMIN_AUTH_NONE;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *ctype, char *body, size_t len,
                              bool owned, const char *allow)
{
	struct MHD_Response *r = owned ? MHD_create_response_from_buffer_with_free_callback(len, body, free)
	                               : MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_text(struct MHD_Connection *c, unsigned status, const char *body, const char *allow)
{
	return answer(c, status, "text/plain; charset=utf-8", (char *)body, strlen(body), false, allow);
}

static enum MHD_Result admin_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                     const char *version, const char *upload_data, size_t *upload_data_size,
                                     void **con_cls)
{
	struct admin *a = cls;
	if (*con_cls == NULL) { /* headers only: wait for the whole request */
		*con_cls = a;
		return MHD_YES;
	}
	if (*upload_data_size) { /* no body is read: dropped */
		*upload_data_size = 0;
		return MHD_YES;
	}
	uint8_t key[THROTTLE_ADDR_KEY];
	size_t klen = a->nusers ? peer_key(c, key) : 0;
	double ra = 0;
	if (a->nusers && !buckets_peek(&a->fails, key, klen, ADMIN_FAIL_RATE, ADMIN_FAIL_BURST, &ra)) {
		struct MHD_Response *r = MHD_create_response_from_buffer(
		        strlen("Too Many Requests: too many failed authentications\n"),
		        (void *)"Too Many Requests: too many failed authentications\n", MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		char secs[32];
		snprintf(secs, sizeof(secs), "%u", retry_after_seconds(ra));
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
		enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_TOO_MANY_REQUESTS, r);
		MHD_destroy_response(r);
		return ret;
	}
	enum admin_auth who = authorized(a, c);
	if (who == ADMIN_AUTH_FAILED)
		buckets_take(&a->fails, key, klen, ADMIN_FAIL_RATE, ADMIN_FAIL_BURST, &ra);
	if (who != ADMIN_AUTH_OK) {
		static const char no[] = "Unauthorized\n";
		struct MHD_Response *r =
		        MHD_create_response_from_buffer(sizeof(no) - 1, (void *)no, MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
		enum MHD_Result ret = MHD_queue_basic_auth_fail_response(c, ADMIN_REALM, r);
		MHD_destroy_response(r);
		return ret;
	}
	const char *body;
	unsigned status = health_answer(url, ready(a), &body);
	bool metrics = strcmp(url, "/metrics") == 0;
	if (status == 0 && !metrics)
		return answer_text(c, MHD_HTTP_NOT_FOUND, "Not Found: /metrics, /healthz, /readyz\n", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n", "GET, HEAD");
	if (!metrics)
		return answer_text(c, status, body, NULL);
	size_t len = 0;
	char *out = render(a, &len);
	if (out == NULL)
		return answer_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "Service Unavailable: out of memory\n", NULL);
	/* the version of the text format this is (Prometheus "Exposition formats") */
	return answer(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out, len, true, NULL);
}

static void admin_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void admin_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOG_LVL_WARNING, "admin", fmt, ap);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	bool bad = ferror(f) != 0;
	fclose(f);
	size_t len;
	char *out = buf_finish(&b, &len);
	if (bad || out == NULL || len == 0) {
		free(out);
		return NULL;
	}
	return out;
}

int admin_check(const struct conf *c, struct diag *d)
{
	if (c->admin == NULL || c->admin->l.tls == NULL)
		return 0;
	struct tls_state *st = NULL;
	int rc = tls_state_load(c, &c->admin->l, &st, d);
	tls_state_free(st);
	return rc;
}

static void admin_free(struct admin *a)
{
	if (a->key_pem) {
		memset(a->key_pem, 0, strlen(a->key_pem));
		free(a->key_pem);
	}
	free(a->cert_pem);
	for (size_t i = 0; i < a->nusers; i++)
		free(a->users[i].user);
	free(a->users);
	if (a->fails_init)
		buckets_destroy(&a->fails);
	free(a);
}

int admin_start(const struct conf *c, struct metrics *m, struct admin **out)
{
	const struct conf_admin *ca = c->admin;
	*out = NULL;
	if (ca == NULL)
		return 0;
	struct admin *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return ALTOD_ENOMEM;
	a->metrics = m;
	if (buckets_init(&a->fails, ADMIN_FAIL_TABLE) != 0) {
		free(a);
		return ALTOD_ENOMEM;
	}
	a->fails_init = true;
	a->users = calloc(ca->nusers ? ca->nusers : 1, sizeof(*a->users));
	for (size_t i = 0; a->users && i < ca->nusers; i++) {
		a->users[i] = ca->users[i];
		a->users[i].user = strdup(ca->users[i].user);
		a->nusers = i + 1;
		if (a->users[i].user == NULL)
			break;
	}
	if (a->users == NULL || a->nusers != ca->nusers || (a->nusers && a->users[a->nusers - 1].user == NULL)) {
		admin_free(a);
		return ALTOD_ENOMEM;
	}
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	/* epoll: connection descriptors may be past FD_SETSIZE when the ALTO
	 * listeners hold thousands of connections. ITC: MHD_stop_daemon wakes
	 * the polling thread through its own channel, not by shutting the
	 * listening socket down and hoping epoll notices (twice, under
	 * valgrind on a loaded machine, altod did not stop within 100 s) */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	if (inet_pton(AF_INET, ca->l.address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ca->l.port);
	} else if (inet_pton(AF_INET6, ca->l.address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ca->l.port);
		flags |= MHD_USE_IPv6;
	} else {
		log_err("admin", "admin listener %s: not a numeric address", ca->l.address);
		admin_free(a);
		return ALTOD_ELISTEN;
	}
	struct MHD_OptionItem tls_opts[] = {
	        {MHD_OPTION_END, 0, NULL},
	        {MHD_OPTION_END, 0, NULL},
	        {MHD_OPTION_END, 0, NULL},
	        {MHD_OPTION_END, 0, NULL},
	};
	if (ca->l.tls) {
		a->cert_pem = read_file(ca->l.tls->certificate);
		a->key_pem = read_file(ca->l.tls->key);
		if (a->cert_pem == NULL || a->key_pem == NULL) {
			log_err("admin", "admin tls: cannot read %s",
			        a->cert_pem ? ca->l.tls->key : ca->l.tls->certificate);
			admin_free(a);
			return ALTOD_ELISTEN;
		}
		flags |= MHD_USE_TLS;
		tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, a->cert_pem};
		tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, a->key_pem};
		tls_opts[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, ca->l.tls->priorities};
	}
	/* clang-format off */
	a->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, admin_request, a,
		MHD_OPTION_EXTERNAL_LOGGER, admin_log, a,
		MHD_OPTION_ARRAY, tls_opts,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		MHD_OPTION_END);
	/* clang-format on */
	if (a->mhd == NULL) {
		log_err("admin", "cannot start the admin listener on %s port %u: %s", ca->l.address, ca->l.port,
		        strerror(errno));
		admin_free(a);
		return ALTOD_ELISTEN;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = di ? di->port : ca->l.port;
	snprintf(a->name, sizeof(a->name), s4->sin_family == AF_INET ? "%s://%s:%u/" : "%s://[%s]:%u/",
	         ca->l.tls ? "https" : "http", ca->l.address, port);
	log_info("admin", "admin listener on %s (metrics, healthz, readyz%s)", a->name,
	         a->nusers ? "; Basic credentials" : "");
	*out = a;
	return 0;
}

void admin_serving(struct admin *a, struct snapshot_slot *slot, struct server *srv)
{
	if (a == NULL)
		return;
	atomic_store(&a->srv, srv);
	atomic_store(&a->slot, slot);
}

void admin_stop(struct admin *a)
{
	if (a == NULL)
		return;
	MHD_stop_daemon(a->mhd);
	admin_free(a);
}
