/* SPDX-License-Identifier: BSD-2-Clause */
/* altod.yaml: listeners, limits and the list of maps files. */
#ifndef ALTOD_CONF_H
#define ALTOD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "conf/policy.h"
#include "conf/schema.h"
#include "util/ip.h"

#ifndef ALTOD_CONFDIR
#define ALTOD_CONFDIR "/etc/altod"
#endif
#define CONF_DEFAULT_PATH ALTOD_CONFDIR "/altod.yaml"

enum tls_client_auth {
	TLS_CLIENT_NONE,     /* no client certificate asked for */
	TLS_CLIENT_OPTIONAL, /* asked for; if sent, it must verify */
	TLS_CLIENT_REQUIRE,  /* a verified client certificate is required */
};

/* HTTPS on a listener; file paths are resolved against the config's folder */
struct conf_tls {
	char *certificate; /* PEM: the server certificate, then its chain */
	char *key;         /* PEM: its private key */
	char *client_ca;   /* PEM: CAs that sign client certificates, or NULL */
	char *client_crl;  /* PEM or DER: CRLs of those CAs, or NULL */
	size_t crl_line, crl_col;
	enum tls_client_auth client_auth;
	/* the GnuTLS priority string as written (for messages), and as used:
	 * with TLS_PRIORITIES_FLOOR appended, so nothing below TLS 1.2 */
	char *priorities_conf;
	char *priorities;
	size_t prio_line, prio_col; /* of the setting; 0: the default */
};

/* Appended to every priority string: whatever a string enables, TLS 1.0,
 * 1.1, SSL 3.0 and DTLS below 1.2 stay off (RFC 8996 deprecates them). A
 * string that names one of them with '+' is refused at load instead. */
#define TLS_PRIORITIES_FLOOR ":-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-DTLS0.9:-VERS-DTLS1.0"

/* TLS 1.2 and 1.3, AEAD ciphers only. No %SERVER_PRECEDENCE: the client picks,
 * so one with AES hardware gets AES-GCM and one without gets ChaCha20
 * (forcing ChaCha20 cost 4x on full maps over HTTPS: docs/benchmarks.md). */
#define TLS_DEFAULT_PRIORITIES                                                                 \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:" \
	"+CHACHA20-POLY1305:-MAC-ALL:+AEAD"

struct conf_listener {
	char *address; /* numeric IPv4 or IPv6 address */
	uint16_t port;
	bool plain_http;      /* plain HTTP asked for explicitly */
	bool clear_digest;    /* Digest accepted without TLS (never Basic) */
	struct conf_tls *tls; /* NULL: plain HTTP */
	/* the directory's URIs: "scheme://authority[/path]" without a
	 * trailing slash, prefixed to every URI (NULL: from the request's
	 * scheme and Host), or relative ones */
	char *base_url;
	bool relative_uris;
	/* HAProxy's PROXY protocol v2 before every connection, from these
	 * addresses only */
	bool proxy_protocol;
	struct ip_prefix *trusted_proxies;
	size_t ntrusted_proxies;
	size_t line, col; /* where it is defined */
};

struct conf_limits {
	size_t max_request_body;     /* bytes; larger requests get 413 */
	unsigned connection_timeout; /* seconds of inactivity */
	unsigned request_timeout;    /* seconds to send a whole request */
	unsigned max_connections;    /* per listener */
	unsigned max_connections_per_address;
	size_t max_header_size;    /* bytes of request line and headers */
	unsigned max_json_depth;   /* nesting of a request body */
	size_t max_endpoints;      /* endpoints in one request */
	size_t max_endpoint_pairs; /* sources x destinations in one endpoint cost request */
	size_t max_pids;           /* PIDs named in one list of a filter request */
	size_t max_constraints;    /* entries of "constraints" in one request */
	unsigned response_timeout; /* seconds to build and send one answer */
	unsigned stop_timeout;     /* seconds requests in flight get at SIGTERM */
};

/* The updates history (incremental updates: TIPS, SSE) */
struct conf_updates {
	unsigned max_versions; /* kept per resource, the current one included */
	size_t max_bytes;      /* of patches held over all resources */
	/* TIPS (RFC 9569) */
	unsigned tips_views_per_client; /* views one client may hold (0: no limit) */
	unsigned tips_views;            /* views held in all (0: no limit) */
	unsigned tips_view_lifetime;    /* seconds a view is kept without a request for it */
	unsigned poll_timeout;          /* seconds a long poll waits for the next edge */
	/* RFC 8895 update streams (SSE) */
	unsigned streams_per_client; /* open at once per client identity (0: no limit) */
	unsigned streams;            /* open at once in the process (0: no limit) */
	unsigned keepalive;          /* seconds between keep-alive comments (0: none) */
};

struct conf_admin;

struct conf {
	char *path;
	struct conf_listener *listen;
	size_t nlisten;
	char **maps; /* resolved against the config file's folder */
	size_t nmaps;
	struct conf_mark {
		size_t line, col;
	} * maps_at;      /* where altod.yaml names each maps file */
	unsigned threads; /* 0: one per CPU */
	struct conf_limits limits;
	struct conf_updates updates;
	struct policy *access; /* NULL: no access control (everything public) */
	/* access.digest-listen, kept here because only a restart changes it
	 * (snapshot_build takes access over); NULL: none */
	char *digest_listen;
	struct conf_admin *admin; /* conf/adminconf.h; NULL: no admin listener */
};

/* The keys of altod.yaml (conf/schema.h): the top level, and its server,
 * limits and updates sections */
extern const struct conf_section conf_schema, conf_schema_server, conf_schema_limits, conf_schema_updates;

/* For the admin section (adminconf.c): the tls section of a listener
 * (obj: its struct conf_listener), freeing one, and whether an address
 * is the loopback */
void conf_tls_item_parse(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key);
void conf_tls_free(struct conf_tls *t);
bool conf_is_loopback(const char *address);

int conf_load(const char *path, struct conf **out, struct diag *diag);
int conf_load_mem(const char *name, const char *text, struct conf **out, struct diag *diag);
void conf_free(struct conf *c);
/* Are two configs the same in what only a restart can change: every key
 * the schema flags CONF_RESTART (conf_restart_keys lists them)? */
bool conf_listeners_equal(const struct conf *a, const struct conf *b);

#endif
