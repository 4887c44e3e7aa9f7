/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Digest replica gossip: when this replica accepts a Digest answer (nonce N,
 * nc k), it tells every replica of access.digest-peers in one UDP datagram,
 * before the answer is queued; each replica that receives it raises its own
 * table's highest nc for N to k (digest_note_used). A header captured in
 * transit then fails at every replica, not only at the one that accepted it,
 * once the datagram is in (see docs/isolation.md, "Replicas", for the window
 * before that and for a lost datagram).
 *
 * A datagram is PEERS_DATAGRAM_LEN bytes:
 *   "ADP1" | sent (int64 ns of CLOCK_REALTIME, big-endian) | k (uint32,
 *   big-endian) | N (DIGEST_NONCE_RAW bytes) | HMAC-SHA-256 of all that
 * under a key derived from access.secret (label "digest-peer", access.c),
 * which every replica shares and nobody else has. A receiver drops, and
 * counts, a datagram of another size or magic, one whose HMAC fails, one
 * sent more than nonce-lifetime ago (or ahead), and one whose N is not a
 * valid, unexpired nonce of this deployment; a datagram replayed (or late)
 * changes nothing, as k is not above what the table holds. The work per
 * datagram is bounded: two HMACs and one table step.
 */
#ifndef ALTOD_PEERS_H
#define ALTOD_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "server/digest.h"

struct snapshot_access;
struct snapshot_slot;

#define PEERS_DATAGRAM_LEN ((size_t)(4 + 8 + 4 + DIGEST_NONCE_RAW + 32))

/* The datagram telling that nonce was accepted with nc, sent at sent_ns. */
void peers_encode(const uint8_t key[DIGEST_KEY_LEN], const uint8_t nonce[DIGEST_NONCE_RAW], uint32_t nc,
                  int64_t sent_ns, uint8_t out[PEERS_DATAGRAM_LEN]);

enum peers_verdict {
	PEERS_APPLIED,   /* the table's nc for the nonce raised (or the nonce inserted) */
	PEERS_NOT_NEWER, /* valid, but nothing to learn: replayed, late, or a nonce answered stale here */
	PEERS_MALFORMED, /* another size or magic */
	PEERS_FORGED,    /* the HMAC fails: another key, or altered */
	PEERS_OLD,       /* sent more than lifetime ago, or as far ahead */
	PEERS_BAD_NONCE, /* not a valid, unexpired nonce of this deployment */
	PEERS_NVERDICTS
};

/* Checks a received datagram (len bytes as received) under peer_key and,
 * if it holds, notes its nonce's nc in ds (digest_note_used under
 * nonce_key and lifetime). Nothing changes unless PEERS_APPLIED. */
enum peers_verdict peers_apply(struct digest_state *ds, const uint8_t peer_key[DIGEST_KEY_LEN],
                               const uint8_t nonce_key[DIGEST_KEY_LEN], unsigned lifetime, int64_t now_ns,
                               const uint8_t *dgram, size_t len);

struct peers;

/* listen: access.digest-listen ("address:port", port 0: any; NULL: this
 * replica only sends). Binds it and starts the receiver thread, which
 * reads the keys and lifetime of the slot's live snapshot and notes into
 * ds. 0, or ALTOD_ELISTEN / ALTOD_ENOMEM with the reason logged. */
int peers_start(const char *listen, struct digest_state *ds, struct snapshot_slot *slot, struct peers **out);
/* Tells every peer of a's policy (none: nothing) that nonce was accepted
 * with nc. Never blocks: a datagram the socket cannot take is counted as
 * failed. p NULL: nothing. */
void peers_send(struct peers *p, const struct snapshot_access *a, const uint8_t nonce[DIGEST_NONCE_RAW], uint32_t nc);
/* One line of counters (SIGUSR1), when this replica receives or has sent. */
void peers_log_stats(struct peers *p);
/* Stops and joins the receiver, closes the sockets, frees. */
void peers_stop(struct peers *p);

#endif
