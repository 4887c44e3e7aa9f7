/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The listeners: their sockets and libmicrohttpd daemons (one per
 * listener, a pool of worker threads each), how the server starts and how
 * it stops (stop accepting, let requests in flight finish, then close).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "http_internal.h"
#include "server/tips.h"
#include "sse_internal.h"

static int open_listener(const struct conf_listener *l, struct listener *out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, l->address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(l->port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, l->address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(l->port);
		sl = sizeof(*s6);
	} else {
		log_err("server", "listener %s: not a numeric address", l->address);
		return ALTOD_ELISTEN;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_err("server", "cannot listen on %s port %u: %s", l->address, l->port, strerror(errno));
		return ALTOD_ELISTEN;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) /* "::" means IPv6 only: list 0.0.0.0 too for IPv4 */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1024) != 0) {
		log_err("server", "cannot listen on %s port %u: %s", l->address, l->port, strerror(errno));
		close(fd);
		return ALTOD_ELISTEN;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	out->bound = ss;
	unsigned port = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
	snprintf(out->name, sizeof(out->name), ss.ss_family == AF_INET ? "%s:%u" : "[%s]:%u", l->address, port);
	out->fd = fd;
	return 0;
}

/* What the request side reads of the listener's settings: copies, the
 * configuration does not outlive a reload. */
static int listener_copy_conf(const struct conf_listener *cl, struct listener *l)
{
	l->relative_uris = cl->relative_uris;
	l->proxy = cl->proxy_protocol;
	if (cl->base_url && (l->base_url = strdup(cl->base_url)) == NULL)
		return ALTOD_ENOMEM;
	if (cl->ntrusted_proxies) {
		l->trusted = malloc(cl->ntrusted_proxies * sizeof(*l->trusted));
		if (l->trusted == NULL)
			return ALTOD_ENOMEM;
		memcpy(l->trusted, cl->trusted_proxies, cl->ntrusted_proxies * sizeof(*l->trusted));
		l->ntrusted = cl->ntrusted_proxies;
	}
	return 0;
}

static unsigned ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int server_start(const struct conf *c, struct snapshot_slot *slot, struct tls_state **tls, struct metrics *m,
                 struct server **out)
{
	struct server *srv = calloc(1, sizeof(*srv));

	*out = NULL;
	if (srv == NULL)
		return ALTOD_ENOMEM;
	srv->slot = slot;
	srv->metrics = m;
	if (sse_init(srv) != 0) {
		free(srv);
		return ALTOD_ENOMEM;
	}
	/* Digest: nonces issued before now were never seen by this process */
	if (authz_init(&srv->authz, clock_real_ns()) != 0) {
		sse_free(srv);
		free(srv);
		return ALTOD_ENOMEM;
	}
	int rc = peers_start(c->digest_listen, srv->authz.digest, slot, &srv->authz.peers);
	if (rc != 0) {
		authz_destroy(&srv->authz);
		sse_free(srv);
		free(srv);
		return rc;
	}
	pthread_mutex_init(&srv->conns_lock, NULL);
	srv->ls = calloc(c->nlisten, sizeof(*srv->ls));
	if (srv->ls == NULL || tips_init(&srv->tips) != 0) {
		free(srv->ls);
		pthread_mutex_destroy(&srv->conns_lock);
		authz_destroy(&srv->authz);
		sse_free(srv);
		free(srv);
		return ALTOD_ENOMEM;
	}
	unsigned threads = c->threads ? c->threads : ncpus();
	/* Every listener is opened and described before the first daemon
	 * starts: the callbacks read their listener and srv->ls from
	 * worker threads without a lock, so none of it may change once a
	 * worker runs (set up one by one, a handshake on the first listener
	 * raced with the second's setup). Only each listener's tls pointer
	 * changes later, atomically. */
	for (size_t i = 0; i < c->nlisten; i++) {
		struct listener *l = &srv->ls[srv->nls];
		if (open_listener(&c->listen[i], l) != 0) {
			server_stop(srv, 0);
			return ALTOD_ELISTEN;
		}
		l->srv = srv;
		l->clear_digest = c->listen[i].clear_digest;
		l->stop_fd = -1;
		srv->nls++;
		if (listener_copy_conf(&c->listen[i], l) != 0) {
			server_stop(srv, 0);
			return ALTOD_ENOMEM;
		}
		if (tls && tls[i]) {
			tls_state_follow(tls[i], NULL);
			atomic_store(&l->tls, tls[i]);
			tls[i] = NULL; /* the listener owns it now */
		}
	}
	for (size_t i = 0; i < srv->nls; i++) {
		struct listener *l = &srv->ls[i];
		/* suspend/resume: TIPS long polls and update streams wait
		 * without a thread (server/tips.h, sse_internal.h) */
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC |
		                 MHD_ALLOW_SUSPEND_RESUME;
		struct MHD_OptionItem tls_opts[] = {
		        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)https_retrieve_cert},
		        {MHD_OPTION_HTTPS_PRIORITIES, 0, c->listen[i].tls ? c->listen[i].tls->priorities : NULL},
		        {MHD_OPTION_END, 0, NULL},
		};
		if (atomic_load(&l->tls))
			flags |= MHD_USE_TLS;
		else
			tls_opts[0].option = MHD_OPTION_END;
		/* behind a proxy altod accepts (accept.c): libmicrohttpd gets
		 * each connection once its PROXY header is read, never the
		 * listening socket */
		struct MHD_OptionItem sock_opts[] = {
		        {MHD_OPTION_LISTEN_SOCKET, (intptr_t)l->fd, NULL},
		        {MHD_OPTION_END, 0, NULL},
		};
		if (l->proxy) {
			flags |= MHD_USE_NO_LISTEN_SOCKET;
			sock_opts[0].option = MHD_OPTION_END;
		}
		/* clang-format off */
		l->mhd = MHD_start_daemon(
			flags, 0, NULL, NULL, route_request, l,
			MHD_OPTION_EXTERNAL_LOGGER, framing_mhd_log, srv, /* first, to catch every message */
			MHD_OPTION_ARRAY, tls_opts,
			MHD_OPTION_ARRAY, sock_opts,
			MHD_OPTION_THREAD_POOL_SIZE, threads,
			MHD_OPTION_CONNECTION_LIMIT, c->limits.max_connections,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->limits.max_connections_per_address,
			/* the request line and headers must fit in this: altod checks
			 * max-header-size itself; libmicrohttpd needs room for its own
			 * bookkeeping on top (about 40 bytes per header line, so some
			 * 350 lines fit at the default). Not more: libmicrohttpd zeroes
			 * the whole pool between requests (4x this cost a 1x1 endpoint
			 * cost request a fifth of its time) */
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->limits.max_header_size + (size_t)16384,
			MHD_OPTION_CONNECTION_TIMEOUT, c->limits.connection_timeout,
			MHD_OPTION_NOTIFY_COMPLETED, route_completed, l,
			MHD_OPTION_NOTIFY_CONNECTION, conn_notify, l,
			MHD_OPTION_URI_LOG_CALLBACK, framing_request_line, l,
			/* Host is checked by altod itself (framing_error): libmicrohttpd
			 * 0.9.75's own 400 for it sends its headers twice */
			MHD_OPTION_STRICT_FOR_CLIENT, (int)0,
			MHD_OPTION_END);
		/* clang-format on */
		if (l->mhd == NULL) {
			log_err("server", "cannot start the HTTP server on %s", l->name);
			server_stop(srv, 0);
			return ALTOD_ELISTEN;
		}
		if (l->proxy && accept_start(l) != 0) {
			log_err("server", "cannot start the PROXY protocol acceptor on %s", l->name);
			server_stop(srv, 0);
			return ALTOD_ELISTEN;
		}
		log_info("server", "listening on %s://%s/ (%u threads)%s", atomic_load(&l->tls) ? "https" : "http",
		         l->name, threads, l->proxy ? ", PROXY protocol v2 from trusted proxies" : "");
	}
	if (pthread_create(&srv->watchdog, NULL, conn_watchdog, srv) != 0) {
		log_err("server", "cannot start the request-timeout watchdog");
		server_stop(srv, 0);
		return ALTOD_ENOMEM;
	}
	srv->watchdog_running = true;
	*out = srv;
	return 0;
}

void server_stop(struct server *srv, unsigned grace_ms)
{
	if (srv == NULL)
		return;
	/* With no request in flight nothing is waited for: libmicrohttpd is
	 * stopped right below, without MHD_quiesce_daemon, which in 0.9.75
	 * races with its own worker threads (both take the listening socket
	 * out of a worker's epoll set; the loser's EPOLL_CTL_DEL fails and
	 * libmicrohttpd panics: seen at a SIGTERM under ThreadSanitizer while
	 * clients queried). Requests in flight (or update streams, long polls
	 * and idle connections, which end at once) still need it. */
	bool wait = grace_ms > 0 && atomic_load(&srv->inflight) > 0;
	/* stop accepting everywhere first */
	for (size_t i = 0; i < srv->nls; i++) {
		struct listener *l = &srv->ls[i];
		accept_stop(l); /* behind a proxy: no new connection reaches libmicrohttpd */
		if (!wait)
			continue;
		if (l->mhd && !l->proxy)
			MHD_quiesce_daemon(l->mhd);
		/* shut down now, not at the end: a new connection is refused at
		 * once (a load balancer fails over) instead of waiting in the
		 * backlog. Closed only after MHD_stop_daemon, as libmicrohttpd
		 * documents for MHD_quiesce_daemon: its worker threads may still
		 * use the descriptor (epoll_ctl), and a number closed under them
		 * could be reused by another file */
		if (l->fd >= 0)
			shutdown(l->fd, SHUT_RDWR);
	}
	/* long polls answer now (503, close), and none waits again:
	 * libmicrohttpd must not be stopped with a connection suspended */
	if (srv->tips)
		tips_stop(srv->tips);
	/* update streams end now (they would never finish by themselves),
	 * and every suspended one is resumed: libmicrohttpd must not be
	 * stopped with a connection suspended */
	sse_shutdown(srv);
	struct timespec step = {0, 10L * 1000 * 1000};
	/* idle keep-alive connections are not waited for: requests are */
	int64_t until = clock_mono_ms() + (int64_t)grace_ms;
	while (atomic_load(&srv->inflight) > 0 && clock_mono_ms() < until)
		nanosleep(&step, NULL);
	if (atomic_load(&srv->inflight) > 0)
		log_warning("server", "stopping with %u requests still in flight", atomic_load(&srv->inflight));
	for (size_t i = 0; i < srv->nls; i++) {
		struct listener *l = &srv->ls[i];
		if (l->mhd)
			MHD_stop_daemon(l->mhd);
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		free(l->base_url);
		free(l->trusted);
		tls_state_free(atomic_load(&l->tls));
		while (l->retired) {
			struct tls_state *next = l->retired->retired_next;
			tls_state_free(l->retired);
			l->retired = next;
		}
	}
	atomic_store(&srv->stopping, true);
	if (srv->watchdog_running)
		pthread_join(srv->watchdog, NULL);
	pthread_mutex_destroy(&srv->conns_lock);
	authz_destroy(&srv->authz);
	tips_destroy(srv->tips);
	sse_free(srv);
	free(srv->ls);
	free(srv);
}

void server_log_stats(struct server *srv)
{
	clients_log(&srv->authz.clients);
	for (size_t i = 0; i < srv->nls; i++) {
		struct listener *l = &srv->ls[i];
		if (l->proxy)
			log_notice("server",
			           "%s: connections closed before the PROXY header: %lu from untrusted addresses, %lu "
			           "without a valid header, %lu too slow",
			           l->name, atomic_load(&l->proxy_untrusted), atomic_load(&l->proxy_refused),
			           atomic_load(&l->proxy_timeouts));
	}
	log_notice("server",
	           "connections cut off: %lu past request-timeout, %lu past response-timeout; %u snapshot(s) in memory",
	           atomic_load(&srv->cut_request), atomic_load(&srv->cut_response), slot_live(srv->slot));
	log_notice("server", "update streams (SSE) open: %zu", sse_count(srv));
	peers_log_stats(srv->authz.peers);
	size_t views, waiting;
	tips_counts(srv->tips, &views, &waiting);
	log_notice("server", "TIPS: %zu views held, %zu long polls waiting", views, waiting);
}

void server_snapshot_changed(struct server *srv)
{
	/* TIPS long polls (RFC 9569) and SSE streams (RFC 8895) wake their
	 * waiters here: each re-acquires the slot and reads its resource's
	 * history in the new snapshot */
	tips_wake(srv->tips);
	sse_wake(srv);
}
