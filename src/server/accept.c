/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Listeners behind a proxy (server.listen[].proxy-protocol): altod accepts
 * their connections itself, in one thread per listener, because
 * libmicrohttpd 0.9.75 knows nothing of the PROXY protocol. A connection
 * from a source outside trusted-proxies is closed at once, unread. Any
 * other one waits, never blocking the thread (non-blocking sockets under
 * epoll), until its PROXY v2 header has arrived whole (exactly its bytes
 * are read: what follows, the client's HTTP request or TLS ClientHello, is
 * left in the socket) within request-timeout; then the socket is handed to
 * libmicrohttpd with the client's address from the header
 * (MHD_add_connection), which is the address its per-address connection
 * limit, altod's per-address rate limits and an endpoint cost request's
 * implicit source see. Anything else (no header, version 1, a bad one, a
 * truncated one, one too slow) is closed. At most PROXY_PENDING
 * connections wait at once; past it the newest is closed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/proxy.h"
#include "util/clock.h"
#include "util/log.h"
#include "http_internal.h"

#define PROXY_PENDING 1024

struct pending {
	int fd;
	size_t slot; /* its index in the acceptor's table */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	int64_t deadline_ms;
	size_t have;
	uint8_t buf[PROXY_V2_MAX];
};

struct acceptor {
	struct listener *l;
	int ep;
	struct pending **p; /* PROXY_PENDING slots, NULL: free */
	size_t n;           /* slots in use */
};

static void drop(struct acceptor *a, size_t i, atomic_ulong *counter, const char *why)
{
	struct pending *p = a->p[i];
	if (counter)
		atomic_fetch_add(counter, 1);
	if (why)
		log_debug("server", "%s: connection refused: %s", a->l->name, why);
	epoll_ctl(a->ep, EPOLL_CTL_DEL, p->fd, NULL);
	close(p->fd);
	free(p);
	a->p[i] = NULL;
	a->n--;
}

static unsigned header_timeout(struct server *srv)
{
	struct snapshot *s = slot_acquire(srv->slot);
	unsigned t = s->limits.request_timeout;
	snapshot_unref(s);
	return t ? t : 10;
}

static void accept_all(struct acceptor *a)
{
	struct listener *l = a->l;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* the connection stays in the backlog and the socket
				 * readable: pause instead of spinning on it */
				struct timespec pause = {0, 50L * 1000 * 1000};
				log_debug("server", "%s: cannot accept: %s", l->name, strerror(errno));
				nanosleep(&pause, NULL);
			}
			return; /* EAGAIN: epoll says when to try again */
		}
		if (!proxy_trusted((struct sockaddr *)&ss, l->trusted, l->ntrusted)) {
			/* the spec (§2): "Receivers must also be explicitly configured
			 * to only accept from trusted sources" */
			atomic_fetch_add(&l->proxy_untrusted, 1); /* counted before the client can see the close */
			close(fd);
			log_debug("server", "%s: connection from an address outside trusted-proxies closed", l->name);
			continue;
		}
		size_t i = 0;
		while (i < PROXY_PENDING && a->p[i])
			i++;
		struct pending *p = i < PROXY_PENDING ? malloc(sizeof(*p)) : NULL;
		if (p == NULL) {
			atomic_fetch_add(&l->proxy_refused, 1);
			close(fd);
			log_debug("server", "%s: too many connections waiting for their PROXY header", l->name);
			continue;
		}
		p->fd = fd;
		p->slot = i;
		p->peer = ss;
		p->peer_len = sl;
		p->have = 0;
		p->deadline_ms = clock_mono_ms() + (int64_t)header_timeout(l->srv) * 1000;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = p};
		if (epoll_ctl(a->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(p);
			continue;
		}
		a->p[i] = p;
		a->n++;
	}
}

/* Reads what the header still lacks, never more: the bytes after it are
 * the client's, for libmicrohttpd. */
static void read_header(struct acceptor *a, size_t i)
{
	struct pending *p = a->p[i];
	struct listener *l = a->l;
	for (;;) {
		size_t need = PROXY_V2_FIXED;
		struct proxy_header h;
		const char *why = NULL;
		enum proxy_result r = p->have ? proxy_v2_parse(p->buf, p->have, &need, &h, &why) : PROXY_MORE;
		if (r == PROXY_BAD) {
			drop(a, i, &l->proxy_refused, why);
			return;
		}
		if (r == PROXY_OK) {
			int fd = p->fd;
			struct sockaddr_storage addr = h.local ? p->peer : h.src;
			socklen_t alen = h.local ? p->peer_len : h.src_len;
			epoll_ctl(a->ep, EPOLL_CTL_DEL, fd, NULL);
			free(p);
			a->p[i] = NULL;
			a->n--;
			/* libmicrohttpd owns the socket now, and closes it on failure */
			if (MHD_add_connection(l->mhd, fd, (const struct sockaddr *)&addr, alen) != MHD_YES)
				log_debug("server", "%s: a proxied connection was not taken: %s", l->name,
				          strerror(errno));
			return;
		}
		ssize_t got = recv(p->fd, p->buf + p->have, need - p->have, 0);
		if (got == 0) {
			drop(a, i, &l->proxy_refused, "closed before its PROXY header was whole");
			return;
		}
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				drop(a, i, &l->proxy_refused, strerror(errno));
			return;
		}
		p->have += (size_t)got;
	}
}

static void expire(struct acceptor *a)
{
	int64_t now = clock_mono_ms();
	for (size_t i = 0; i < PROXY_PENDING && a->n > 0; i++)
		if (a->p[i] && now > a->p[i]->deadline_ms)
			drop(a, i, &a->l->proxy_timeouts,
			     "its PROXY header did not arrive whole within request-timeout");
}

static void *acceptor_run(void *arg)
{
	struct acceptor a = {.l = arg};
	struct listener *l = a.l;
	a.ep = epoll_create1(EPOLL_CLOEXEC);
	a.p = calloc(PROXY_PENDING, sizeof(*a.p));
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &l->fd};
	struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &l->stop_fd};
	if (a.ep < 0 || a.p == NULL || epoll_ctl(a.ep, EPOLL_CTL_ADD, l->fd, &lev) != 0 ||
	    epoll_ctl(a.ep, EPOLL_CTL_ADD, l->stop_fd, &sev) != 0) {
		log_err("server", "%s: cannot wait for connections: %s", l->name, strerror(errno));
		if (a.ep >= 0)
			close(a.ep);
		free(a.p);
		return NULL;
	}
	bool stop = false;
	while (!stop) {
		struct epoll_event evs[64];
		/* a quarter second between looks at the deadlines: the header's
		 * time limit is whole seconds */
		int n = epoll_wait(a.ep, evs, 64, a.n ? 250 : -1);
		for (int k = 0; k < n; k++) {
			if (evs[k].data.ptr == &l->stop_fd) {
				stop = true;
			} else if (evs[k].data.ptr == &l->fd) {
				accept_all(&a);
			} else {
				const struct pending *p = evs[k].data.ptr;
				read_header(&a, p->slot);
			}
		}
		if (a.n)
			expire(&a);
	}
	for (size_t i = 0; i < PROXY_PENDING; i++)
		if (a.p[i])
			drop(&a, i, NULL, NULL);
	free(a.p);
	close(a.ep);
	return NULL;
}

int accept_start(struct listener *l)
{
	l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->stop_fd < 0)
		return -1;
	if (pthread_create(&l->acceptor, NULL, acceptor_run, l) != 0) {
		close(l->stop_fd);
		l->stop_fd = -1;
		return -1;
	}
	l->acceptor_running = true;
	return 0;
}

void accept_stop(struct listener *l)
{
	if (!l->acceptor_running)
		return;
	uint64_t one = 1;
	if (write(l->stop_fd, &one, sizeof(one)) < 0)
		log_warning("server", "%s: cannot stop the acceptor: %s", l->name, strerror(errno));
	pthread_join(l->acceptor, NULL);
	l->acceptor_running = false;
	close(l->stop_fd);
	l->stop_fd = -1;
}
