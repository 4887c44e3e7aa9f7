/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The access layer of a snapshot: the views materialized from the maps,
 * and one catalog per distinct set of roles, each rendered once. A request's
 * authenticated client picks its catalog; everything it may see, and only
 * that, is in there.
 */
#ifndef ALTOD_ACCESS_H
#define ALTOD_ACCESS_H

#include <stdint.h>

#include "alto/catalog.h"
#include "conf/policy.h"
#include "topo/topo.h"

struct snapshot_access {
	struct policy *policy;
	struct topo_netmap *views;
	size_t nviews;
	struct catalog *universe; /* every resource and view: renders bodies once */
	struct catalog **cats;    /* one per distinct role set */
	size_t ncats;
	struct catalog **client_cat; /* per policy->clients index */
	struct catalog *anonymous;   /* NULL: no anonymous access */
	uint8_t nonce_key[32];       /* Digest nonces' HMAC key, from policy->secret (if any) */
	uint8_t peer_key[32];        /* the replicas' nc updates' HMAC key (peers.h), likewise */
};

/* Takes the policy over (also on failure). Errors go to diag. */
int access_build(struct policy *policy, const struct topo *t, struct snapshot_access **out, struct diag *diag);
void access_free(struct snapshot_access *a);

#endif
