/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Connection life: libmicrohttpd's socket context (struct conn_ctx) from
 * accept to close, and the watchdog that cuts off connections whose
 * request does not arrive whole in time (request-timeout) or whose answer
 * is not built and sent in time (response-timeout).
 */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "util/clock.h"
#include "util/log.h"
#include "http_internal.h"
#include "server/tips.h"
#include "sse_internal.h"

struct conn_ctx *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The request is in: request-timeout no longer runs; response-timeout
 * does, until the answer is built and sent (the kernel's send buffer
 * included). A client that stops reading cannot pin the snapshot its
 * answer comes from past a reload, nor hold the connection, for longer. */
void conn_answering(struct MHD_Connection *c, unsigned response_timeout)
{
	struct conn_ctx *cc = conn_of(c);
	if (cc == NULL)
		return;
	atomic_store(&cc->answer_deadline_ms,
	             response_timeout ? clock_mono_ms() + (int64_t)response_timeout * 1000 : 0);
	atomic_store(&cc->deadline_ms, 0);
	atomic_store(&cc->answering, true);
}

/* The next request on this connection must arrive whole within the limit. */
void conn_expect_request(struct conn_ctx *cc, unsigned timeout)
{
	if (cc == NULL)
		return;
	atomic_store(&cc->deadline_ms, timeout ? clock_mono_ms() + (int64_t)timeout * 1000 : 0);
	atomic_store(&cc->answering, false);
}

void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct listener *l = cls;
	struct server *srv = l->srv;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn_ctx *cc = calloc(1, sizeof(*cc));
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (cc == NULL)
			return;
		cc->l = l;
		cc->fd = ci ? ci->connect_fd : -1;
		metrics_connection(srv->metrics, 1);
		struct snapshot *s = slot_acquire(srv->slot);
		conn_expect_request(cc, s->limits.request_timeout);
		snapshot_unref(s);
		pthread_mutex_lock(&srv->conns_lock);
		cc->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = cc;
		srv->conns = cc;
		pthread_mutex_unlock(&srv->conns_lock);
		*socket_context = cc;
		return;
	}
	struct conn_ctx *cc = *socket_context;
	if (cc == NULL)
		return;
	metrics_connection(srv->metrics, -1);
	authz_connection_closed(cc->cs);
	/* unlinked before libmicrohttpd closes the socket: the watchdog never
	 * touches a descriptor number that may have been reused */
	pthread_mutex_lock(&srv->conns_lock);
	if (cc->prev)
		cc->prev->next = cc->next;
	else
		srv->conns = cc->next;
	if (cc->next)
		cc->next->prev = cc->prev;
	pthread_mutex_unlock(&srv->conns_lock);
	free(cc);
	*socket_context = NULL;
}

/* shutdown() makes libmicrohttpd see the end of the stream (or fail its
 * next send) and close: the request completes, its snapshot is released. */
static void cut(struct server *srv, struct conn_ctx *cc, bool answering)
{
	shutdown(cc->fd, SHUT_RDWR);
	cc->cut = true;
	atomic_fetch_add(answering ? &srv->cut_response : &srv->cut_request, 1);
	log_debug("server", answering ? "connection cut off: its answer took longer than response-timeout"
	                              : "connection cut off: its request took longer than request-timeout");
}

/* Cuts off connections whose request did not arrive whole in time (a
 * client sending one byte a second keeps an idle timeout happy, not this),
 * and those whose answer was not built and sent in time (a client that
 * reads a byte a second keeps connection-timeout happy, not this). */
void *conn_watchdog(void *arg)
{
	struct server *srv = arg;
	struct timespec step = {0, 250L * 1000 * 1000};
	while (!atomic_load(&srv->stopping)) {
		nanosleep(&step, NULL);
		int64_t now = clock_mono_ms();
		pthread_mutex_lock(&srv->conns_lock);
		for (struct conn_ctx *cc = srv->conns; cc; cc = cc->next) {
			if (cc->cut || cc->fd < 0)
				continue;
			int64_t a = atomic_load(&cc->answer_deadline_ms);
			bool answer_late = a && now > a;
			if (atomic_load(&cc->answering)) {
				if (answer_late)
					cut(srv, cc, true);
				continue;
			}
			int64_t d = atomic_load(&cc->deadline_ms);
			if (!d || now <= d)
				continue;
			int unsent = 0;
			if (ioctl(cc->fd, TIOCOUTQ, &unsent) == 0 && unsent > 0) {
				/* the client is still reading the last answer: not
				 * idle, but bounded by that answer's response-timeout */
				if (answer_late)
					cut(srv, cc, true);
				else
					atomic_store(&cc->deadline_ms, now + 1000);
				continue;
			}
			cut(srv, cc, false);
		}
		pthread_mutex_unlock(&srv->conns_lock);
		/* TIPS long polls past poll-timeout, idle views */
		struct snapshot *s = slot_acquire(srv->slot);
		tips_sweep(srv->tips, s, now);
		snapshot_unref(s);
		sse_tick(srv); /* keep-alives that are due */
	}
	return NULL;
}
