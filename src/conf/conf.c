/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "conf/adminconf.h"
#include "util/err.h"
#include "util/vec.h"
#include "conf/yp.h"
#include "conf/schema.h"

static void conf_defaults(struct conf *c)
{
	conf_section_defaults(&conf_schema_server, c);
	conf_section_defaults(&conf_schema_limits, &c->limits);
	conf_section_defaults(&conf_schema_updates, &c->updates);
}

void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	for (size_t i = 0; i < c->nlisten; i++) {
		free(c->listen[i].address);
		conf_tls_free(c->listen[i].tls);
		free(c->listen[i].base_url);
		free(c->listen[i].trusted_proxies);
	}
	free(c->listen);
	for (size_t i = 0; i < c->nmaps; i++)
		free(c->maps[i]);
	free(c->maps);
	free(c->maps_at);
	policy_free(c->access);
	free(c->digest_listen);
	conf_admin_free(c->admin);
	free(c);
}

void conf_tls_free(struct conf_tls *t)
{
	if (t == NULL)
		return;
	free(t->certificate);
	free(t->key);
	free(t->client_ca);
	free(t->client_crl);
	free(t->priorities_conf);
	free(t->priorities);
	free(t);
}

static char *resolve(const char *conf_path, const char *p);

/* a path, resolved against the config file's folder */
static bool check_path(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj, void *ctx)
{
	const struct conf *c = ctx;

	(void)obj;
	if ((*v)[0] == '\0') {
		yp_error(y, m, "%s: empty path", it->name);
		return false;
	}
	char *full = resolve(c->path, *v);
	free(*v);
	*v = full;
	return true;
}

/* A priority string may not ask for a protocol version below TLS 1.2 by
 * name: such a request would be silently undone by TLS_PRIORITIES_FLOOR, so
 * it is refused instead. Returns the version named, or NULL. GnuTLS reads
 * keywords case-insensitively and separates them with ':'. */
static const char *old_version_asked(const char *prio)
{
	static const char *const old[] = {"VERS-SSL3.0", "VERS-TLS1.0", "VERS-TLS1.1", "VERS-DTLS0.9", "VERS-DTLS1.0"};
	for (const char *p = prio; *p;) {
		size_t n = strcspn(p, ":");
		if (p[0] == '+')
			for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++)
				if (n - 1 == strlen(old[i]) && strncasecmp(p + 1, old[i], n - 1) == 0)
					return old[i];
		p += n;
		if (*p == ':')
			p++;
	}
	return NULL;
}

/* kept as written in priorities_conf; its offset is the string in use */
static bool check_priorities(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj, void *ctx)
{
	struct conf_tls *t = obj;

	(void)it;
	(void)ctx;
	const char *old = old_version_asked(*v);
	if (old)
		yp_error(y, m, "priorities '%s' enables %s: altod never speaks a protocol below TLS 1.2 (RFC 8996)", *v,
		         old);
	free(t->priorities_conf);
	t->priorities_conf = *v;
	*v = NULL;
	t->prio_line = m.line;
	t->prio_col = m.col;
	return false;
}

/* CONF_ENUM stores an int */
_Static_assert(sizeof(enum tls_client_auth) == sizeof(int), "client-auth is stored as an int");
static const char *const client_auth_values[] = {
        [TLS_CLIENT_NONE] = "none", [TLS_CLIENT_OPTIONAL] = "optional", [TLS_CLIENT_REQUIRE] = "require", NULL};

static const struct conf_item tls_items[] = {
        {.name = "certificate",
         .type = CONF_PATH,
         .flags = CONF_REQUIRED,
         .offset = offsetof(struct conf_tls, certificate),
         .check = check_path,
         .doc = "PEM: the server certificate, then its chain"},
        {.name = "key",
         .type = CONF_PATH,
         .flags = CONF_REQUIRED,
         .offset = offsetof(struct conf_tls, key),
         .check = check_path,
         .doc = "PEM: its private key (must match the certificate)"},
        {.name = "client-ca",
         .type = CONF_PATH,
         .offset = offsetof(struct conf_tls, client_ca),
         .check = check_path,
         .doc = "PEM: the CAs that sign client certificates; a client certificate is verified during the "
                "handshake (TLS client purpose), and again on each open connection after a reload that changed "
                "`client-ca`, `client-crl` or `client-auth` (see below)"},
        {.name = "client-crl",
         .type = CONF_PATH,
         .offset = offsetof(struct conf_tls, client_crl),
         .check = check_path,
         .doc = "the CRLs of those CAs: PEM (one or more) or DER (one). A revoked certificate (or one under a "
                "revoked intermediate) fails the handshake. Needs `client-ca`; each CRL must verify against it "
                "and must not be past its next update, else a load error at this key's line. altod never "
                "fetches CRLs: publish a new file and reload. With `client-auth: none` neither file is read"},
        {.name = "client-auth",
         .type = CONF_ENUM,
         .values = client_auth_values,
         .offset = offsetof(struct conf_tls, client_auth),
         .def = "`require` with `client-ca`, else `none`",
         .doc = "`require`: no verified client certificate, no connection; `optional`: one may be sent and, if "
                "sent, must verify"},
        /* compared on reload as used: with the floor appended */
        {.name = "priorities",
         .type = CONF_STRING,
         .flags = CONF_RESTART,
         .check = check_priorities,
         .offset = offsetof(struct conf_tls, priorities),
         .type_doc = "GnuTLS priority string",
         .def = "TLS 1.2 and 1.3, AEAD ciphers only",
         .doc = "the ciphers and versions offered. Never below TLS 1.2: altod appends "
                "`" TLS_PRIORITIES_FLOOR "` to every string (so `NORMAL` means TLS 1.2 and 1.3), and a string "
                "that asks for one of those versions by name (`+VERS-TLS1.0`, ...) or leaves neither TLS 1.2 nor "
                "1.3 on is a load error at its line"},
};
static const struct conf_section tls_schema = {
        .name = "tls", .path = "server.listen[].tls.", .items = CONF_ITEMS(tls_items)};

static struct conf_tls *parse_tls(struct yp *y, const struct conf *c)
{
	struct yp_mark start = yp_mark(y);
	struct conf_tls *t = calloc(1, sizeof(*t));
	struct conf_seen seen = {0};

	if (t == NULL || !conf_section_parse(y, &tls_schema, NULL, t, (void *)c, &seen)) {
		free(t);
		return NULL;
	}
	if (t->certificate == NULL || t->key == NULL)
		yp_error(y, start, "tls needs a certificate and a key");
	if (conf_seen_at(&tls_schema, &seen, "client-auth").line == 0 && t->client_ca)
		t->client_auth = TLS_CLIENT_REQUIRE; /* a CA given: clients must show a certificate it signed */
	if (t->client_auth != TLS_CLIENT_NONE && t->client_ca == NULL)
		yp_error(y, start, "client-auth: %s needs client-ca, the CA that signs client certificates",
		         client_auth_values[t->client_auth]);
	struct yp_mark crl = conf_seen_at(&tls_schema, &seen, "client-crl");
	t->crl_line = crl.line;
	t->crl_col = crl.col;
	if (t->client_crl && t->client_ca == NULL)
		yp_error(y, crl, "client-crl needs client-ca, the CA whose revocations it lists");
	if (t->priorities_conf == NULL)
		t->priorities_conf = strdup(TLS_DEFAULT_PRIORITIES);
	if (t->priorities_conf) {
		size_t n = strlen(t->priorities_conf) + sizeof(TLS_PRIORITIES_FLOOR);
		t->priorities = malloc(n);
		if (t->priorities)
			snprintf(t->priorities, n, "%s%s", t->priorities_conf, TLS_PRIORITIES_FLOOR);
	}
	if (t->priorities == NULL)
		yp_error(y, start, "out of memory");
	return t;
}

void conf_tls_item_parse(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct conf_listener *l = obj;
	(void)it;
	(void)key;
	conf_tls_free(l->tls);
	l->tls = parse_tls(y, ctx);
}

bool conf_is_loopback(const char *a)
{
	unsigned char b[16];
	static const unsigned char v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	if (inet_pton(AF_INET, a, b) == 1)
		return b[0] == 127;
	return inet_pton(AF_INET6, a, b) == 1 && memcmp(b, v6lo, 16) == 0;
}

/* RFC 3986 §3.2.2: a host as a URI may carry it (IP-literal in brackets,
 * or reg-name / IPv4address), then an optional port. */
static bool uri_authority_ok(const char *s, size_t n)
{
	size_t i = ip_uri_host_len(s, n, false);
	if (i == 0)
		return false;
	if (i == n)
		return true;
	if (s[i] != ':' || i + 1 == n || n - i - 1 > 5)
		return false;
	unsigned port = 0;
	for (i++; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		port = port * 10 + (unsigned)(s[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

/* server.listen[].base-url: "http(s)://authority[/path]", no query, no
 * fragment, no userinfo; a trailing slash is dropped (the directory's
 * URIs are appended to it, each starting with one). NULL, or why not. */
static const char *base_url_error(char *v)
{
	size_t k = strncmp(v, "https://", 8) == 0 ? 8 : strncmp(v, "http://", 7) == 0 ? 7 : 0;
	if (k == 0)
		return "must start with http:// or https://";
	const char *path = strpbrk(v + k, "/?#"); /* RFC 3986 §3.2: the authority ends there */
	size_t alen = path ? (size_t)(path - (v + k)) : strlen(v + k);
	if (!uri_authority_ok(v + k, alen))
		return "needs a host (a name, an IPv4 address or an IPv6 one in brackets) and at most a port after it";
	for (const char *p = path; p && *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._~!$&'()*+,;=%:@/", *p))
			return "may have a path, but no query, fragment, space or other character a URI path cannot "
			       "carry unescaped";
	size_t n = strlen(v);
	while (n > k + alen && v[n - 1] == '/')
		v[--n] = '\0';
	if (n > 1024)
		return "is longer than 1024 characters";
	return NULL;
}

static bool check_base_url(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj, void *ctx)
{
	(void)it;
	(void)obj;
	(void)ctx;
	const char *why = base_url_error(*v);
	if (why)
		yp_error(y, m, "base-url '%s' %s", *v, why);
	return why == NULL;
}

struct proxies_arg {
	struct conf_listener *l;
	size_t cap;
};

static void trusted_proxy(struct yp *y, char *v, struct yp_mark vm, void *arg)
{
	struct proxies_arg *a = arg;
	struct conf_listener *l = a->l;
	struct ip_prefix pfx = {0};
	const char *why = NULL;
	bool ok;
	if (strchr(v, '/')) {
		ok = ip_prefix_parse(v, strchr(v, ':') ? IP_V6 : IP_V4, &pfx, &why) == 0;
	} else {
		pfx.family = strchr(v, ':') ? IP_V6 : IP_V4;
		pfx.len = pfx.family == IP_V6 ? 128 : 32;
		ok = ip_addr_parse(v, (enum ip_family)pfx.family, pfx.addr) == 0;
		why = "not a numeric IPv4 or IPv6 address";
	}
	if (!ok) {
		yp_error(y, vm, "trusted proxy '%s': %s", v, why ? why : "not an address or a prefix");
	} else if (!VEC_PUSH(l->trusted_proxies, l->ntrusted_proxies, a->cap)) {
		yp_error(y, vm, "out of memory");
	} else {
		l->trusted_proxies[l->ntrusted_proxies++] = pfx;
	}
	free(v);
}

/* server.listen[].trusted-proxies: addresses or prefixes */
static void parse_trusted_proxies(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct proxies_arg a = {obj, ((struct conf_listener *)obj)->ntrusted_proxies};
	(void)it;
	(void)ctx;
	(void)key;
	yp_scalar_list(y, "trusted-proxies (a list of addresses or prefixes)",
	               "a trusted proxy (an address or a prefix)", trusted_proxy, &a);
}

static const struct conf_item listener_items[] = {
        {.name = "address",
         .type = CONF_ADDRESS,
         .flags = CONF_REQUIRED | CONF_RESTART,
         .offset = offsetof(struct conf_listener, address),
         .doc = "e.g. `127.0.0.1`, `0.0.0.0`, `::1`, `::`. An IPv6 listener is IPv6 only: list `0.0.0.0` too for "
                "IPv4"},
        {.name = "port",
         .type = CONF_UINT,
         .flags = CONF_REQUIRED | CONF_RESTART,
         .min = 0,
         .max = 65535,
         .offset = offsetof(struct conf_listener, port),
         .size = sizeof(uint16_t),
         .doc = "TCP port; 0 picks a free port (logged at start; for tests)"},
        {.name = "tls",
         .type = CONF_SECTION,
         .flags = CONF_RESTART,
         .parse = conf_tls_item_parse,
         .child = &tls_schema,
         .doc = "serve HTTPS on this listener (keys below); on or off needs a restart, its files are re-read on "
                "reload"},
        {.name = "plain-http",
         .type = CONF_BOOL,
         .def = "false",
         .offset = offsetof(struct conf_listener, plain_http),
         .doc = "plain HTTP on a non-loopback address must be asked for with this (RFC 7285 §8.3.5 wants HTTPS); "
                "loopback listeners without `tls` serve plain HTTP"},
        {.name = "clear-digest",
         .type = CONF_BOOL,
         .flags = CONF_RESTART,
         .def = "false",
         .offset = offsetof(struct conf_listener, clear_digest),
         .doc = "accept HTTP Digest on this plain-HTTP listener (for loopback tests; refused with `tls`). Without "
                "it a plain listener offers no challenge and answers a request that carries credentials `403`, "
                "unread; Basic is never accepted without TLS. See isolation.md"},
        {.name = "base-url",
         .type = CONF_STRING,
         .flags = CONF_RESTART,
         .check = check_base_url,
         .offset = offsetof(struct conf_listener, base_url),
         .type_doc = "`http://` or `https://` URL, without query",
         .doc = "the public address clients reach this listener at (e.g. `https://alto.example.net`, or with a "
                "path prefix a proxy strips): every URI in the directory is this followed by the resource's path. "
                "Without it they are built from the request's scheme (this listener's: `http`, or `https` with `tls`) "
                "and the host and port the client named (`Host`, or an absolute-form target), as it reached altod "
                "directly or through a proxy that passes `Host` on. Set it behind a proxy that terminates TLS (the "
                "scheme differs) or rewrites paths. See deployment.md"},
        {.name = "relative-uris",
         .type = CONF_BOOL,
         .flags = CONF_RESTART,
         .def = "false",
         .offset = offsetof(struct conf_listener, relative_uris),
         .doc = "the directory carries relative URIs (`/networkmap/...`), as altod did before issue 14; many clients "
                "refuse them (RFC 7285's examples are absolute). Refused with `base-url`"},
        {.name = "proxy-protocol",
         .type = CONF_BOOL,
         .flags = CONF_RESTART,
         .def = "false",
         .offset = offsetof(struct conf_listener, proxy_protocol),
         .doc = "every connection starts with HAProxy's PROXY protocol version 2 header (`send-proxy-v2`), from "
                "an address in `trusted-proxies`; the client address it carries is the one limits, the audit log "
                "and an endpoint cost request without `srcs` see. Anything else is refused: another source, no "
                "header, version 1, a bad or truncated header, one not whole within `request-timeout` (10 s when "
                "0). A `LOCAL` header (the proxy's own health check) is served as the proxy's own connection"},
        {.name = "trusted-proxies",
         .type = CONF_LIST,
         .flags = CONF_RESTART,
         .parse = parse_trusted_proxies,
         .type_doc = "list of addresses or prefixes (`192.0.2.10`, `10.1.0.0/16`, `2001:db8::/32`)",
         .doc = "the proxies allowed to connect to a `proxy-protocol` listener (required with it); a connection "
                "from elsewhere is closed before a byte is read"},
};
static const struct conf_section listener_schema = {
        .name = "a listener", .path = "server.listen[].", .items = CONF_ITEMS(listener_items)};

static void parse_listener(struct yp *y, struct conf *c, size_t *cap)
{
	struct yp_mark start = yp_mark(y);
	struct conf_listener l = {.line = start.line, .col = start.col};
	struct conf_seen seen = {0};

	conf_section_defaults(&listener_schema, &l);
	if (!conf_section_parse(y, &listener_schema, NULL, &l, c, &seen))
		return;
	struct yp_mark clear_at = conf_seen_at(&listener_schema, &seen, "clear-digest");
	if (clear_at.line == 0)
		clear_at = start;
	if (l.address == NULL || conf_seen_at(&listener_schema, &seen, "port").line == 0) {
		yp_error(y, start, "a listener needs an address and a port");
		free(l.address);
		free(l.base_url);
		free(l.trusted_proxies);
		conf_tls_free(l.tls);
		return;
	}
	/* RFC 7285 §8.3.5 wants HTTPS: plain HTTP off the loopback only when
	 * the operator says so */
	if (l.tls && l.plain_http)
		yp_error(y, start, "a listener has either tls or plain-http: true, not both");
	/* Digest answers travel in clear only where the operator says so */
	if (l.tls && l.clear_digest)
		yp_error(y, clear_at, "clear-digest is for a listener without tls (TLS listeners always take Digest)");
	else if (!l.tls && !l.plain_http && !conf_is_loopback(l.address))
		yp_error(y, start,
		         "listener %s serves plain HTTP off the loopback: add a tls section, or plain-http: true "
		         "to ask for plain HTTP explicitly",
		         l.address);
	if (l.base_url && l.relative_uris)
		yp_error(y, conf_seen_at(&listener_schema, &seen, "relative-uris"),
		         "relative-uris: true and base-url exclude each other");
	if (l.proxy_protocol && l.ntrusted_proxies == 0)
		yp_error(y, conf_seen_at(&listener_schema, &seen, "proxy-protocol"),
		         "proxy-protocol needs trusted-proxies: the addresses of the proxies allowed to send it");
	else if (!l.proxy_protocol && l.ntrusted_proxies > 0)
		yp_error(y, conf_seen_at(&listener_schema, &seen, "trusted-proxies"),
		         "trusted-proxies is for a listener with proxy-protocol: true");
	if (!VEC_PUSH(c->listen, c->nlisten, *cap)) {
		conf_tls_free(l.tls);
		free(l.base_url);
		free(l.trusted_proxies);
		free(l.address);
		yp_error(y, start, "out of memory");
		return;
	}
	c->listen[c->nlisten++] = l;
}

static void parse_listen(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct conf *c = obj;
	size_t cap = c->nlisten;
	(void)ctx;
	(void)key;
	if (yp_sequence_begin(y, it->name))
		while (yp_sequence_more(y))
			parse_listener(y, c, &cap);
}

static const struct conf_item server_items[] = {
        {.name = "listen",
         .type = CONF_LIST,
         .flags = CONF_REQUIRED | CONF_RESTART,
         .parse = parse_listen,
         .child = &listener_schema,
         .doc = "the addresses to serve on; at least one"},
        {.name = "threads",
         .type = CONF_UINT,
         .flags = CONF_RESTART,
         .min = 0,
         .max = 1024,
         .def = "0",
         .offset = offsetof(struct conf, threads),
         .size = sizeof(unsigned),
         .doc = "worker threads per listener; 0 = one per CPU"},
};
const struct conf_section conf_schema_server = {
        .name = "server", .path = "server.", .what = "server", .items = CONF_ITEMS(server_items)};

#define LIMIT(key, field, lo, hi, dflt, unit_, flags_, text)                                                  \
	{                                                                                                     \
		.name = (key), .type = CONF_UINT, .flags = (flags_), .min = (lo), .max = (hi), .def = (dflt), \
		.unit = (unit_), .offset = offsetof(struct conf_limits, field),                               \
		.size = sizeof(((struct conf_limits *)0)->field), .doc = (text)                               \
	}

/* in the order of the reference and of the unknown-key message */
static const struct conf_item limits_items[] = {
        LIMIT("max-request-body", max_request_body, 0, 1ull << 30, "1048576", "bytes", 0,
              "a POST body larger than this gets `413`: at once when `Content-Length` says so; a chunked body is "
              "read and dropped up to 16 MiB (or 4 × the limit) for the 413 to be read, past that the connection "
              "is closed"),
        LIMIT("max-header-size", max_header_size, 1024, 1u << 20, "16384", "bytes", CONF_RESTART,
              "the request line and headers must fit; more gets `431`. The number of header lines is bounded "
              "too: libmicrohttpd keeps about 40 bytes per line in the same connection memory (max-header-size + "
              "16 KiB), so 300 lines always fit at the default and a few hundred more may get its own `431` "
              "(Apache's default is 100 lines)"),
        LIMIT("max-json-depth", max_json_depth, 0, 1000, "32", NULL, 0,
              "arrays and objects nested deeper in a request body get `E_SYNTAX` before the body is parsed (0: "
              "jansson's own limit)"),
        LIMIT("connection-timeout", connection_timeout, 0, 86400, "30", "seconds", CONF_RESTART,
              "a connection that makes no progress (nothing read, nothing written — e.g. a client that never "
              "reads its answer) is closed after this long (0: never)"),
        LIMIT("request-timeout", request_timeout, 0, 86400, "10", "seconds", 0,
              "a request must arrive whole (line, headers and body) within this long of the connection opening "
              "or of the previous answer; else the connection is cut off, so a client sending one byte a second "
              "cannot hold it. An idle keep-alive connection is closed after this long too (0: no limit)"),
        LIMIT("response-timeout", response_timeout, 0, 86400, "60", "seconds", 0,
              "an answer must be built and sent (into the kernel's send buffer, and out of it) within this long "
              "of its request arriving whole; else the connection is cut off. A client that stops reading, or "
              "reads a byte now and then (which keeps `connection-timeout` happy), cannot hold a worker's answer, "
              "the connection, or the maps snapshot its answer comes from past a reload, for longer. Set it above "
              "the time your slowest legitimate client needs for your largest map (0: no limit). An update "
              "stream (SSE) runs as long as it is read: this bounds each batch of its events, not the stream. "
              "`kill -USR1` logs how many connections each timeout cut off"),
        LIMIT("stop-timeout", stop_timeout, 0, 3600, "5", "seconds", 0,
              "on SIGTERM or SIGINT altod stops accepting connections, then gives the requests in flight (not idle "
              "keep-alive connections, update streams or long polls, which end at once) this long to be answered "
              "before it "
              "exits anyway (0: it does not wait). Keep systemd's `TimeoutStopSec` (15 s in the shipped unit) "
              "above it. The value of the last successful reload counts"),
        LIMIT("max-connections", max_connections, 1, 1000000, "10000", NULL, CONF_RESTART,
              "concurrent connections per listener (libmicrohttpd divides it among its worker threads); more "
              "wait in the kernel's backlog, unanswered, until one closes"),
        LIMIT("max-connections-per-address", max_connections_per_address, 0, 1000000, "256", NULL, CONF_RESTART,
              "concurrent connections from one client address, per listener (0: no limit)"),
        LIMIT("max-endpoints", max_endpoints, 0, 10000000, "10000", NULL, 0,
              "endpoints in one endpoint property or endpoint cost request (all lists together, repeated ones "
              "counted once); more get `E_INVALID_FIELD_VALUE` on `endpoints`. (0: no limit)"),
        LIMIT("max-endpoint-pairs", max_endpoint_pairs, 0, 100000000, "1000000", NULL, 0,
              "sources × destinations in one endpoint cost request; more get `E_INVALID_FIELD_VALUE` on "
              "`endpoints` (0: no limit). With the constraints folded (see `max-constraints`), the work of an "
              "endpoint cost request is proportional to this, whatever else it asks for"),
        LIMIT("max-pids", max_pids, 0, 100000000, "100000", NULL, 0,
              "PIDs named in one list of a filtered network map or cost map request; more get "
              "`E_INVALID_FIELD_VALUE` (0: no limit)"),
        /* folded into one interval, constraints cost O(1) per cost: the
         * bound is on parsing them, and a body holds at most
         * max-request-body / 7 of them anyway */
        LIMIT("max-constraints", max_constraints, 0, 1000000, "64", NULL, 0,
              "entries of `constraints`, and of every inner list of `or-constraints` (RFC 8189), together, in "
              "one filtered cost map or endpoint cost request; more get `E_INVALID_FIELD_VALUE` on "
              "`constraints` (or `or-constraints`), before any is parsed (0: no limit, as for every limit "
              "here). Constraints are ANDed (RFC 7285 §11.3.2.3), so altod folds them into one interval per "
              "tested cost type (and per inner list of `or-constraints`) when it parses them and tests each "
              "cost a bounded number of times, whatever their number. A client needs at most four per cost "
              "type (two bounds, or one `eq`) to say anything"),
};
const struct conf_section conf_schema_limits = {
        .name = "limits", .path = "limits.", .what = "limits", .items = CONF_ITEMS(limits_items)};

#define UPD(key, field, lo, hi, dflt, unit_, text)                                                                 \
	{                                                                                                          \
		.name = (key), .type = CONF_UINT, .min = (lo), .max = (hi), .def = (dflt), .unit = (unit_),        \
		.offset = offsetof(struct conf_updates, field), .size = sizeof(((struct conf_updates *)0)->field), \
		.doc = (text)                                                                                      \
	}

static const struct conf_item updates_items[] = {
        UPD("max-versions", max_versions, 1, 1000000, "64", NULL,
            "versions of each network map and cost map (views included) kept for incremental updates, the "
            "current one included: a client more versions behind gets the full resource again. 1 keeps no "
            "patch"),
        UPD("max-bytes", max_bytes, 0, 1ull << 40, "67108864", "bytes",
            "bytes of patches (merge patches and JSON patches) kept over all resources; past it the oldest "
            "patches are dropped first, whichever resource they belong to. `kill -USR1` and the reload log "
            "show what is held"),
        UPD("tips-views-per-client", tips_views_per_client, 0, 1000000, "64", NULL,
            "TIPS views (RFC 9569) one client may hold at a time; one more is refused with 429 and Retry-After "
            "until one has been idle for `tips-view-lifetime`. 0: no limit. Opening a map again gives the same "
            "view"),
        UPD("tips-views", tips_views, 0, 10000000, "10000", NULL,
            "TIPS views held by this process in all clients together; past it, 429 likewise. 0: no limit"),
        UPD("tips-view-lifetime", tips_view_lifetime, 1, 86400, "300", "seconds",
            "a TIPS view nobody asked about for this long is dropped (it no longer counts against the limits; "
            "its URI still leads to its client's view while the resource's history lasts)"),
        UPD("poll-timeout", poll_timeout, 1, 86400, "30", "seconds",
            "a long poll (a GET of the next edge of a TIPS view) waits this long for the reload that makes the "
            "edge, then is answered 204 No Content and the client asks again; it holds no thread while it "
            "waits"),
        UPD("streams-per-client", streams_per_client, 0, 1000000, "16", NULL,
            "RFC 8895 update streams (SSE) one client may have open at once (a named client by its name; "
            "anyone else by its address, IPv6 by its /64); one more gets `429`. 0: no limit"),
        UPD("streams", streams, 0, 10000000, "10000", NULL,
            "update streams open at once in the process; one more gets `503`. Each holds a connection (see "
            "`limits.max-connections`) with its libmicrohttpd memory (`limits.max-header-size` + 16 KiB) and, "
            "idle, a few hundred bytes of its own: no thread, no maps snapshot. 0: no limit"),
        UPD("keepalive", keepalive, 0, 86400, "25", "seconds",
            "an update stream with nothing to send for this long sends an SSE comment (`: keep-alive`), so "
            "proxies keep it open and a client that went away is noticed. 0: never"),
};
const struct conf_section conf_schema_updates = {
        .name = "updates", .path = "updates.", .what = "updates", .items = CONF_ITEMS(updates_items)};

bool conf_listeners_equal(const struct conf *a, const struct conf *b)
{
	/* what a restart changes is what the tables flag so */
	if (a->nlisten != b->nlisten || !conf_section_restart_equal(&conf_schema_server, a, b) ||
	    !conf_section_restart_equal(&conf_schema_limits, &a->limits, &b->limits))
		return false;
	/* access.digest-listen, kept in the conf: snapshot_build takes access over */
	if (!conf_admin_equal(a->admin, b->admin))
		return false;
	if (!a->digest_listen != !b->digest_listen ||
	    (a->digest_listen && strcmp(a->digest_listen, b->digest_listen) != 0))
		return false;
	for (size_t i = 0; i < a->nlisten; i++) {
		const struct conf_listener *x = &a->listen[i], *y = &b->listen[i];
		if (!conf_section_restart_equal(&listener_schema, x, y) || !x->tls != !y->tls)
			return false;
		if (x->ntrusted_proxies != y->ntrusted_proxies ||
		    (x->ntrusted_proxies && memcmp(x->trusted_proxies, y->trusted_proxies,
		                                   x->ntrusted_proxies * sizeof(*x->trusted_proxies)) != 0))
			return false;
		if (x->tls && !conf_section_restart_equal(&tls_schema, x->tls, y->tls))
			return false;
	}
	return true;
}

static char *resolve(const char *conf_path, const char *p)
{
	if (p[0] == '/')
		return strdup(p);
	char *copy = strdup(conf_path);
	if (copy == NULL)
		return NULL;
	char *dir = dirname(copy);
	char *out = NULL;
	if (asprintf(&out, "%s/%s", dir, p) < 0)
		out = NULL;
	free(copy);
	return out;
}

struct maps_arg {
	struct conf *c;
	size_t cap, cap_at;
};

static void maps_file(struct yp *y, char *p, struct yp_mark m, void *arg)
{
	struct maps_arg *a = arg;
	struct conf *c = a->c;
	char *full = p[0] ? resolve(c->path, p) : NULL;
	if (p[0] == '\0')
		yp_error(y, m, "empty maps file path");
	else if (full == NULL || !VEC_PUSH(c->maps, c->nmaps, a->cap) || !VEC_PUSH(c->maps_at, c->nmaps, a->cap_at)) {
		yp_error(y, m, "out of memory");
		free(full);
	} else {
		c->maps_at[c->nmaps] = (struct conf_mark){m.line, m.col};
		c->maps[c->nmaps++] = full;
	}
	free(p);
}

static void parse_maps(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct conf *c = obj;
	struct maps_arg a = {c, c->nmaps, c->nmaps};

	(void)it;
	(void)ctx;
	(void)key;
	yp_scalar_list(y, "maps (a list of maps files)", "a maps file path", maps_file, &a);
}

static void parse_access(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct conf *c = obj;
	(void)it;
	(void)ctx;
	(void)key;
	policy_free(c->access);
	c->access = policy_parse(y, c->path);
	free(c->digest_listen);
	c->digest_listen = NULL;
	if (c->access && c->access->digest_listen)
		c->digest_listen = strdup(c->access->digest_listen);
}

static const struct conf_item top_items[] = {
        {.name = "server",
         .type = CONF_SECTION,
         .flags = CONF_REQUIRED,
         .offset = 0,
         .child = &conf_schema_server,
         .doc = "the listeners and the worker threads"},
        {.name = "maps",
         .type = CONF_LIST,
         .flags = CONF_REQUIRED,
         .parse = parse_maps,
         .type_doc = "list of paths",
         .doc = "the maps files; a relative path is relative to the folder of `altod.yaml`. A file that cannot "
                "be read is reported at the line of `altod.yaml` that names it"},
        {.name = "limits",
         .type = CONF_SECTION,
         .offset = offsetof(struct conf, limits),
         .child = &conf_schema_limits,
         .doc = "bounds on connections, requests and answers"},
        {.name = "updates",
         .type = CONF_SECTION,
         .offset = offsetof(struct conf, updates),
         .child = &conf_schema_updates,
         .doc = "the history of versions and patches behind incremental updates (TIPS, SSE)"},
        {.name = "access",
         .type = CONF_SECTION,
         .parse = parse_access,
         .child = &policy_schema,
         .doc = "per-client isolation: clients, roles, grants, views, rate and connection limits, the audit "
                "log, HTTP Digest (isolation.md). Without it every resource is public"},
        {.name = "admin",
         .type = CONF_SECTION,
         .flags = CONF_RESTART,
         .parse = conf_admin_parse,
         .offset = offsetof(struct conf, admin),
         .child = &conf_schema_admin,
         .doc = "the admin listener: Prometheus `/metrics`, `/healthz` and `/readyz` (operations.md). Without it "
                "there is none"},
};
const struct conf_section conf_schema = {.name = NULL,
                                         .path = "",
                                         .what = "the configuration (a mapping with server and maps)",
                                         .items = CONF_ITEMS(top_items)};

static int conf_parse(struct yp *y, struct conf *c, struct diag *diag)
{
	struct yp_mark top = yp_mark(y);
	struct conf_seen seen = {0};

	(void)diag;
	conf_section_parse(y, &conf_schema, NULL, c, c, &seen);
	if (y->errors == 0 && !y->failed) {
		if (conf_seen_at(&conf_schema, &seen, "server").line == 0 || c->nlisten == 0)
			yp_error(y, top, "no listener: server.listen needs at least one address and port");
		if (conf_seen_at(&conf_schema, &seen, "maps").line == 0 || c->nmaps == 0)
			yp_error(y, top, "no maps files: maps needs at least one path");
	}
	return 0;
}

static int conf_finish(struct yp *y, int rc, struct conf *c, struct conf **out)
{
	if (rc == 0)
		conf_parse(y, c, y->diag);
	yp_close(y);
	if (y->errors || rc != 0) {
		conf_free(c);
		return ALTOD_ECONFIG;
	}
	*out = c;
	return 0;
}

int conf_load(const char *path, struct conf **out, struct diag *diag)
{
	struct yp y;
	struct conf *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		return ALTOD_ENOMEM;
	}
	conf_defaults(c);
	int rc = yp_open(&y, path, diag);
	return conf_finish(&y, rc, c, out);
}

int conf_load_mem(const char *name, const char *text, struct conf **out, struct diag *diag)
{
	struct yp y;
	struct conf *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL || (c->path = strdup(name)) == NULL) {
		free(c);
		return ALTOD_ENOMEM;
	}
	conf_defaults(c);
	int rc = yp_open_mem(&y, name, text, strlen(text), diag);
	return conf_finish(&y, rc, c, out);
}
