/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RFC 8895 update streams on libmicrohttpd (private to the front end):
 * the registry of open streams, their streaming, their stream control
 * service, and their limits. The protocol itself (requests, messages) is
 * alto/sse.h.
 *
 * A stream is a chunked text/event-stream response whose content reader
 * (a libmicrohttpd callback on the connection's worker thread) makes its
 * events lazily: when all it handed over is gone, it reads the serving
 * snapshot and its updates history, and sends each substream what it
 * lacks (the full resource first; then the patches of each version since
 * the one it sent, or the full resource again when the history no longer
 * holds them). With nothing to send it suspends the connection (no thread
 * waits); server_snapshot_changed, a keep-alive that is due, a stream
 * control request and server_stop resume it.
 *
 * Memory: a stream holds one snapshot only while an event batch of it is
 * being sent, and that batch must be out (into libmicrohttpd, the kernel
 * and the client) within response-timeout, else the watchdog cuts the
 * connection off. An idle stream holds no snapshot.
 */
#ifndef ALTOD_SERVER_SSE_INTERNAL_H
#define ALTOD_SERVER_SSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "alto/catalog.h"
#include "alto/errbody.h"
#include "snap/snapshot.h"

struct server;
struct sse_registry;

/* Who asks: the identity a stream belongs to. A named client (access
 * section) is its name; anyone else (anonymous role, no access section)
 * is its address. Only the same identity may control a stream, and the
 * per-client limit counts per identity. */
struct sse_who {
	char key[96];       /* "client:<name>" or "peer:<address>" */
	const char *client; /* the policy client name, NULL: not a named client */
	bool anonymous;     /* served the anonymous role */
};

/* What a stream request or a stream control request gets. */
struct sse_answer {
	unsigned status;        /* 200 (stream), 204 (control), 400 (err), 404, 429, 503 */
	struct MHD_Response *r; /* 200, 204 */
	struct alto_error err;  /* 400: its field may point into field[] */
	char field[160];        /* storage for err.field */
	const char *text;       /* 429, 503: the plain-text reason */
	double retry_after;     /* 429, 503 */
};

int sse_init(struct server *srv);
void sse_free(struct server *srv);

/* Opens a stream (POST to the update stream service). cat: what this
 * client may see, in snap; base: the prefix of the stream's control URI
 * (baseuri_of: "" for a relative one). 0, or ALTOD_ENOMEM. */
int sse_open(struct server *srv, struct MHD_Connection *c, const struct sse_who *who, const struct snapshot *snap,
             const struct catalog *cat, const char *base, const char *body, size_t len, struct sse_answer *a);
/* Is path the stream control URI of an open stream of this identity? */
bool sse_control_known(struct server *srv, const char *path, const struct sse_who *who);
/* A stream control request (§7). a->status 404: the stream is gone (answer
 * as for a URI that never existed). 0, or ALTOD_ENOMEM. */
int sse_control(struct server *srv, const char *path, const struct sse_who *who, const struct snapshot *snap,
                const struct catalog *cat, const char *body, size_t len, struct sse_answer *a);

/* A new snapshot serves: every stream looks at it. */
void sse_wake(struct server *srv);
/* From the watchdog, a few times a second: keep-alives that are due. */
void sse_tick(struct server *srv);
/* server_stop: every stream ends (cleanly: its last event whole, then the
 * end of the chunked body), and no new one opens. */
void sse_shutdown(struct server *srv);
/* Streams open now (statistics). */
size_t sse_count(struct server *srv);

#endif
