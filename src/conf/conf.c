/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "util/err.h"
#include "util/vec.h"
#include "conf/yp.h"

static void tls_free(struct conf_tls *t);

static void conf_defaults(struct conf *c)
{
	c->limits.max_request_body = (size_t)1024 * 1024;
	c->limits.connection_timeout = 30;
	c->limits.request_timeout = 10;
	c->limits.max_connections = 10000;
	c->limits.max_connections_per_address = 256;
	c->limits.max_header_size = 16384;
	c->limits.max_json_depth = 32;
	c->limits.max_endpoints = 10000;
	c->limits.max_endpoint_pairs = 1000000;
	c->limits.max_pids = 100000;
	c->limits.max_constraints = 64;
	c->limits.response_timeout = 60;
	c->threads = 0;
}

void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	for (size_t i = 0; i < c->nlisten; i++) {
		free(c->listen[i].address);
		tls_free(c->listen[i].tls);
	}
	free(c->listen);
	for (size_t i = 0; i < c->nmaps; i++)
		free(c->maps[i]);
	free(c->maps);
	free(c->maps_at);
	policy_free(c->access);
	free(c->digest_listen);
	free(c);
}

static void tls_free(struct conf_tls *t)
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

static void parse_path(struct yp *y, const struct conf *c, const char *what, char **out)
{
	char *v;
	struct yp_mark m;

	if (!yp_scalar(y, what, &v, &m))
		return;
	if (v[0] == '\0')
		yp_error(y, m, "%s: empty path", what);
	else {
		free(*out);
		*out = resolve(c->path, v);
	}
	free(v);
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

static struct conf_tls *parse_tls(struct yp *y, const struct conf *c)
{
	char *key;
	struct yp_mark m, start = yp_mark(y);
	struct conf_tls *t = calloc(1, sizeof(*t));
	bool have_auth = false;

	if (t == NULL ||
	    !yp_mapping_begin(y, "tls (certificate, key, client-ca, client-crl, client-auth, priorities)")) {
		free(t);
		return NULL;
	}
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "certificate") == 0) {
			parse_path(y, c, "certificate", &t->certificate);
		} else if (strcmp(key, "key") == 0) {
			parse_path(y, c, "key", &t->key);
		} else if (strcmp(key, "client-ca") == 0) {
			parse_path(y, c, "client-ca", &t->client_ca);
		} else if (strcmp(key, "client-crl") == 0) {
			t->crl_line = m.line;
			t->crl_col = m.col;
			parse_path(y, c, "client-crl", &t->client_crl);
		} else if (strcmp(key, "client-auth") == 0) {
			char *v;
			struct yp_mark vm;
			if (yp_scalar(y, "client-auth", &v, &vm)) {
				have_auth = true;
				if (strcmp(v, "none") == 0)
					t->client_auth = TLS_CLIENT_NONE;
				else if (strcmp(v, "optional") == 0)
					t->client_auth = TLS_CLIENT_OPTIONAL;
				else if (strcmp(v, "require") == 0)
					t->client_auth = TLS_CLIENT_REQUIRE;
				else
					yp_error(y, vm, "client-auth must be none, optional or require, not '%s'", v);
				free(v);
			}
		} else if (strcmp(key, "priorities") == 0) {
			char *v;
			struct yp_mark vm;
			if (yp_scalar(y, "priorities", &v, &vm)) {
				const char *old = old_version_asked(v);
				if (old)
					yp_error(y, vm,
					         "priorities '%s' enables %s: altod never speaks a protocol below TLS "
					         "1.2 "
					         "(RFC 8996)",
					         v, old);
				free(t->priorities_conf);
				t->priorities_conf = v;
				t->prio_line = vm.line;
				t->prio_col = vm.col;
			}
		} else {
			yp_error(y, m,
			         "unknown key '%s' in tls (certificate, key, client-ca, client-crl, client-auth, "
			         "priorities)",
			         key);
			yp_skip(y);
		}
		free(key);
	}
	if (t->certificate == NULL || t->key == NULL)
		yp_error(y, start, "tls needs a certificate and a key");
	if (!have_auth && t->client_ca)
		t->client_auth = TLS_CLIENT_REQUIRE; /* a CA given: clients must show a certificate it signed */
	if (t->client_auth != TLS_CLIENT_NONE && t->client_ca == NULL)
		yp_error(y, start, "client-auth: %s needs client-ca, the CA that signs client certificates",
		         t->client_auth == TLS_CLIENT_REQUIRE ? "require" : "optional");
	if (t->client_crl && t->client_ca == NULL)
		yp_error(y, (struct yp_mark){t->crl_line, t->crl_col},
		         "client-crl needs client-ca, the CA whose revocations it lists");
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

static bool is_loopback(const char *a)
{
	unsigned char b[16];
	static const unsigned char v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	if (inet_pton(AF_INET, a, b) == 1)
		return b[0] == 127;
	return inet_pton(AF_INET6, a, b) == 1 && memcmp(b, v6lo, 16) == 0;
}

static void parse_listener(struct yp *y, struct conf *c, size_t *cap)
{
	char *key;
	struct yp_mark m, start = yp_mark(y);
	struct conf_listener l = {.line = start.line, .col = start.col};
	struct yp_mark clear_at = start;
	bool have_port = false;

	if (!yp_mapping_begin(y, "a listener (address, port, tls, plain-http, clear-digest)"))
		return;
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "address") == 0) {
			char *a;
			struct yp_mark am;
			if (yp_scalar(y, "address", &a, &am)) {
				unsigned char tmp[16];
				if (inet_pton(AF_INET, a, tmp) != 1 && inet_pton(AF_INET6, a, tmp) != 1) {
					yp_error(y, am, "address '%s' is not a numeric IPv4 or IPv6 address", a);
					free(a);
				} else {
					free(l.address);
					l.address = a;
				}
			}
		} else if (strcmp(key, "port") == 0) {
			unsigned long long p;
			if (yp_scalar_uint(y, "port", 65535, &p)) {
				l.port = (uint16_t)p;
				have_port = true;
			}
		} else if (strcmp(key, "tls") == 0) {
			tls_free(l.tls);
			l.tls = parse_tls(y, c);
		} else if (strcmp(key, "plain-http") == 0) {
			yp_scalar_bool(y, "plain-http", &l.plain_http);
		} else if (strcmp(key, "clear-digest") == 0) {
			clear_at = m;
			yp_scalar_bool(y, "clear-digest", &l.clear_digest);
		} else {
			yp_error(y, m, "unknown key '%s' in a listener (address, port, tls, plain-http, clear-digest)",
			         key);
			yp_skip(y);
		}
		free(key);
	}
	if (l.address == NULL || !have_port) {
		yp_error(y, start, "a listener needs an address and a port");
		free(l.address);
		tls_free(l.tls);
		return;
	}
	/* RFC 7285 §8.3.5 wants HTTPS: plain HTTP off the loopback only when
	 * the operator says so */
	if (l.tls && l.plain_http)
		yp_error(y, start, "a listener has either tls or plain-http: true, not both");
	/* Digest answers travel in clear only where the operator says so */
	if (l.tls && l.clear_digest)
		yp_error(y, clear_at, "clear-digest is for a listener without tls (TLS listeners always take Digest)");
	else if (!l.tls && !l.plain_http && !is_loopback(l.address))
		yp_error(y, start,
		         "listener %s serves plain HTTP off the loopback: add a tls section, or plain-http: true "
		         "to ask for plain HTTP explicitly",
		         l.address);
	if (!VEC_PUSH(c->listen, c->nlisten, *cap)) {
		tls_free(l.tls);
		free(l.address);
		yp_error(y, start, "out of memory");
		return;
	}
	c->listen[c->nlisten++] = l;
}

static void parse_server(struct yp *y, struct conf *c)
{
	char *key;
	struct yp_mark m;
	size_t cap = 0;

	if (!yp_mapping_begin(y, "server"))
		return;
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "listen") == 0) {
			if (yp_sequence_begin(y, "listen"))
				while (yp_sequence_more(y))
					parse_listener(y, c, &cap);
		} else if (strcmp(key, "threads") == 0) {
			unsigned long long v;
			if (yp_scalar_uint(y, "threads", 1024, &v))
				c->threads = (unsigned)v;
		} else {
			yp_error(y, m, "unknown key '%s' in server (listen, threads)", key);
			yp_skip(y);
		}
		free(key);
	}
}

static void parse_limits(struct yp *y, struct conf *c)
{
	char *key;
	struct yp_mark m;
	unsigned long long v;

	if (!yp_mapping_begin(y, "limits"))
		return;
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "max-request-body") == 0) {
			if (yp_scalar_uint(y, key, 1ull << 30, &v))
				c->limits.max_request_body = (size_t)v;
		} else if (strcmp(key, "connection-timeout") == 0) {
			if (yp_scalar_uint(y, key, 86400, &v))
				c->limits.connection_timeout = (unsigned)v;
		} else if (strcmp(key, "max-connections") == 0) {
			if (yp_scalar_uint(y, key, 1000000, &v)) {
				if (v == 0) /* a listener that takes no connection */
					yp_error(y, m, "max-connections must be at least 1");
				c->limits.max_connections = (unsigned)v;
			}
		} else if (strcmp(key, "request-timeout") == 0) {
			if (yp_scalar_uint(y, key, 86400, &v))
				c->limits.request_timeout = (unsigned)v;
		} else if (strcmp(key, "max-connections-per-address") == 0) {
			if (yp_scalar_uint(y, key, 1000000, &v))
				c->limits.max_connections_per_address = (unsigned)v;
		} else if (strcmp(key, "max-header-size") == 0) {
			if (yp_scalar_uint(y, key, 1u << 20, &v)) {
				if (v < 1024)
					yp_error(y, m, "max-header-size must be at least 1024");
				c->limits.max_header_size = (size_t)v;
			}
		} else if (strcmp(key, "max-json-depth") == 0) {
			if (yp_scalar_uint(y, key, 1000, &v))
				c->limits.max_json_depth = (unsigned)v;
		} else if (strcmp(key, "max-endpoints") == 0) {
			if (yp_scalar_uint(y, key, 10000000, &v))
				c->limits.max_endpoints = (size_t)v;
		} else if (strcmp(key, "max-pids") == 0) {
			if (yp_scalar_uint(y, key, 100000000, &v))
				c->limits.max_pids = (size_t)v;
		} else if (strcmp(key, "max-endpoint-pairs") == 0) {
			if (yp_scalar_uint(y, key, 100000000, &v))
				c->limits.max_endpoint_pairs = (size_t)v;
		} else if (strcmp(key, "max-constraints") == 0) {
			/* folded into one interval, constraints cost O(1) per
			 * cost: the bound is on parsing them, and a body holds at
			 * most max-request-body / 7 of them anyway */
			if (yp_scalar_uint(y, key, 1000000, &v))
				c->limits.max_constraints = (size_t)v;
		} else if (strcmp(key, "response-timeout") == 0) {
			if (yp_scalar_uint(y, key, 86400, &v))
				c->limits.response_timeout = (unsigned)v;
		} else {
			yp_error(y, m,
			         "unknown key '%s' in limits (max-request-body, max-header-size, max-json-depth, "
			         "connection-timeout, request-timeout, response-timeout, max-connections, "
			         "max-connections-per-address, max-endpoints, max-endpoint-pairs, max-pids, "
			         "max-constraints)",
			         key);
			yp_skip(y);
		}
		free(key);
	}
}

bool conf_listeners_equal(const struct conf *a, const struct conf *b)
{
	if (a->nlisten != b->nlisten || a->threads != b->threads ||
	    a->limits.connection_timeout != b->limits.connection_timeout ||
	    a->limits.max_connections != b->limits.max_connections ||
	    a->limits.max_connections_per_address != b->limits.max_connections_per_address ||
	    a->limits.max_header_size != b->limits.max_header_size)
		return false;
	if (!a->digest_listen != !b->digest_listen ||
	    (a->digest_listen && strcmp(a->digest_listen, b->digest_listen) != 0))
		return false;
	for (size_t i = 0; i < a->nlisten; i++) {
		const struct conf_listener *x = &a->listen[i], *y = &b->listen[i];
		if (strcmp(x->address, y->address) != 0 || x->port != y->port || !x->tls != !y->tls ||
		    x->clear_digest != y->clear_digest)
			return false;
		if (x->tls && strcmp(x->tls->priorities, y->tls->priorities) != 0)
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

static void parse_maps(struct yp *y, struct conf *c)
{
	size_t cap = 0, cap_at = 0;

	if (!yp_sequence_begin(y, "maps (a list of maps files)"))
		return;
	while (yp_sequence_more(y)) {
		char *p;
		struct yp_mark m;
		if (!yp_scalar(y, "a maps file path", &p, &m))
			continue;
		char *full = p[0] ? resolve(c->path, p) : NULL;
		if (p[0] == '\0')
			yp_error(y, m, "empty maps file path");
		else if (full == NULL || !VEC_PUSH(c->maps, c->nmaps, cap) || !VEC_PUSH(c->maps_at, c->nmaps, cap_at)) {
			yp_error(y, m, "out of memory");
			free(full);
		} else {
			c->maps_at[c->nmaps] = (struct conf_mark){m.line, m.col};
			c->maps[c->nmaps++] = full;
		}
		free(p);
	}
}

static int conf_parse(struct yp *y, struct conf *c, struct diag *diag)
{
	char *key;
	struct yp_mark m, top = yp_mark(y);
	bool have_server = false, have_maps = false;

	if (yp_mapping_begin(y, "the configuration (a mapping with server and maps)")) {
		while (yp_mapping_key(y, &key, &m)) {
			if (strcmp(key, "server") == 0) {
				have_server = true;
				parse_server(y, c);
			} else if (strcmp(key, "maps") == 0) {
				have_maps = true;
				parse_maps(y, c);
			} else if (strcmp(key, "limits") == 0) {
				parse_limits(y, c);
			} else if (strcmp(key, "access") == 0) {
				policy_free(c->access);
				c->access = policy_parse(y, c->path);
				free(c->digest_listen);
				c->digest_listen = NULL;
				if (c->access && c->access->digest_listen)
					c->digest_listen = strdup(c->access->digest_listen);
			} else {
				yp_error(y, m, "unknown key '%s' (server, maps, limits, access)", key);
				yp_skip(y);
			}
			free(key);
		}
	}
	if (y->errors == 0 && !y->failed) {
		if (!have_server || c->nlisten == 0)
			yp_error(y, top, "no listener: server.listen needs at least one address and port");
		if (!have_maps || c->nmaps == 0)
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
