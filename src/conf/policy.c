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
#include "conf/schema.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static struct policy_at at_of(struct yp_mark m)
{
	return (struct policy_at){(uint32_t)m.line, (uint32_t)m.col};
}

struct name_list {
	const char *what;
	bool names;
	char ***out;
	struct policy_at **ats;
	size_t *n;
	size_t cap, cap_at;
};

static void list_name(struct yp *y, char *v, struct yp_mark m, void *arg)
{
	struct name_list *l = arg;
	if (l->names && !alto_name_valid(v)) {
		yp_error(y, m, "'%s' in %s is not a valid name (1 to 64 of A-Z a-z 0-9 - : @ _)", v, l->what);
		free(v);
		return;
	}
	if (!VEC_PUSH(*l->out, *l->n, l->cap) || (l->ats && !VEC_PUSH(*l->ats, *l->n, l->cap_at))) {
		yp_error(y, m, "out of memory");
		free(v);
		return;
	}
	if (l->ats)
		(*l->ats)[*l->n] = at_of(m);
	(*l->out)[(*l->n)++] = v;
}

/* A list of names; each checked with alto_name_valid when `names` is set. */
static void parse_list(struct yp *y, const char *what, bool names, char ***out, struct policy_at **ats, size_t *n)
{
	struct name_list l = {what, names, out, ats, n, 0, 0};
	yp_scalar_list(y, what, what, list_name, &l);
}

struct algs_arg {
	struct policy *p;
	bool seen[2];
	size_t errors;
};

static void digest_algorithm(struct yp *y, char *v, struct yp_mark vm, void *arg)
{
	struct algs_arg *a = arg;
	int alg = strcmp(v, "SHA-256") == 0 ? DIGEST_SHA256 : strcmp(v, "MD5") == 0 ? DIGEST_MD5 : -1;
	if (alg < 0) {
		yp_error(y, vm, "digest algorithm '%s': SHA-256 or MD5, written so", v);
		a->errors++;
	} else if (a->seen[alg]) {
		yp_error(y, vm, "digest algorithm '%s' is listed twice", v);
		a->errors++;
	} else {
		a->seen[alg] = true;
		a->p->digest_algs[a->p->ndigest_algs++] = (enum digest_alg)alg;
	}
	free(v);
}

/* The Digest algorithms offered, in the order of the challenges. */
static void item_digest_algorithms(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct algs_arg a = {obj, {false, false}, 0};
	(void)it;
	(void)ctx;
	a.p->ndigest_algs = 0;
	if (yp_scalar_list(y, "digest-algorithms (a list of SHA-256, MD5)", "a digest algorithm", digest_algorithm,
	                   &a) &&
	    a.p->ndigest_algs == 0 && a.errors == 0)
		yp_error(y, key, "digest-algorithms lists no algorithm");
}

struct peers_arg {
	struct policy *p;
	size_t cap;
};

static void digest_peer(struct yp *y, char *v, struct yp_mark vm, void *arg)
{
	struct peers_arg *a = arg;
	struct policy *p = a->p;
	struct sockaddr_storage ss;
	size_t len;
	const char *why;
	if (ip_hostport_parse(v, false, &ss, &len, &why) != 0) {
		yp_error(y, vm, "digest peer '%s': %s", v, why);
		free(v);
		return;
	}
	bool dup = false;
	for (size_t i = 0; i < p->npeers && !dup; i++)
		dup = p->peers[i].len == len && memcmp(p->peers[i].addr, &ss, len) == 0;
	if (dup) {
		yp_error(y, vm, "digest peer '%s' is listed twice", v);
		free(v);
		return;
	}
	struct sockaddr_storage *copy = malloc(sizeof(*copy));
	if (copy == NULL || !VEC_PUSH(p->peers, p->npeers, a->cap)) {
		free(copy);
		free(v);
		return;
	}
	*copy = ss;
	struct policy_peer *pe = &p->peers[p->npeers++];
	pe->text = v;
	pe->at = at_of(vm);
	pe->addr = copy;
	pe->len = len;
}

/* access.digest-peers: the other replicas, address:port each. */
static void item_digest_peers(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct peers_arg a = {obj, 0};
	(void)it;
	(void)ctx;
	(void)key;
	yp_scalar_list(y, "digest-peers (a list of address:port)", "a peer (address:port)", digest_peer, &a);
}

/* rate and burst callbacks: ctx, when set, names the limit in messages
 * ("auth-failures per-user"). A rate (per second) is 0 (no limit / the
 * default) or POLICY_RATE_MIN to POLICY_RATE_MAX: absurd values are
 * refused, 1e-12 would mean a wait of 30,000 years, which no Retry-After
 * can say. A burst is 0 (the default) or 1 to POLICY_BURST_MAX. */
static void item_rate(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	static const struct {
		double lo, hi;
	} bounds[] = {{POLICY_RATE_MIN, POLICY_RATE_MAX}, {1, POLICY_BURST_MAX}};
	bool rate = it->type == CONF_RATE;
	double lo = bounds[!rate].lo, hi = bounds[!rate].hi, d;
	char what[96], *v;
	struct yp_mark m;

	(void)key;
	snprintf(what, sizeof(what), "%s%s%s", ctx ? (const char *)ctx : "", ctx ? " " : "", it->name);
	if (!yp_scalar(y, what, &v, &m))
		return;
	if (yp_parse_cost(v, &d) && (d == 0 || (d >= lo && d <= hi)))
		memcpy((char *)obj + it->offset, &d, sizeof(d));
	else if (rate)
		yp_error(y, m, "%s must be 0 (no limit) or a number from %g to %g per second, not '%s'", what, lo, hi,
		         v);
	else
		yp_error(y, m, "%s must be 0 (the default) or a number from 1 to %g, not '%s'", what, hi, v);
	free(v);
}

#define THROTTLE_ITEMS(rate_, burst_)                                                                           \
	{                                                                                                       \
		{.name = "rate",                                                                                \
		 .type = CONF_RATE,                                                                             \
		 .def = STR(rate_),                                                                             \
		 .offset = offsetof(struct policy_throttle, rate),                                              \
		 .parse = item_rate,                                                                            \
		 .doc = "failed authentications per second given back; past them `429` before any password is " \
		        "checked (0: no limit)"},                                                               \
		        {.name = "burst",                                                                       \
		         .type = CONF_BURST,                                                                    \
		         .def = STR(burst_),                                                                    \
		         .offset = offsetof(struct policy_throttle, burst),                                     \
		         .parse = item_rate,                                                                    \
		         .doc = "failed authentications allowed at once"},                                      \
	}
static const struct conf_item fail_user_items[] = THROTTLE_ITEMS(POLICY_FAIL_USER_RATE, POLICY_FAIL_USER_BURST);
static const struct conf_item fail_addr_items[] = THROTTLE_ITEMS(POLICY_FAIL_ADDR_RATE, POLICY_FAIL_ADDR_BURST);
static const struct conf_section fail_user_schema = {.name = "auth-failures per-user",
                                                     .path = "access.auth-failures.per-user.",
                                                     .what = "auth-failures per-user",
                                                     .items = CONF_ITEMS(fail_user_items)};
static const struct conf_section fail_addr_schema = {.name = "auth-failures per-address",
                                                     .path = "access.auth-failures.per-address.",
                                                     .what = "auth-failures per-address",
                                                     .items = CONF_ITEMS(fail_addr_items)};

static void item_throttle(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	(void)ctx;
	(void)key;
	conf_section_parse(y, it->child, NULL, (char *)obj + it->offset, (void *)it->child->name, NULL);
}

static const struct conf_item auth_failures_items[] = {
        {.name = "per-user",
         .type = CONF_SECTION,
         .offset = offsetof(struct policy, fail_user),
         .parse = item_throttle,
         .child = &fail_user_schema,
         .doc = "per claimed user name"},
        {.name = "per-address",
         .type = CONF_SECTION,
         .offset = offsetof(struct policy, fail_addr),
         .parse = item_throttle,
         .child = &fail_addr_schema,
         .doc = "per peer address (IPv6: per /64)"},
};
static const struct conf_section auth_failures_schema = {
        .name = "auth-failures", .path = "access.auth-failures.", .items = CONF_ITEMS(auth_failures_items)};

/* The realm goes into every challenge as a quoted-string and into every
 * HA1: printable, no '"' or '\\' (RFC 7616 §3.3 leaves escaping to the
 * client, and clients disagree), bounded. */
const char *policy_realm_error(const char *realm)
{
	size_t n = strlen(realm);
	if (n == 0 || n > POLICY_REALM_MAX)
		return "realm must have 1 to " POLICY_REALM_MAX_TEXT " characters";
	for (const unsigned char *c = (const unsigned char *)realm; *c; c++)
		if (*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\')
			return "realm must not hold '\"', '\\' or a control character";
	return NULL;
}

/* the value kept as lowercase hex without colons */
static bool check_cert_sha256(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj,
                              void *ctx)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t fp[32];

	(void)it;
	(void)obj;
	(void)ctx;
	if (!conf_hex_decode(*v, fp, sizeof(fp), true)) {
		yp_error(y, m, "certificate sha256 must be 64 hex digits (colons allowed)");
		return false;
	}
	free(*v);
	*v = calloc(65, 1);
	for (size_t i = 0; *v && i < 32; i++) {
		(*v)[2 * i] = hex[fp[i] >> 4];
		(*v)[2 * i + 1] = hex[fp[i] & 15];
	}
	return true;
}

/* the CA a client's certificate chain must verify against, kept decoded */
static bool check_cert_issuer(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj,
                              void *ctx)
{
	struct policy_client *c = obj;

	(void)it;
	(void)ctx;
	c->has_issuer = conf_hex_decode(*v, c->cert_issuer, sizeof(c->cert_issuer), true);
	if (!c->has_issuer)
		yp_error(y, m,
		         "certificate issuer-sha256 must be 64 hex digits (colons allowed): the SHA-256 fingerprint "
		         "of a CA certificate in tls.client-ca");
	c->issuer_at = (struct policy_at){(uint32_t)m.line, (uint32_t)m.col};
	return false;
}

static const struct conf_item certificate_items[] = {
        {.name = "sha256",
         .type = CONF_STRING,
         .offset = offsetof(struct policy_client, cert_sha256),
         .check = check_cert_sha256,
         .type_doc = "64 hex digits, colons allowed",
         .doc = "the SHA-256 fingerprint of the client certificate"},
        {.name = "subject",
         .type = CONF_STRING,
         .offset = offsetof(struct policy_client, cert_subject),
         .type_doc = "RFC 4514 DN",
         .doc = "its subject, e.g. `CN=tenant-a,O=Example`"},
        {.name = "san",
         .type = CONF_STRING,
         .offset = offsetof(struct policy_client, cert_san),
         .doc = "a DNS name, e-mail address or URI in its subjectAltName"},
        {.name = "issuer-sha256",
         .type = CONF_STRING,
         .check = check_cert_issuer,
         .type_doc = "64 hex digits, colons allowed",
         .doc = "the SHA-256 fingerprint of a CA certificate in the `tls.client-ca` of a listener: the client "
                "certificate's chain must verify against that CA alone (intermediates it sends may lead to "
                "it), and the connection must have come in on a listener whose client CAs hold it. Binds "
                "`subject` and `san` to one CA where listeners trust several"},
};
static const struct conf_section certificate_schema = {
        .name = "certificate", .path = "access.clients.<name>.certificate.", .items = CONF_ITEMS(certificate_items)};

static bool check_password_user(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj,
                                void *ctx)
{
	(void)it;
	(void)obj;
	(void)ctx;
	if ((*v)[0] == '\0' || strchr(*v, ':') || strchr(*v, '"')) {
		yp_error(y, m, "password user must be non-empty, without ':' or '\"'");
		return false;
	}
	return true;
}

/* an HA1, kept decoded */
static bool check_password_ha1(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj,
                               void *ctx)
{
	struct policy_client *c = obj;

	(void)ctx;
	if (strcmp(it->name, "sha256") == 0) {
		c->has_sha256 = conf_hex_decode(*v, c->ha1_sha256, sizeof(c->ha1_sha256), true);
		if (!c->has_sha256)
			yp_error(y, m,
			         "password sha256 must be 64 hex digits: SHA-256 of user:realm:password "
			         "(see altod --hash-password)");
	} else {
		c->has_md5 = conf_hex_decode(*v, c->ha1_md5, sizeof(c->ha1_md5), true);
		if (!c->has_md5)
			yp_error(y, m, "password md5 must be 32 hex digits: MD5 of user:realm:password");
	}
	return false;
}

static const struct conf_item password_items[] = {
        {.name = "user",
         .type = CONF_STRING,
         .flags = CONF_REQUIRED,
         .offset = offsetof(struct policy_client, user),
         .check = check_password_user,
         .type_doc = "string without `:` or `\"`",
         .doc = "the Digest (and Basic) user name"},
        {.name = "sha256",
         .type = CONF_STRING,
         .flags = CONF_REQUIRED | CONF_SECRET,
         .check = check_password_ha1,
         .type_doc = "64 hex digits",
         .doc = "HA1: SHA-256 of user:realm:password (`altod --hash-password`)"},
        {.name = "md5",
         .type = CONF_STRING,
         .flags = CONF_SECRET,
         .check = check_password_ha1,
         .type_doc = "32 hex digits",
         .doc = "HA1: MD5 of user:realm:password, for clients without SHA-256"},
};
static const struct conf_section password_schema = {.name = "password",
                                                    .path = "access.clients.<name>.password.",
                                                    .unknown = "; plain passwords are never stored",
                                                    .items = CONF_ITEMS(password_items)};

static void item_client_roles(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct policy_client *c = obj;
	(void)ctx;
	(void)key;
	parse_list(y, it->name, true, &c->roles, NULL, &c->nroles);
}

static void item_certificate(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	(void)key;
	conf_section_parse(y, it->child, NULL, obj, ctx, NULL);
}

static void item_password(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct policy_client *c = obj;
	if (conf_section_parse(y, it->child, NULL, obj, ctx, NULL) && (c->user == NULL || !c->has_sha256))
		yp_error(y, key, "client '%s': password needs user and sha256", c->name);
}

static const struct conf_item client_items[] = {
        {.name = "roles",
         .type = CONF_LIST,
         .flags = CONF_REQUIRED,
         .parse = item_client_roles,
         .type_doc = "list of role names",
         .doc = "the roles the client holds; each must be defined in `roles`"},
        {.name = "certificate",
         .type = CONF_SECTION,
         .parse = item_certificate,
         .child = &certificate_schema,
         .doc = "identifies the client by its TLS client certificate: every key given must match"},
        {.name = "password",
         .type = CONF_SECTION,
         .parse = item_password,
         .child = &password_schema,
         .doc = "identifies the client by HTTP Digest (and Basic over TLS)"},
        {.name = "rate",
         .type = CONF_RATE,
         .def = "0",
         .offset = offsetof(struct policy_client, rate),
         .parse = item_rate,
         .doc = "requests per second of the client's token bucket; 0: the section's"},
        {.name = "burst",
         .type = CONF_BURST,
         .def = "0",
         .offset = offsetof(struct policy_client, burst),
         .parse = item_rate,
         .doc = "the bucket's size; 0: the section's"},
        {.name = "max-connections",
         .type = CONF_UINT,
         .min = 0,
         .max = 1000000,
         .def = "0",
         .offset = offsetof(struct policy_client, max_connections),
         .size = sizeof(unsigned),
         .doc = "concurrent connections of the client; 0: the section's"},
};
static const struct conf_section client_schema = {
        .name = "a client", .path = "access.clients.<name>.", .items = CONF_ITEMS(client_items)};

static void parse_client(struct yp *y, struct policy_client *c)
{
	struct yp_mark start = yp_mark(y);
	char where[96];

	snprintf(where, sizeof(where), "client '%s'", c->name);
	if (!conf_section_parse(y, &client_schema, where, c, NULL, NULL))
		return;
	if (!c->cert_sha256 && !c->cert_subject && !c->cert_san && !c->has_issuer && !c->user)
		yp_error(y, start, "client '%s' has no credential: give a certificate or a password", c->name);
	if (c->nroles == 0)
		yp_error(y, start, "client '%s' has no roles", c->name);
}

static void item_view_pids(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct policy_view *v = obj;
	(void)ctx;
	(void)key;
	parse_list(y, it->name, true, &v->pids, &v->pid_at, &v->npids);
}

static bool check_view_catch_all(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj,
                                 void *ctx)
{
	(void)it;
	(void)obj;
	(void)ctx;
	if (!alto_name_valid(*v))
		yp_error(y, m, "catch-all '%s' is not a valid PID name", *v);
	return true;
}

static void view_cost(struct yp *y, void *elem, char *metric, struct yp_mark mm, void *arg)
{
	struct policy_view_cost *c = elem;
	char **modes = NULL;
	size_t nmodes = 0;
	struct policy_at *mat = NULL;

	(void)arg;
	c->metric = metric;
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

static void item_view_costs(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct policy_view *v = obj;

	(void)it;
	(void)ctx;
	(void)key;
	v->all_costs = false;
	CONF_MAP_ENTRIES(y, "costs (a mapping of cost metrics to their modes)", v->costs, v->ncosts, view_cost, NULL);
}

static void item_view_props(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct policy_view *v = obj;
	(void)ctx;
	(void)key;
	parse_list(y, it->name, false, &v->props, &v->prop_at, &v->nprops);
}

static const struct conf_item view_items[] = {
        {.name = "network-map",
         .type = CONF_STRING,
         .flags = CONF_REQUIRED,
         .offset = offsetof(struct policy_view, netmap),
         .type_doc = "resource id",
         .doc = "the network map the view projects"},
        {.name = "pids",
         .type = CONF_LIST,
         .parse = item_view_pids,
         .type_doc = "list of PID names",
         .doc = "the PIDs kept, with their prefixes"},
        {.name = "catch-all",
         .type = CONF_STRING,
         .def = "other",
         .offset = offsetof(struct policy_view, catch_all),
         .check = check_view_catch_all,
         .type_doc = "PID name",
         .doc = "everything else: `0.0.0.0/0`, `::/0` and every hidden prefix inside a kept prefix"},
        {.name = "costs",
         .type = CONF_MAP,
         .parse = item_view_costs,
         .type_doc = "mapping of cost metrics to lists of `numerical`, `ordinal`",
         .def = "every metric, both modes",
         .doc = "the cost metrics and modes the view offers (`{}`: none); costs between kept PIDs only"},
        {.name = "opaque-pids",
         .type = CONF_BOOL,
         .def = "false",
         .offset = offsetof(struct policy_view, opaque_pids),
         .doc = "rename kept PIDs `p` + 16 hex digits of an HMAC of their name under the view's secret"},
        {.name = "properties",
         .type = CONF_LIST,
         .parse = item_view_props,
         .type_doc = "list of property names",
         .def = "none",
         .doc = "the entity properties (RFC 9240) of the network map's `property-maps` the view shows, for its "
                "kept PIDs and the prefixes lying whole in them only (docs/isolation.md)"},
};
static const struct conf_section view_schema = {
        .name = "a view", .path = "access.views.<id>.", .items = CONF_ITEMS(view_items)};

static void parse_view(struct yp *y, struct policy_view *v)
{
	struct yp_mark start = yp_mark(y);
	char where[96];

	v->all_costs = true;
	snprintf(where, sizeof(where), "view '%s'", v->id);
	if (!conf_section_parse(y, &view_schema, where, v, NULL, NULL))
		return;
	if (v->netmap == NULL)
		yp_error(y, start, "view '%s' needs a network-map", v->id);
	if (v->catch_all == NULL)
		v->catch_all = strdup("other");
}

static bool check_realm(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj, void *ctx)
{
	const char *why = policy_realm_error(*v);
	(void)it;
	(void)obj;
	(void)ctx;
	if (why)
		yp_error(y, m, "%s", why);
	return true;
}

static bool check_secret(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj, void *ctx)
{
	(void)it;
	(void)obj;
	(void)ctx;
	if (strlen(*v) < 16)
		yp_error(y, m, "secret must have at least 16 characters");
	return true;
}

/* checked against the roles once they are all read */
static bool check_anonymous_role(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj,
                                 void *ctx)
{
	struct policy *p = obj;
	(void)y;
	(void)it;
	(void)v;
	(void)ctx;
	p->anonymous_at = at_of(m);
	return true;
}

static bool check_digest_listen(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj,
                                void *ctx)
{
	struct sockaddr_storage ss;
	size_t len;
	const char *why;
	(void)it;
	(void)obj;
	(void)ctx;
	if (ip_hostport_parse(*v, true, &ss, &len, &why) != 0) {
		yp_error(y, m, "digest-listen '%s': %s", *v, why);
		return false;
	}
	return true;
}

static void item_auth_failures(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	(void)ctx;
	(void)key;
	conf_section_parse(y, it->child, NULL, obj, NULL, NULL);
}

static void client_entry(struct yp *y, void *elem, char *name, struct yp_mark nm, void *arg)
{
	struct policy_client *c = elem;
	(void)arg;
	c->name = name;
	c->at = at_of(nm);
	/* the name goes into the audit log and keys the client's limits:
	 * plain, and never "anonymous" */
	if (!alto_name_valid(name) || strcmp(name, "anonymous") == 0)
		yp_error(y, nm, "client name '%s': 1 to 64 of A-Z a-z 0-9 - : @ _, and not 'anonymous'", name);
	parse_client(y, c);
}

static void item_clients(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct policy *p = obj;
	(void)ctx;
	(void)key;
	CONF_MAP_ENTRIES(y, it->name, p->clients, p->nclients, client_entry, NULL);
}

static void role_entry(struct yp *y, void *elem, char *name, struct yp_mark nm, void *arg)
{
	struct policy_role *r = elem;
	(void)arg;
	r->name = name;
	r->at = at_of(nm);
	if (!alto_name_valid(name))
		yp_error(y, nm, "role name '%s' is not a valid name", name);
	parse_list(y, "a role's grants (resource and view ids)", true, &r->grants, &r->grant_at, &r->ngrants);
}

static void item_roles(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct policy *p = obj;
	(void)ctx;
	(void)key;
	CONF_MAP_ENTRIES(y, it->name, p->roles, p->nroles, role_entry, NULL);
}

static void view_entry(struct yp *y, void *elem, char *name, struct yp_mark nm, void *arg)
{
	struct policy_view *v = elem;
	(void)arg;
	v->id = name;
	v->at = at_of(nm);
	if (!alto_name_valid(name))
		yp_error(y, nm, "view id '%s' is not a valid resource id", name);
	parse_view(y, v);
}

static void item_views(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct policy *p = obj;
	(void)ctx;
	(void)key;
	CONF_MAP_ENTRIES(y, it->name, p->views, p->nviews, view_entry, NULL);
}

/* in the order of the reference and of the unknown-key message */
static const struct conf_item access_items[] = {
        {.name = "realm",
         .type = CONF_STRING,
         .def = "altod",
         .offset = offsetof(struct policy, realm),
         .check = check_realm,
         .type_doc = "1–" STR(POLICY_REALM_MAX) " printable characters, no `\"` or `\\`",
         .doc = "the realm of the Digest and Basic challenges, and of every HA1"},
        {.name = "secret",
         .type = CONF_STRING,
         .flags = CONF_SECRET,
         .offset = offsetof(struct policy, secret),
         .check = check_secret,
         .type_doc = "16 characters or more",
         .doc = "keys the Digest nonces (and the views' names and tags): every replica with the same secret "
                "accepts every replica's nonces. Without it each process has a random nonce key (replicas do not "
                "share nonces; a restart voids them)"},
        {.name = "nonce-lifetime",
         .type = CONF_UINT,
         .min = POLICY_NONCE_LIFETIME_MIN,
         .max = POLICY_NONCE_LIFETIME_MAX,
         .unit = "seconds",
         .def = STR(POLICY_NONCE_LIFETIME_DEFAULT),
         .offset = offsetof(struct policy, nonce_lifetime),
         .size = sizeof(unsigned),
         .doc = "how long a Digest nonce serves; a correct answer to an older one gets `401` with `stale=true` "
                "and fresh challenges. Shorter bounds how long a captured answer could be replayed at another "
                "replica that has not heard of it (see `digest-peers`); a peer's datagram older than this is "
                "dropped"},
        {.name = "digest-algorithms",
         .type = CONF_LIST,
         .parse = item_digest_algorithms,
         .def = "`[SHA-256, MD5]`",
         .type_doc = "list of `SHA-256`, `MD5` (written so)",
         .doc = "the Digest algorithms offered (one challenge each, in this order) and accepted. Python's urllib "
                "answers only the first challenge and has no SHA-256: list `MD5` first for it"},
        {.name = "digest-peers",
         .type = CONF_LIST,
         .parse = item_digest_peers,
         .type_doc = "list of `address:port` (numeric: `192.0.2.12:7433`, `\"[2001:db8::12]:7433\"`)",
         .doc = "the other replicas' `digest-listen` addresses. When this replica accepts a Digest answer it "
                "sends each of them one UDP datagram (the nonce, its `nc`, the time, an HMAC under a key derived "
                "from `secret`) before it answers, so a captured answer fails at every replica (isolation.md, "
                "\"Replicas\"). Needs `secret` (the same on every replica). Without it, another replica accepts a "
                "captured answer once"},
        {.name = "digest-listen",
         .type = CONF_STRING,
         .flags = CONF_RESTART,
         .check = check_digest_listen,
         .offset = offsetof(struct policy, digest_listen),
         .type_doc = "`address:port` (UDP; port 0 picks one, logged as `digest peers: receiving nc updates on "
                     "udp://...`; for tests)",
         .doc = "where this replica receives its peers' datagrams. Needs `secret`. Firewall it to the replicas "
                "(deployment.md). `kill -USR1` logs `digest peers: sent ..., received ... applied, ... not newer; "
                "dropped ... malformed, ... forged, ... old, ... bad nonce`"},
        {.name = "anonymous-role",
         .type = CONF_STRING,
         .offset = offsetof(struct policy, anonymous_role),
         .check = check_anonymous_role,
         .type_doc = "role name",
         .doc = "the role served to requests without credentials; without it such a request gets `401`"},
        {.name = "audit",
         .type = CONF_BOOL,
         .def = "true",
         .offset = offsetof(struct policy, audit),
         .doc = "log one line per request: client, resource, status, bytes, duration (never endpoint addresses)"},
        {.name = "rate",
         .type = CONF_RATE,
         .def = "0",
         .offset = offsetof(struct policy, rate),
         .parse = item_rate,
         .doc = "requests per second of each client's token bucket (anonymous clients: of each peer address's); "
                "0: no limit"},
        {.name = "burst",
         .type = CONF_BURST,
         .def = "0",
         .offset = offsetof(struct policy, burst),
         .parse = item_rate,
         .doc = "the bucket's size; 0: the rate, at least 1"},
        {.name = "max-connections",
         .type = CONF_UINT,
         .min = 0,
         .max = 1000000,
         .def = "0",
         .offset = offsetof(struct policy, max_connections),
         .size = sizeof(unsigned),
         .doc = "concurrent connections of each client (the anonymous ones count as one); more get `429`; 0: no "
                "limit"},
        {.name = "auth-failures",
         .type = CONF_SECTION,
         .parse = item_auth_failures,
         .child = &auth_failures_schema,
         .doc = "failed authentications given back per second and at once; past them `429` before any password "
                "is checked"},
        {.name = "clients",
         .type = CONF_MAP,
         .parse = item_clients,
         .child = &client_schema,
         .doc = "the clients by name (1 to 64 of `A-Z a-z 0-9 - : @ _`, not `anonymous`)"},
        {.name = "roles",
         .type = CONF_MAP,
         .parse = item_roles,
         .type_doc = "mapping of role names to lists of resource and view ids",
         .doc = "what each role is granted; a resource granted to no role is served to nobody"},
        {.name = "views",
         .type = CONF_MAP,
         .parse = item_views,
         .child = &view_schema,
         .doc = "tenant-facing projections of network maps, by view id (a resource id)"},
};
const struct conf_section policy_schema = {
        .name = "access", .path = "access.", .what = "access", .items = CONF_ITEMS(access_items)};

struct policy *policy_parse(struct yp *y, const char *file)
{
	struct yp_mark start = yp_mark(y);
	struct policy *p = calloc(1, sizeof(*p));
	struct conf_seen seen = {0};

	if (p == NULL)
		return NULL;
	p->file = file;
	conf_section_defaults(&policy_schema, p);
	p->digest_algs[0] = DIGEST_SHA256; /* RFC 7616 §3.7: the preferred first */
	p->digest_algs[1] = DIGEST_MD5;
	p->ndigest_algs = 2;
	conf_section_defaults(&fail_user_schema, &p->fail_user);
	conf_section_defaults(&fail_addr_schema, &p->fail_addr);
	if (!conf_section_parse(y, &policy_schema, NULL, p, NULL, &seen)) {
		policy_free(p);
		return NULL;
	}
	struct yp_mark peers_at = conf_seen_at(&policy_schema, &seen, "digest-peers");
	struct yp_mark listen_at = conf_seen_at(&policy_schema, &seen, "digest-listen");
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
		free_list(v->props, v->nprops);
		free(v->prop_at);
		for (size_t k = 0; k < v->ncosts; k++)
			free(v->costs[k].metric);
		free(v->costs);
	}
	free(p->views);
	free(p);
}
