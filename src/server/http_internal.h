/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libmicrohttpd front end's private types, shared by its parts:
 *   listener.c  listening sockets, the daemons, start and stop
 *   conn.c      connection life (libmicrohttpd's socket context) and the
 *               request/response-timeout watchdog
 *   route.c     one request: framing, authorization, routing, answers
 *   framing.c   HTTP/1.1 framing altod checks itself (RFC 7230 §3.3, §5.3,
 *               §5.4) where libmicrohttpd 0.9.75 does not
 *   sse.c       RFC 8895 update streams (sse_internal.h)
 *   https.c     TLS glue: certificates per handshake, client certificates
 *               verified against the listener's current trust
 * The authorization decision itself is not here: authz.h, free of
 * libmicrohttpd. Every libmicrohttpd callback gets its listener as its
 * closure, and a connection's context remembers its listener: no global.
 */
#ifndef ALTOD_HTTP_INTERNAL_H
#define ALTOD_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "server/auth.h"
#include "server/authz.h"
#include "server/metrics.h"
#include "util/buf.h"
#include "server/server.h"
#include "snap/snapshot.h"
#include "server/tls.h"

struct server;
struct conn_ctx;
struct tips_state;

struct listener {
	struct server *srv;
	int fd;
	struct MHD_Daemon *mhd;
	char name[64];
	struct sockaddr_storage bound;
	_Atomic(struct tls_state *) tls; /* NULL: plain HTTP */
	bool clear_digest;               /* plain HTTP that takes Digest anyway */
	struct tls_state *retired;       /* replaced states, freed at stop */
	/* the directory's URIs (baseuri.c): base_url's copy, or relative */
	char *base_url;
	bool relative_uris;
	/* proxy-protocol (accept.c): altod accepts, reads the PROXY header,
	 * then hands the socket to libmicrohttpd */
	bool proxy;
	struct ip_prefix *trusted; /* trusted-proxies (a copy) */
	size_t ntrusted;
	pthread_t acceptor;
	bool acceptor_running;
	int stop_fd;                  /* eventfd that stops the acceptor */
	atomic_ulong proxy_untrusted; /* connections from outside trusted-proxies */
	atomic_ulong proxy_refused;   /* without a valid PROXY v2 header */
	atomic_ulong proxy_timeouts;  /* whose header was not whole in time */
};

struct server {
	atomic_uint inflight; /* requests between their first call and completion */
	/* the request-timeout watchdog and the connections it watches */
	pthread_mutex_t conns_lock;
	struct conn_ctx *conns;
	pthread_t watchdog;
	bool watchdog_running;
	atomic_ulong cut_request;  /* connections cut off past request-timeout */
	atomic_ulong cut_response; /* ... past response-timeout */
	atomic_bool stopping;
	struct snapshot_slot *slot;
	struct listener *ls;
	size_t nls;
	struct authz authz;       /* who may see what, and the limits that outlive reloads */
	struct metrics *metrics;  /* the admin listener's counters (metrics.h); not owned */
	struct tips_state *tips;  /* TIPS views and long polls (tips.h) */
	struct sse_registry *sse; /* RFC 8895 update streams (sse_internal.h) */
};

/* Per connection (libmicrohttpd's socket context): its listener, the client
 * its requests were identified as (counted against that client's connection
 * limit), the time by which its next request must have arrived whole, the
 * time by which its current answer must have been built and sent, and
 * (HTTPS) the generation of the listener's TLS state its client certificate
 * was last verified against (0: not yet). */
struct conn_ctx {
	struct listener *l;
	struct client_state *cs;
	struct MHD_Connection *conn;
	uint64_t tls_gen; /* only this connection's thread reads and writes it */
	/* what its chain was found issued by (issuer-sha256), under the TLS
	 * state of generation issuers.gen; as tls_gen, this thread's only */
	struct tls_issuer_cache issuers;
	int fd;
	/* between its request line and altod's first look at its headers:
	 * the worker thread reading them, this_thread() in framing.c; 0: none */
	_Atomic uintptr_t head_thread;
	_Atomic int64_t deadline_ms;        /* monotonic; 0 while a response is being sent */
	_Atomic int64_t answer_deadline_ms; /* monotonic; of the last answer; 0: no limit */
	atomic_bool answering;              /* between a request's last call and its completion */
	bool cut;
	struct conn_ctx *prev, *next;
};

/* ---- conn.c ---- */
struct conn_ctx *conn_of(struct MHD_Connection *c);
/* The request is in: request-timeout stops, response-timeout runs. */
void conn_answering(struct MHD_Connection *c, unsigned response_timeout);
/* The next request on this connection must arrive whole within the limit. */
void conn_expect_request(struct conn_ctx *cc, unsigned timeout);
/* MHD_OPTION_NOTIFY_CONNECTION (cls: the listener) */
void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code);
/* The watchdog thread (arg: the server). */
void *conn_watchdog(void *arg);

/* ---- framing.c ---- */
/* NULL when the request's framing and Host are fine, else why it is refused
 * (a 400, and the connection closed). */
const char *framing_error(struct MHD_Connection *c, const char *method, const char *version);
/* The path to route for a request target (the absolute form's path), or
 * NULL for an invalid absolute target. */
const char *framing_origin_path(const char *url);
/* MHD_OPTION_URI_LOG_CALLBACK (cls: the listener) */
void *framing_request_line(void *cls, const char *uri, struct MHD_Connection *c);
/* MHD_OPTION_EXTERNAL_LOGGER (cls: the server) */
void framing_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* ---- accept.c ---- */
/* Starts the listener's acceptor thread (l->mhd started, l->fd listening):
 * 0, or -1. */
int accept_start(struct listener *l);
/* Stops it and closes the connections still waiting for their header. */
void accept_stop(struct listener *l);

/* ---- baseuri.c ---- */
/* The prefix of the directory's URIs for this request on this listener
 * (base-url, or the scheme and the request target's authority or Host), into
 * out (url: the request target as received): its length, 0 (out "") for relative
 * URIs, or -1 when the Host cannot make one (refused with 400). */
int baseuri_of(struct MHD_Connection *c, const struct listener *l, const char *url, char *out, size_t size);
#define BASEURI_MAX 1100

/* ---- https.c ---- */
/* Before each request: the connection's client certificate still passes its
 * listener's current trust (plain HTTP: true). *verified: the session when a
 * client certificate was checked against the current client CAs; *tls: that
 * state (NULL with *verified NULL). */
bool https_rebind(struct MHD_Connection *c, gnutls_session_t *verified, const struct tls_state **tls);
/* What named the client of a long-lived answer when it began (an update
 * stream, a TIPS long poll): such an answer goes on across reloads with no
 * request that authenticates it again, and must not outlive what named its
 * client. */
struct held_identity {
	const char *client; /* the policy client (the holder's copy); NULL: anonymous, no access section */
	bool by_password;   /* its Authorization header named it (Digest, Basic); else its certificate */
	uint8_t password[AUTH_CREDENTIALS_LEN]; /* by_password: its password entry then */
};
/* Fills h for the request on c, served as client (NULL: not a named
 * client) in snapshot s. false: out of memory. */
bool https_hold_identity(struct MHD_Connection *c, const struct snapshot *s, const char *client,
                         struct held_identity *h);
/* Does h still hold in snapshot s (a reload since)? 0: yes; 421: the
 * connection's client certificate fails the listener's current trust
 * (https_rebind); 404: what named the client names it no longer (its
 * certificate another client or none, its password entry replaced). */
unsigned https_identity_holds(struct MHD_Connection *c, const struct snapshot *s, const struct held_identity *h);
/* An answer of body_len bytes is about to be queued on c: on HTTPS, when
 * libmicrohttpd would push its header alone, the socket is corked until
 * https_uncork (true: corked, call it when the request completes). */
bool https_cork(struct MHD_Connection *c, size_t body_len);
void https_uncork(struct MHD_Connection *c);
/* MHD_OPTION_HTTPS_CERT_CALLBACK */
int https_retrieve_cert(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                        const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                        unsigned int *pcert_length, gnutls_privkey_t *pkey);

/* ---- route.c ---- */
/* The access handler and the completion callback (cls: the listener). */
enum MHD_Result route_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls);
void route_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe);

#endif
