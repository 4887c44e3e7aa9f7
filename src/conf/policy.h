/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The access policy (altod.yaml's `access:` section), in the terms of the
 * ALTO O&M YANG model: auth-clients hold roles, roles are granted resources
 * and views, and a view is a tenant-facing projection of a network map.
 * Deny by default: with an access section, a resource granted to no role is
 * served to nobody.
 */
#ifndef ALTOD_POLICY_H
#define ALTOD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "conf/vocab.h"
#include "conf/schema.h"

/* access.nonce-lifetime: seconds a Digest nonce serves */
#define POLICY_NONCE_LIFETIME_DEFAULT 300
#define POLICY_NONCE_LIFETIME_MIN 1
#define POLICY_NONCE_LIFETIME_MAX 86400

struct policy_at {
	uint32_t line, col;
};

struct policy_client {
	char *name;
	struct policy_at at;
	char **roles;
	size_t nroles;
	/* TLS client certificate: every given key must match */
	char *cert_sha256;  /* lowercase hex, no separators */
	char *cert_subject; /* RFC 4514 DN, e.g. "CN=tenant-a,O=Example" */
	char *cert_san;     /* a DNS name, e-mail or URI in subjectAltName */
	/* issuer-sha256: the chain must verify against this CA alone (one of
	 * the client CAs of the listener the connection came in on) */
	uint8_t cert_issuer[32];
	bool has_issuer;
	struct policy_at issuer_at;
	/* HTTP Digest (and Basic over TLS): HA1 = H(user:realm:password) */
	char *user;
	uint8_t ha1_sha256[32];
	uint8_t ha1_md5[16];
	bool has_sha256, has_md5;
	/* limits; 0 = the access section's default */
	double rate;  /* requests per second (token bucket refill) */
	double burst; /* bucket size */
	unsigned max_connections;
};

/* another replica, told of every Digest answer this one accepts */
struct policy_peer {
	char *text; /* as written */
	struct policy_at at;
	struct sockaddr_storage *addr;
	size_t len;
};

struct policy_view_cost {
	char *metric;
	bool modes[2]; /* [COST_NUMERICAL], [COST_ORDINAL] */
};

struct policy_view {
	char *id;
	struct policy_at at;
	char *netmap;
	char **pids;
	size_t npids;
	struct policy_at *pid_at;
	char *catch_all;
	struct policy_view_cost *costs; /* NULL with ncosts 0 and all_costs: every metric, both modes */
	size_t ncosts;
	bool all_costs;
	bool opaque_pids;
	char **props; /* the entity properties (RFC 9240) it shows; none: none */
	struct policy_at *prop_at;
	size_t nprops;
};

struct policy_role {
	char *name;
	struct policy_at at;
	char **grants; /* resource ids or view ids */
	struct policy_at *grant_at;
	size_t ngrants;
};

struct policy {
	const char *file; /* the config file, for messages */
	char *realm;
	char *secret;
	unsigned nonce_lifetime;        /* seconds a Digest nonce serves */
	enum digest_alg digest_algs[2]; /* offered and accepted, in the challenges' order */
	size_t ndigest_algs;
	struct policy_peer *peers; /* digest-peers: reloadable */
	size_t npeers;
	char *digest_listen; /* digest-listen (address:port, UDP): restart-only, see conf->digest_listen */
	char *anonymous_role;
	struct policy_at anonymous_at;
	bool audit;
	double rate, burst;
	unsigned max_connections;
	/* failed authentications (auth-failures): per claimed user name and per
	 * peer address; rate 0: not limited */
	struct policy_throttle {
		double rate, burst;
	} fail_user, fail_addr;
	struct policy_client *clients;
	size_t nclients;
	struct policy_role *roles;
	size_t nroles;
	struct policy_view *views;
	size_t nviews;
};

/* Limits on rates and bursts (requests or failures per second): 0 means
 * no limit (or "the default" where a default exists); else within these. */
#define POLICY_RATE_MIN 0.001
#define POLICY_RATE_MAX 1e6
#define POLICY_BURST_MAX 1e6
#define POLICY_REALM_MAX 128
#define POLICY_REALM_MAX_TEXT "128"
/* Why a realm cannot be used (it goes into every challenge as a
 * quoted-string and into every HA1), or NULL: 1 to POLICY_REALM_MAX
 * printable characters, no '"' or '\\'. Also the rule of a Digest user name
 * (a quoted-string in every answer). */
const char *policy_realm_error(const char *realm);
/* auth-failures defaults */
#define POLICY_FAIL_USER_RATE 0.1
#define POLICY_FAIL_USER_BURST 20
#define POLICY_FAIL_ADDR_RATE 0.5
#define POLICY_FAIL_ADDR_BURST 50

struct yp;
/* the keys of `access:` (conf/schema.h) */
extern const struct conf_section policy_schema;
/* Parses the `access:` mapping (the parser is positioned on its value). */
struct policy *policy_parse(struct yp *y, const char *file);
void policy_free(struct policy *p);
const struct policy_role *policy_role_find(const struct policy *p, const char *name);

#endif
