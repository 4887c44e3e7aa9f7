/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TIPS (RFC 9569) in the front end: the TIPS views, their limits and
 * expiry, and the long polls waiting for the next edge of a view.
 *
 * A TIPS view is named by a token that every replica with the same
 * access secret derives alike: an HMAC of who opened it, the resource and
 * the resource's history epoch (snap/updates.h). A request for a view this
 * process does not hold (opened at the other replica behind a load
 * balancer, or expired here) is taken over when its token is the one this
 * process derives for the asking client, a resource of its catalog and
 * that resource's current epoch; anything else, including another
 * client's view, is answered exactly like a view that never existed. The
 * registry only bounds and ages what this process serves.
 *
 * Long polls never hold a thread: the request's connection is suspended
 * (MHD_suspend_connection, from the access handler) and resumed by a
 * reload (tips_wake), by the watchdog when poll-timeout has passed
 * (tips_sweep), or at stop (tips_stop); libmicrohttpd then calls the
 * access handler again, which looks at the history once more.
 */
#ifndef ALTOD_SERVER_TIPS_H
#define ALTOD_SERVER_TIPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "alto/tips.h"
#include "snap/snapshot.h"
#include "snap/updates.h"

struct server;
struct tips_state;

/* A long poll's place in the waiting list (inside the request's context). */
struct tips_waiter {
	struct MHD_Connection *c;
	int64_t deadline_ms; /* monotonic; 0: not waited yet */
	bool linked;         /* in the list, its connection suspended */
	bool timed_out;      /* resumed by the watchdog at poll-timeout */
	bool gone;           /* resumed by the watchdog: its client closed */
	int fd;              /* the connection's socket, watched while it waits */
	struct tips_waiter *prev, *next;
};

/* Whether the client of a socket has closed its side (or reset it): a
 * suspended connection's socket is not polled by libmicrohttpd, so a long
 * poll whose client went away would otherwise wait out its poll-timeout.
 * Peeks without reading: pipelined bytes stay for libmicrohttpd. */
bool tips_client_gone(int fd);

/* What a TIPS request is about (the parts of its path). */
struct tips_target {
	enum tips_path kind;
	char token[TIPS_TOKEN_LEN + 1];
	uint64_t i, j;
};

/* Who asks, and what the request says. */
struct tips_request {
	const struct snapshot *snap;
	const struct catalog *cat;
	const char *identity; /* tips_identity() */
	const char *accept;   /* the Accept header, NULL: none */
	bool https;
	const char *listener; /* the listener's address:port, for a view URI without Host */
	/* the view URI's base, as the directory's URIs have (baseuri.c): the
	 * listener's base-url, or scheme and host as the client named them;
	 * "" with relative-uris; NULL: none (a Host that cannot make one) */
	const char *base;
};

/* The answer. status 0 never; 200 with full set: the full resource (its
 * rendered body, as a GET of it); with blob: that patch (a reference is
 * held: the caller takes it over); with body: malloc'd; with static_body. */
struct tips_reply {
	unsigned status;
	const char *ctype;
	const struct resource *full;
	struct upd_blob *blob;
	char *body;
	const char *static_body;
	size_t len;
	const char *allow;
	unsigned retry_after;
	bool wait; /* nothing yet: wait for the next reload (tips_wait) */
};

int tips_init(struct tips_state **out);
void tips_destroy(struct tips_state *t);

/* The identity a view belongs to: a client's name, "" for the anonymous
 * role, "-" without an access section. */
const char *tips_identity(bool access, bool anonymous, const char *client);
/* That identity's catalog in a snapshot (NULL: it has none any more). */
const struct catalog *tips_catalog_of(const struct snapshot *s, const char *identity);

/* POST /tips (§6). */
void tips_open(struct tips_state *t, const struct tips_request *rq, const char *body, size_t len,
               struct tips_reply *out);
/* Whether the view of a path exists for this client: false with *out the
 * 404 (or 429) to answer. */
bool tips_view_check(struct tips_state *t, const struct tips_request *rq, const struct tips_target *tt,
                     struct tips_reply *out);
/* GET of an edge (§7), or out->wait. */
void tips_edge(struct tips_state *t, const struct tips_request *rq, const struct tips_target *tt,
               struct tips_reply *out);
/* POST <view>/ug (§7.4). */
void tips_next_edge(struct tips_state *t, const struct tips_request *rq, const struct tips_target *tt, const char *body,
                    size_t len, struct tips_reply *out);
void tips_reply_clear(struct tips_reply *r);

/* Wakes: a counter read before looking at the history; tips_wait
 * refuses to suspend when a reload came since (the caller looks again). */
uint64_t tips_generation(struct tips_state *t);
/* From the access handler: suspends c until the next reload, the
 * waiter's deadline or stop. false: look again (a reload came since gen,
 * or the server is stopping). */
bool tips_wait(struct tips_state *t, struct MHD_Connection *c, struct tips_waiter *w, uint64_t gen);
/* The request is done: off the list (it is not on it unless stopped
 * abnormally). */
void tips_unwait(struct tips_state *t, struct tips_waiter *w);
bool tips_stopping(struct tips_state *t);

/* server_snapshot_changed(): every long poll looks again. */
void tips_wake(struct tips_state *t);
/* The watchdog, every step: long polls past their deadline answer, views
 * idle for longer than their lifetime are dropped. */
void tips_sweep(struct tips_state *t, const struct snapshot *s, int64_t now_ms);
/* server_stop(): every long poll answers now, none waits again. */
void tips_stop(struct tips_state *t);
/* Views held and polls waiting (SIGUSR1). */
void tips_counts(struct tips_state *t, size_t *views, size_t *waiting);

#endif
