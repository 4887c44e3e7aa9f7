/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/vocab.h"
#include "util/ip.h"
#include "conf/policy.h"
#include "util/vec.h"
#include "conf/yp.h"

static struct policy_at at_of(struct yp_mark m)
{
	return (struct policy_at){(uint32_t)m.line, (uint32_t)m.col};
}

/* A list of names; each checked with alto_name_valid when `names` is set. */
static void parse_list(struct yp *y, const char *what, bool names, char ***out, struct policy_at **ats, size_t *n)
{
	size_t cap = 0, cap_at = 0;

	if (!yp_sequence_begin(y, what))
		return;
	while (yp_sequence_more(y)) {
		char *v;
		struct yp_mark m;
		if (!yp_scalar(y, what, &v, &m))
			continue;
		if (names && !alto_name_valid(v)) {
			yp_error(y, m, "'%s' in %s is not a valid name (1 to 64 of A-Z a-z 0-9 - : @ _)", v, what);
			free(v);
			continue;
		}
		if (!VEC_PUSH(*out, *n, cap) || (ats && !VEC_PUSH(*ats, *n, cap_at))) {
			yp_error(y, m, "out of memory");
			free(v);
			continue;
		}
		if (ats)
			(*ats)[*n] = at_of(m);
		(*out)[(*n)++] = v;
	}
}

/* The Digest algorithms offered, in the order of the challenges. */
static void parse_digest_algorithms(struct yp *y, struct policy *p, struct yp_mark key)
{
	bool seen[2] = {false, false};
	size_t errors = 0;
	p->ndigest_algs = 0;
	if (!yp_sequence_begin(y, "digest-algorithms (a list of SHA-256, MD5)"))
		return;
	while (yp_sequence_more(y)) {
		char *v;
		struct yp_mark vm;
		if (!yp_scalar(y, "a digest algorithm", &v, &vm))
			continue;
		int alg = strcmp(v, "SHA-256") == 0 ? DIGEST_SHA256 : strcmp(v, "MD5") == 0 ? DIGEST_MD5 : -1;
		if (alg < 0) {
			yp_error(y, vm, "digest algorithm '%s': SHA-256 or MD5, written so", v);
			errors++;
		} else if (seen[alg]) {
			yp_error(y, vm, "digest algorithm '%s' is listed twice", v);
			errors++;
		} else {
			seen[alg] = true;
			p->digest_algs[p->ndigest_algs++] = (enum digest_alg)alg;
		}
		free(v);
	}
	if (p->ndigest_algs == 0 && errors == 0)
		yp_error(y, key, "digest-algorithms lists no algorithm");
}

/* access.digest-peers: the other replicas, address:port each. */
static void parse_peers(struct yp *y, struct policy *p)
{
	size_t cap = 0;
	if (!yp_sequence_begin(y, "digest-peers (a list of address:port)"))
		return;
	while (yp_sequence_more(y)) {
		char *v;
		struct yp_mark vm;
		if (!yp_scalar(y, "a peer (address:port)", &v, &vm))
			continue;
		struct sockaddr_storage ss;
		size_t len;
		const char *why;
		if (ip_hostport_parse(v, false, &ss, &len, &why) != 0) {
			yp_error(y, vm, "digest peer '%s': %s", v, why);
			free(v);
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < p->npeers && !dup; i++)
			dup = p->peers[i].len == len && memcmp(p->peers[i].addr, &ss, len) == 0;
		if (dup) {
			yp_error(y, vm, "digest peer '%s' is listed twice", v);
			free(v);
			continue;
		}
		struct sockaddr_storage *copy = malloc(sizeof(*copy));
		if (copy == NULL || !VEC_PUSH(p->peers, p->npeers, cap)) {
			free(copy);
			free(v);
			continue;
		}
		*copy = ss;
		struct policy_peer *pe = &p->peers[p->npeers++];
		pe->text = v;
		pe->at = at_of(vm);
		pe->addr = copy;
		pe->len = len;
	}
}

static bool hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t k = 0;
	for (const char *p = s; *p; p++) {
		if (*p == ':')
			continue;
		int v;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			return false;
		if (k >= 2 * n)
			return false;
		if (k % 2 == 0)
			out[k / 2] = (uint8_t)(v << 4);
		else
			out[k / 2] |= (uint8_t)v;
		k++;
	}
	return k == 2 * n;
}

/* A rate (per second): 0 (no limit / the default) or POLICY_RATE_MIN to
 * POLICY_RATE_MAX. Absurd values are refused: 1e-12 would mean a wait of
 * 30,000 years, which no Retry-After can say. */
static bool parse_rate(struct yp *y, const char *what, double *out)
{
	char *v;
	struct yp_mark m;
	double d;

	if (!yp_scalar(y, what, &v, &m))
		return false;
	bool ok = yp_parse_cost(v, &d) && (d == 0 || (d >= POLICY_RATE_MIN && d <= POLICY_RATE_MAX));
	if (ok)
		*out = d;
	else
		yp_error(y, m, "%s must be 0 (no limit) or a number from %g to %g per second, not '%s'", what,
		         POLICY_RATE_MIN, POLICY_RATE_MAX, v);
	free(v);
	return ok;
}

/* A burst: 0 (the default) or 1 to POLICY_BURST_MAX. */
static bool parse_burst(struct yp *y, const char *what, double *out)
{
	char *v;
	struct yp_mark m;
	double d;

	if (!yp_scalar(y, what, &v, &m))
		return false;
	bool ok = yp_parse_cost(v, &d) && (d == 0 || (d >= 1 && d <= POLICY_BURST_MAX));
	if (ok)
		*out = d;
	else
		yp_error(y, m, "%s must be 0 (the default) or a number from 1 to %g, not '%s'", what, POLICY_BURST_MAX,
		         v);
	free(v);
	return ok;
}

/* {rate, burst} of one auth-failures limit */
static void parse_throttle(struct yp *y, const char *what, struct policy_throttle *t)
{
	char *key;
	struct yp_mark m;
	char where[64];

	if (!yp_mapping_begin(y, what))
		return;
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "rate") == 0) {
			snprintf(where, sizeof(where), "%s rate", what);
			parse_rate(y, where, &t->rate);
		} else if (strcmp(key, "burst") == 0) {
			snprintf(where, sizeof(where), "%s burst", what);
			parse_burst(y, where, &t->burst);
		} else {
			yp_error(y, m, "unknown key '%s' in %s (rate, burst)", key, what);
			yp_skip(y);
		}
		free(key);
	}
}

static void parse_auth_failures(struct yp *y, struct policy *p)
{
	char *key;
	struct yp_mark m;

	if (!yp_mapping_begin(y, "auth-failures (per-user, per-address)"))
		return;
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "per-user") == 0)
			parse_throttle(y, "auth-failures per-user", &p->fail_user);
		else if (strcmp(key, "per-address") == 0)
			parse_throttle(y, "auth-failures per-address", &p->fail_addr);
		else {
			yp_error(y, m, "unknown key '%s' in auth-failures (per-user, per-address)", key);
			yp_skip(y);
		}
		free(key);
	}
}

/* The realm goes into every challenge as a quoted-string and into every
 * HA1: printable, no '"' or '\\' (RFC 7616 §3.3 leaves escaping to the
 * client, and clients disagree), bounded. */
static void check_realm(struct yp *y, struct yp_mark m, const char *realm)
{
	size_t n = strlen(realm);
	if (n == 0 || n > POLICY_REALM_MAX) {
		yp_error(y, m, "realm must have 1 to %d characters", POLICY_REALM_MAX);
		return;
	}
	for (const unsigned char *c = (const unsigned char *)realm; *c; c++)
		if (*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\') {
			yp_error(y, m, "realm must not hold '\"', '\\' or a control character");
			return;
		}
}

static void parse_certificate(struct yp *y, struct policy_client *c)
{
	char *key, *v;
	struct yp_mark m, vm;

	if (!yp_mapping_begin(y, "certificate (sha256, subject, san)"))
		return;
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "sha256") == 0 && yp_scalar(y, key, &v, &vm)) {
			uint8_t fp[32];
			if (!hex_decode(v, fp, sizeof(fp))) {
				yp_error(y, vm, "certificate sha256 must be 64 hex digits (colons allowed)");
			} else {
				static const char hex[] = "0123456789abcdef";
				free(c->cert_sha256);
				c->cert_sha256 = calloc(65, 1);
				for (size_t i = 0; c->cert_sha256 && i < 32; i++) {
					c->cert_sha256[2 * i] = hex[fp[i] >> 4];
					c->cert_sha256[2 * i + 1] = hex[fp[i] & 15];
				}
			}
			free(v);
		} else if (strcmp(key, "subject") == 0 && yp_scalar(y, key, &v, &vm)) {
			free(c->cert_subject);
			c->cert_subject = v;
		} else if (strcmp(key, "san") == 0 && yp_scalar(y, key, &v, &vm)) {
			free(c->cert_san);
			c->cert_san = v;
		} else if (strcmp(key, "sha256") != 0 && strcmp(key, "subject") != 0 && strcmp(key, "san") != 0) {
			yp_error(y, m, "unknown key '%s' in certificate (sha256, subject, san)", key);
			yp_skip(y);
		}
		free(key);
	}
}

static void parse_password(struct yp *y, struct policy_client *c, struct yp_mark start)
{
	char *key, *v;
	struct yp_mark m, vm;

	if (!yp_mapping_begin(y, "password (user, sha256, md5)"))
		return;
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "user") == 0 && yp_scalar(y, key, &v, &vm)) {
			if (v[0] == '\0' || strchr(v, ':') || strchr(v, '"')) {
				yp_error(y, vm, "password user must be non-empty, without ':' or '\"'");
				free(v);
			} else {
				free(c->user);
				c->user = v;
			}
		} else if (strcmp(key, "sha256") == 0 && yp_scalar(y, key, &v, &vm)) {
			c->has_sha256 = hex_decode(v, c->ha1_sha256, sizeof(c->ha1_sha256));
			if (!c->has_sha256)
				yp_error(y, vm,
				         "password sha256 must be 64 hex digits: SHA-256 of user:realm:password "
				         "(see altod --hash-password)");
			free(v);
		} else if (strcmp(key, "md5") == 0 && yp_scalar(y, key, &v, &vm)) {
			c->has_md5 = hex_decode(v, c->ha1_md5, sizeof(c->ha1_md5));
			if (!c->has_md5)
				yp_error(y, vm, "password md5 must be 32 hex digits: MD5 of user:realm:password");
			free(v);
		} else if (strcmp(key, "user") != 0 && strcmp(key, "sha256") != 0 && strcmp(key, "md5") != 0) {
			yp_error(y, m,
			         "unknown key '%s' in password (user, sha256, md5); plain passwords are never stored",
			         key);
			yp_skip(y);
		}
		free(key);
	}
	if (c->user == NULL || !c->has_sha256)
		yp_error(y, start, "client '%s': password needs user and sha256", c->name);
}

static void parse_client(struct yp *y, struct policy *p, struct policy_client *c)
{
	char *key;
	struct yp_mark m, start = yp_mark(y);
	unsigned long long u;

	if (!yp_mapping_begin(y, "a client (roles, certificate, password, rate, burst, max-connections)"))
		return;
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "roles") == 0)
			parse_list(y, "roles", true, &c->roles, NULL, &c->nroles);
		else if (strcmp(key, "certificate") == 0)
			parse_certificate(y, c);
		else if (strcmp(key, "password") == 0)
			parse_password(y, c, m);
		else if (strcmp(key, "rate") == 0)
			parse_rate(y, "rate", &c->rate);
		else if (strcmp(key, "burst") == 0)
			parse_burst(y, "burst", &c->burst);
		else if (strcmp(key, "max-connections") == 0) {
			if (yp_scalar_uint(y, key, 1000000, &u))
				c->max_connections = (unsigned)u;
		} else {
			yp_error(y, m,
			         "unknown key '%s' in client '%s' (roles, certificate, password, rate, burst, "
			         "max-connections)",
			         key, c->name);
			yp_skip(y);
		}
		free(key);
	}
	if (!c->cert_sha256 && !c->cert_subject && !c->cert_san && !c->user)
		yp_error(y, start, "client '%s' has no credential: give a certificate or a password", c->name);
	if (c->nroles == 0)
		yp_error(y, start, "client '%s' has no roles", c->name);
	(void)p;
}

static void parse_view(struct yp *y, struct policy_view *v)
{
	char *key;
	struct yp_mark m, start = yp_mark(y);
	size_t cap = 0;

	v->all_costs = true;
	if (!yp_mapping_begin(y, "a view (network-map, pids, catch-all, costs, opaque-pids)"))
		return;
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "network-map") == 0) {
			free(v->netmap);
			yp_scalar(y, key, &v->netmap, NULL);
		} else if (strcmp(key, "pids") == 0) {
			parse_list(y, "pids", true, &v->pids, &v->pid_at, &v->npids);
		} else if (strcmp(key, "catch-all") == 0) {
			struct yp_mark vm;
			free(v->catch_all);
			if (yp_scalar(y, key, &v->catch_all, &vm) && !alto_name_valid(v->catch_all)) {
				yp_error(y, vm, "catch-all '%s' is not a valid PID name", v->catch_all);
			}
		} else if (strcmp(key, "opaque-pids") == 0) {
			yp_scalar_bool(y, key, &v->opaque_pids);
		} else if (strcmp(key, "costs") == 0) {
			v->all_costs = false;
			char *metric;
			struct yp_mark mm;
			if (!yp_mapping_begin(y, "costs (a mapping of cost metrics to their modes)"))
				goto next;
			while (yp_mapping_key(y, &metric, &mm)) {
				if (!VEC_PUSH(v->costs, v->ncosts, cap)) {
					free(metric);
					yp_skip(y);
					continue;
				}
				struct policy_view_cost *c = &v->costs[v->ncosts++];
				memset(c, 0, sizeof(*c));
				c->metric = metric;
				char **modes = NULL;
				size_t nmodes = 0;
				struct policy_at *mat = NULL;
				parse_list(y, "cost modes", false, &modes, &mat, &nmodes);
				for (size_t i = 0; i < nmodes; i++) {
					int md = cost_mode_parse(modes[i]);
					if (md < 0)
						yp_error(y, (struct yp_mark){mat[i].line, mat[i].col},
						         "unknown cost mode '%s' (numerical, ordinal)", modes[i]);
					else
						c->modes[md] = true;
					free(modes[i]);
				}
				if (nmodes == 0)
					yp_error(y, mm, "cost metric '%s' of the view lists no cost mode", metric);
				free(modes);
				free(mat);
			}
		} else {
			yp_error(y, m,
			         "unknown key '%s' in view '%s' (network-map, pids, catch-all, costs, opaque-pids)",
			         key, v->id);
			yp_skip(y);
		}
	next:
		free(key);
	}
	if (v->netmap == NULL)
		yp_error(y, start, "view '%s' needs a network-map", v->id);
	if (v->catch_all == NULL)
		v->catch_all = strdup("other");
}

struct policy *policy_parse(struct yp *y, const char *file)
{
	char *key, *name;
	struct yp_mark m, nm, start = yp_mark(y), peers_at = {0, 0}, listen_at = {0, 0};
	struct policy *p = calloc(1, sizeof(*p));
	size_t cap_c = 0, cap_r = 0, cap_v = 0;
	unsigned long long u;

	if (p == NULL)
		return NULL;
	p->file = file;
	p->audit = true;
	p->nonce_lifetime = POLICY_NONCE_LIFETIME_DEFAULT;
	p->digest_algs[0] = DIGEST_SHA256; /* RFC 7616 §3.7: the preferred first */
	p->digest_algs[1] = DIGEST_MD5;
	p->ndigest_algs = 2;
	p->fail_user = (struct policy_throttle){POLICY_FAIL_USER_RATE, POLICY_FAIL_USER_BURST};
	p->fail_addr = (struct policy_throttle){POLICY_FAIL_ADDR_RATE, POLICY_FAIL_ADDR_BURST};
	if (!yp_mapping_begin(y, "access")) {
		policy_free(p);
		return NULL;
	}
	while (yp_mapping_key(y, &key, &m)) {
		if (strcmp(key, "realm") == 0) {
			struct yp_mark rm;
			free(p->realm);
			if (yp_scalar(y, key, &p->realm, &rm))
				check_realm(y, rm, p->realm);
		} else if (strcmp(key, "secret") == 0) {
			struct yp_mark sm;
			free(p->secret);
			if (yp_scalar(y, key, &p->secret, &sm) && strlen(p->secret) < 16)
				yp_error(y, sm, "secret must have at least 16 characters");
		} else if (strcmp(key, "anonymous-role") == 0) {
			free(p->anonymous_role);
			p->anonymous_at = at_of(yp_mark(y));
			yp_scalar(y, key, &p->anonymous_role, NULL);
		} else if (strcmp(key, "nonce-lifetime") == 0) {
			struct yp_mark vm = yp_mark(y);
			if (yp_scalar_uint(y, key, POLICY_NONCE_LIFETIME_MAX, &u)) {
				if (u < POLICY_NONCE_LIFETIME_MIN)
					yp_error(y, vm, "nonce-lifetime must be %u to %u seconds",
					         POLICY_NONCE_LIFETIME_MIN, POLICY_NONCE_LIFETIME_MAX);
				else
					p->nonce_lifetime = (unsigned)u;
			}
		} else if (strcmp(key, "digest-algorithms") == 0) {
			parse_digest_algorithms(y, p, m);
		} else if (strcmp(key, "digest-peers") == 0) {
			if (peers_at.line == 0)
				peers_at = m;
			parse_peers(y, p);
		} else if (strcmp(key, "digest-listen") == 0) {
			struct yp_mark vm;
			free(p->digest_listen);
			p->digest_listen = NULL;
			listen_at = m;
			char *v;
			if (yp_scalar(y, key, &v, &vm)) {
				struct sockaddr_storage ss;
				size_t len;
				const char *why;
				if (ip_hostport_parse(v, true, &ss, &len, &why) != 0) {
					yp_error(y, vm, "digest-listen '%s': %s", v, why);
					free(v);
				} else {
					p->digest_listen = v;
				}
			}
		} else if (strcmp(key, "audit") == 0) {
			yp_scalar_bool(y, key, &p->audit);
		} else if (strcmp(key, "rate") == 0) {
			parse_rate(y, key, &p->rate);
		} else if (strcmp(key, "burst") == 0) {
			parse_burst(y, key, &p->burst);
		} else if (strcmp(key, "auth-failures") == 0) {
			parse_auth_failures(y, p);
		} else if (strcmp(key, "max-connections") == 0) {
			if (yp_scalar_uint(y, key, 1000000, &u))
				p->max_connections = (unsigned)u;
		} else if (strcmp(key, "clients") == 0) {
			if (yp_mapping_begin(y, "clients"))
				while (yp_mapping_key(y, &name, &nm)) {
					if (!VEC_PUSH(p->clients, p->nclients, cap_c)) {
						free(name);
						yp_skip(y);
						continue;
					}
					struct policy_client *c = &p->clients[p->nclients++];
					memset(c, 0, sizeof(*c));
					c->name = name;
					c->at = at_of(nm);
					/* the name goes into the audit log and keys the
					 * client's limits: plain, and never "anonymous" */
					if (!alto_name_valid(name) || strcmp(name, "anonymous") == 0)
						yp_error(y, nm,
						         "client name '%s': 1 to 64 of A-Z a-z 0-9 - : @ _, and not "
						         "'anonymous'",
						         name);
					parse_client(y, p, c);
				}
		} else if (strcmp(key, "roles") == 0) {
			if (yp_mapping_begin(y, "roles"))
				while (yp_mapping_key(y, &name, &nm)) {
					if (!VEC_PUSH(p->roles, p->nroles, cap_r)) {
						free(name);
						yp_skip(y);
						continue;
					}
					struct policy_role *r = &p->roles[p->nroles++];
					memset(r, 0, sizeof(*r));
					r->name = name;
					r->at = at_of(nm);
					if (!alto_name_valid(name))
						yp_error(y, nm, "role name '%s' is not a valid name", name);
					parse_list(y, "a role's grants (resource and view ids)", true, &r->grants,
					           &r->grant_at, &r->ngrants);
				}
		} else if (strcmp(key, "views") == 0) {
			if (yp_mapping_begin(y, "views"))
				while (yp_mapping_key(y, &name, &nm)) {
					if (!VEC_PUSH(p->views, p->nviews, cap_v)) {
						free(name);
						yp_skip(y);
						continue;
					}
					struct policy_view *v = &p->views[p->nviews++];
					memset(v, 0, sizeof(*v));
					v->id = name;
					v->at = at_of(nm);
					if (!alto_name_valid(name))
						yp_error(y, nm, "view id '%s' is not a valid resource id", name);
					parse_view(y, v);
				}
		} else {
			yp_error(y, m,
			         "unknown key '%s' in access (realm, secret, nonce-lifetime, digest-algorithms, "
			         "digest-peers, digest-listen, anonymous-role, audit, rate, burst, max-connections, "
			         "auth-failures, clients, roles, views)",
			         key);
			yp_skip(y);
		}
		free(key);
	}
	if (p->realm == NULL)
		p->realm = strdup("altod");
	if (p->nviews > 0 && p->secret == NULL)
		yp_error(y, start, "access needs a secret (16 characters or more) for the views' tags and names");
	/* the replicas' updates are authenticated under a key derived from it */
	if (p->npeers > 0 && p->secret == NULL)
		yp_error(y, peers_at, "digest-peers needs access.secret (the same on every replica)");
	if (listen_at.line != 0 && p->secret == NULL)
		yp_error(y, listen_at, "digest-listen needs access.secret (the same on every replica)");
	/* fail closed: every role a client names must exist */
	for (size_t i = 0; i < p->nclients; i++)
		for (size_t k = 0; k < p->clients[i].nroles; k++)
			if (!policy_role_find(p, p->clients[i].roles[k]))
				yp_error(y, (struct yp_mark){p->clients[i].at.line, p->clients[i].at.col},
				         "client '%s' has role '%s', which is not defined", p->clients[i].name,
				         p->clients[i].roles[k]);
	if (p->anonymous_role && !policy_role_find(p, p->anonymous_role))
		yp_error(y, (struct yp_mark){p->anonymous_at.line, p->anonymous_at.col},
		         "anonymous-role '%s' is not defined", p->anonymous_role);
	for (size_t i = 0; i < p->nclients; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->clients[i].name, p->clients[k].name) == 0 ||
			    (p->clients[i].user && p->clients[k].user &&
			     strcmp(p->clients[i].user, p->clients[k].user) == 0))
				yp_error(y, (struct yp_mark){p->clients[i].at.line, p->clients[i].at.col},
				         "client '%s' repeats the name or the password user of client '%s'",
				         p->clients[i].name, p->clients[k].name);
	return p;
}

const struct policy_role *policy_role_find(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->nroles; i++)
		if (strcmp(p->roles[i].name, name) == 0)
			return &p->roles[i];
	return NULL;
}

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->realm);
	if (p->secret) {
		memset(p->secret, 0, strlen(p->secret));
		free(p->secret);
	}
	free(p->anonymous_role);
	for (size_t i = 0; i < p->npeers; i++) {
		free(p->peers[i].text);
		free(p->peers[i].addr);
	}
	free(p->peers);
	free(p->digest_listen);
	for (size_t i = 0; i < p->nclients; i++) {
		struct policy_client *c = &p->clients[i];
		free(c->name);
		free_list(c->roles, c->nroles);
		free(c->cert_sha256);
		free(c->cert_subject);
		free(c->cert_san);
		free(c->user);
	}
	free(p->clients);
	for (size_t i = 0; i < p->nroles; i++) {
		free(p->roles[i].name);
		free_list(p->roles[i].grants, p->roles[i].ngrants);
		free(p->roles[i].grant_at);
	}
	free(p->roles);
	for (size_t i = 0; i < p->nviews; i++) {
		struct policy_view *v = &p->views[i];
		free(v->id);
		free(v->netmap);
		free_list(v->pids, v->npids);
		free(v->pid_at);
		free(v->catch_all);
		for (size_t k = 0; k < v->ncosts; k++)
			free(v->costs[k].metric);
		free(v->costs);
	}
	free(p->views);
	free(p);
}
