/* SPDX-License-Identifier: BSD-2-Clause */
/* Digest replica gossip: see include/altod/peers.h. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "snap/access.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ip.h"
#include "util/log.h"
#include "server/peers.h"
#include "snap/snapshot.h"

static const uint8_t magic[4] = {'A', 'D', 'P', '1'};

#define OFF_SENT 4
#define OFF_NC 12
#define OFF_NONCE 16
#define OFF_MAC (OFF_NONCE + DIGEST_NONCE_RAW)

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

void peers_encode(const uint8_t key[DIGEST_KEY_LEN], const uint8_t nonce[DIGEST_NONCE_RAW], uint32_t nc,
                  int64_t sent_ns, uint8_t out[PEERS_DATAGRAM_LEN])
{
	memcpy(out, magic, sizeof(magic));
	put_be(out + OFF_SENT, (uint64_t)sent_ns, 8);
	put_be(out + OFF_NC, nc, 4);
	memcpy(out + OFF_NONCE, nonce, DIGEST_NONCE_RAW);
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, DIGEST_KEY_LEN, out, OFF_MAC, out + OFF_MAC);
}

enum peers_verdict peers_apply(struct digest_state *ds, const uint8_t peer_key[DIGEST_KEY_LEN],
                               const uint8_t nonce_key[DIGEST_KEY_LEN], unsigned lifetime, int64_t now_ns,
                               const uint8_t *dgram, size_t len)
{
	if (len != PEERS_DATAGRAM_LEN || memcmp(dgram, magic, sizeof(magic)) != 0)
		return PEERS_MALFORMED;
	uint8_t mac[32], d = 0;
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, peer_key, DIGEST_KEY_LEN, dgram, OFF_MAC, mac);
	for (size_t i = 0; i < sizeof(mac); i++)
		d |= mac[i] ^ dgram[OFF_MAC + i];
	if (d != 0)
		return PEERS_FORGED;
	/* a datagram older than a nonce's lifetime can only speak of nonces
	 * every replica answers stale by now */
	int64_t sent = (int64_t)get_be(dgram + OFF_SENT, 8), life = (int64_t)lifetime * 1000000000;
	if (now_ns - sent > life || sent - now_ns > life)
		return PEERS_OLD;
	switch (digest_note_used(ds, nonce_key, lifetime, now_ns, dgram + OFF_NONCE,
	                         (uint32_t)get_be(dgram + OFF_NC, 4))) {
	case DIGEST_NOTE_RAISED: return PEERS_APPLIED;
	case DIGEST_NOTE_NOT_NEWER:
	case DIGEST_NOTE_STALE: return PEERS_NOT_NEWER;
	case DIGEST_NOTE_INVALID: break;
	}
	return PEERS_BAD_NONCE;
}

/* ---- the sockets and the receiver ---- */

enum { C_SENT = PEERS_NVERDICTS, C_SEND_FAILED, C_NO_SECRET, C_N };

struct peers {
	struct digest_state *ds;
	struct snapshot_slot *slot;
	int fd;           /* the receiving socket; -1: none */
	int stop_pipe[2]; /* the receiver stops when the write end is written */
	pthread_t thread;
	bool running;
	pthread_mutex_t send_lock; /* creating a sending socket */
	atomic_int send_fd[2];     /* AF_INET, AF_INET6: opened on first use; -1: not yet */
	atomic_ulong counters[C_N];
};

static void receive_one(struct peers *p, const uint8_t *buf, size_t len)
{
	struct snapshot *s = slot_acquire(p->slot);
	const struct snapshot_access *a = s->access;
	unsigned c;
	if (a == NULL || a->policy->secret == NULL)
		c = C_NO_SECRET; /* no key to check it under */
	else
		c = peers_apply(p->ds, a->peer_key, a->nonce_key, a->policy->nonce_lifetime, clock_real_ns(), buf, len);
	snapshot_unref(s);
	atomic_fetch_add(&p->counters[c], 1);
}

static void *receiver(void *arg)
{
	struct peers *p = arg;
	struct pollfd pf[2] = {{.fd = p->fd, .events = POLLIN}, {.fd = p->stop_pipe[0], .events = POLLIN}};
	for (;;) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("server", "digest peers: poll: %s; no more updates are received", strerror(errno));
			return NULL;
		}
		if (pf[1].revents)
			return NULL;
		/* a batch, then the stop pipe is looked at again */
		for (int i = 0; i < 256; i++) {
			uint8_t buf[PEERS_DATAGRAM_LEN + 1];
			/* MSG_TRUNC: the datagram's real length, so a longer one
			 * is malformed, not cut to size */
			ssize_t n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
			if (n < 0)
				break;
			receive_one(p, buf, (size_t)n);
		}
	}
}

static int open_receiver(struct peers *p, const char *listen)
{
	struct sockaddr_storage ss;
	size_t slen;
	const char *why;
	if (ip_hostport_parse(listen, true, &ss, &slen, &why) != 0) {
		log_err("server", "digest-listen %s: %s", listen, why);
		return ALTOD_ELISTEN;
	}
	p->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p->fd < 0) {
		log_err("server", "digest-listen %s: %s", listen, strerror(errno));
		return ALTOD_ELISTEN;
	}
	int one = 1;
	if (ss.ss_family == AF_INET6)
		setsockopt(p->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(p->fd, (struct sockaddr *)&ss, (socklen_t)slen) != 0) {
		log_err("server", "digest-listen %s: cannot bind: %s", listen, strerror(errno));
		return ALTOD_ELISTEN;
	}
	socklen_t len = sizeof(ss);
	getsockname(p->fd, (struct sockaddr *)&ss, &len);
	char name[IP_HOSTPORT_STRLEN];
	ip_sockaddr_format(&ss, name, sizeof(name));
	if (pipe2(p->stop_pipe, O_CLOEXEC) != 0) {
		log_err("server", "digest peers: pipe: %s", strerror(errno));
		return ALTOD_ENOMEM;
	}
	if (pthread_create(&p->thread, NULL, receiver, p) != 0) {
		log_err("server", "digest peers: cannot start the receiver thread");
		return ALTOD_ENOMEM;
	}
	p->running = true;
	log_info("server", "digest peers: receiving nc updates on udp://%s/", name);
	return 0;
}

int peers_start(const char *listen, struct digest_state *ds, struct snapshot_slot *slot, struct peers **out)
{
	struct peers *p = calloc(1, sizeof(*p));
	*out = NULL;
	if (p == NULL)
		return ALTOD_ENOMEM;
	p->ds = ds;
	p->slot = slot;
	p->fd = -1;
	p->stop_pipe[0] = p->stop_pipe[1] = -1;
	atomic_init(&p->send_fd[0], -1);
	atomic_init(&p->send_fd[1], -1);
	pthread_mutex_init(&p->send_lock, NULL);
	if (listen) {
		int rc = open_receiver(p, listen);
		if (rc != 0) {
			peers_stop(p);
			return rc;
		}
	}
	*out = p;
	return 0;
}

static int send_socket(struct peers *p, int family)
{
	int i = family == AF_INET6;
	int fd = atomic_load(&p->send_fd[i]);
	if (fd >= 0)
		return fd;
	pthread_mutex_lock(&p->send_lock);
	fd = atomic_load(&p->send_fd[i]);
	if (fd < 0) {
		fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		atomic_store(&p->send_fd[i], fd);
	}
	pthread_mutex_unlock(&p->send_lock);
	return fd;
}

void peers_send(struct peers *p, const struct snapshot_access *a, const uint8_t nonce[DIGEST_NONCE_RAW], uint32_t nc)
{
	if (p == NULL || a == NULL || a->policy->npeers == 0 || a->policy->secret == NULL)
		return;
	const struct policy *pol = a->policy;
	uint8_t d[PEERS_DATAGRAM_LEN];
	peers_encode(a->peer_key, nonce, nc, clock_real_ns(), d);
	for (size_t i = 0; i < pol->npeers; i++) {
		const struct policy_peer *pe = &pol->peers[i];
		int fd = send_socket(p, pe->addr->ss_family);
		bool ok =
		        fd >= 0 && sendto(fd, d, sizeof(d), MSG_DONTWAIT | MSG_NOSIGNAL,
		                          (const struct sockaddr *)pe->addr, (socklen_t)pe->len) == (ssize_t)sizeof(d);
		atomic_fetch_add(&p->counters[ok ? C_SENT : C_SEND_FAILED], 1);
	}
}

void peers_log_stats(struct peers *p)
{
	if (p == NULL)
		return;
	unsigned long c[C_N];
	for (int i = 0; i < C_N; i++)
		c[i] = atomic_load(&p->counters[i]);
	if (p->fd < 0 && c[C_SENT] == 0 && c[C_SEND_FAILED] == 0)
		return;
	log_notice("server",
	           "digest peers: sent %lu, %lu failed; received %lu applied, %lu not newer; dropped %lu malformed, "
	           "%lu forged, %lu old, %lu bad nonce, %lu without a secret",
	           c[C_SENT], c[C_SEND_FAILED], c[PEERS_APPLIED], c[PEERS_NOT_NEWER], c[PEERS_MALFORMED],
	           c[PEERS_FORGED], c[PEERS_OLD], c[PEERS_BAD_NONCE], c[C_NO_SECRET]);
}

void peers_stop(struct peers *p)
{
	if (p == NULL)
		return;
	if (p->running) {
		char b = 1;
		while (write(p->stop_pipe[1], &b, 1) < 0 && errno == EINTR)
			;
		pthread_join(p->thread, NULL);
	}
	for (int i = 0; i < 2; i++) {
		if (p->stop_pipe[i] >= 0)
			close(p->stop_pipe[i]);
		int fd = atomic_load(&p->send_fd[i]);
		if (fd >= 0)
			close(fd);
	}
	if (p->fd >= 0)
		close(p->fd);
	pthread_mutex_destroy(&p->send_lock);
	free(p);
}
