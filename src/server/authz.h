/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The authorization decision of a request, apart from libmicrohttpd: who
 * is asking (auth.h: certificate, Digest, Basic, or nobody), which catalog
 * that client sees (access.h), and whether its limits let it in now
 * (clients.h: failed-authentication throttles, connections, request rate).
 * The front end takes the facts from the connection (struct
 * authz_request), calls authz_decide() once per request before anything
 * else is looked at (nginx's access phase), and answers what it says.
 *
 * The state that outlives reloads (struct authz: per-client counters and
 * buckets, the bounded throttle tables, Digest's nonce key part and nc
 * table) belongs to the server; a decision reads the snapshot the request
 * pinned.
 */
#ifndef ALTOD_AUTHZ_H
#define ALTOD_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "server/auth.h"
#include "server/clients.h"
#include "server/digest.h"
#include "snap/snapshot.h"

/* Entries per bounded bucket table (each 24 bytes). */
#define AUTHZ_THROTTLE_ENTRIES 8192

struct authz {
	struct client_registry clients; /* per client name: rate bucket, connections, counters */
	/* failed authentications by claimed user and by peer address, and
	 * anonymous requests by peer address: bounded, kept across reloads */
	struct bucket_table fail_user, fail_addr, anon_addr;
	struct digest_state *digest; /* Digest's per-process key part and nc table */
	/* that table's updates to and from the other replicas (peers.h): set
	 * by the server after authz_init, stopped by authz_destroy before the
	 * table is freed; NULL: none */
	struct peers *peers;
};

/* 0, or ALTOD_ENOMEM. now_ns: the process start (digest_state_new). */
int authz_init(struct authz *z, int64_t now_ns);
void authz_destroy(struct authz *z);

/* The facts of one request that the decision needs. */
struct authz_request {
	const char *method;
	const char *url; /* the decoded path, as routed */
	bool has_query;
	const char *authorization;            /* the Authorization value, NULL: none */
	unsigned nauthorization;              /* how many Authorization headers came */
	gnutls_session_t verified;            /* the TLS session, where its client certificate verified; else NULL */
	const struct tls_state *verified_tls; /* the listener's TLS state it verified against */
	struct tls_issuer_cache *issuers;     /* the connection's issuer verdicts (NULL: none) */
	bool tls;                             /* the connection is TLS: Basic and Digest may be used */
	bool clear_digest;                    /* a plain listener that takes Digest anyway */
	uint8_t peer[THROTTLE_ADDR_KEY];      /* the peer address as a throttle key (throttle_addr_key) */
	size_t peer_len;
};

struct authz_decision {
	/* served (status 0): */
	const struct catalog *cat; /* everything this client may see */
	struct client_state *cs;   /* its counters (NULL without an access section) */
	bool anonymous;            /* no credentials, served the anonymous role */
	/* both: */
	const char *client; /* for the audit log: a client name, "anonymous", "-" (none) or "?" (bad) */
	bool basic_ok;      /* a 401 may offer Basic (TLS) */
	bool digest_ok;     /* a 401 may offer Digest (TLS, or a clear-digest listener) */
	/* refused: */
	unsigned status;     /* 0: served; else 401, 403, 429 or 503 */
	const char *text;    /* the plain-text body */
	double retry_after;  /* 429, 503: seconds */
	bool stale;          /* 401: the nonce was stale (RFC 7616 §3.3) */
	const char *limited; /* 429: which limit (the audit line's reason), or NULL */
};

/* Decides. *conn_client is the client the connection's earlier requests
 * were counted against (NULL: none yet); it is moved to this request's
 * client when the connection limit lets it in. true: served (d->cat set);
 * false: refused (d->status and d->text set). */
bool authz_decide(struct authz *z, const struct snapshot *s, const struct authz_request *rq,
                  struct client_state **conn_client, struct authz_decision *d);

/* The connection is gone: it no longer counts against its client. */
void authz_connection_closed(struct client_state *conn_client);

#endif
