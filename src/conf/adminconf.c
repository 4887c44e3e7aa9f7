/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/adminconf.h"
#include "util/vec.h"

static bool check_sha256(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj, void *ctx)
{
	struct conf_admin_user *u = obj;

	(void)it;
	(void)ctx;
	if (conf_hex_decode(*v, u->sha256, sizeof(u->sha256), false))
		u->have_hash = true;
	else
		yp_error(y, m,
		         "sha256 must be 64 hexadecimal digits: the SHA-256 of the password "
		         "(printf %%s \"$password\" | sha256sum)");
	return false;
}

static const struct conf_item user_items[] = {
        {.name = "user",
         .type = CONF_STRING,
         .flags = CONF_REQUIRED | CONF_RESTART,
         .offset = offsetof(struct conf_admin_user, user),
         .doc = "the Basic user name (1 to 64 characters, no `:`)"},
        {.name = "sha256",
         .type = CONF_STRING,
         .flags = CONF_REQUIRED | CONF_RESTART | CONF_SECRET,
         .check = check_sha256,
         .type_doc = "64 hexadecimal digits",
         .doc = "the SHA-256 of its password, in hexadecimal (`sha256sum` of the password without a trailing newline); "
                "use a long random "
                "password: a fast hash of a guessable one is easy to invert"},
};
static const struct conf_section user_schema = {
        .name = "an admin user", .path = "admin.users[].", .items = CONF_ITEMS(user_items)};

static void parse_users(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct conf_admin *a = obj;
	size_t cap = a->nusers;
	(void)key;
	if (!yp_sequence_begin(y, it->name))
		return;
	while (yp_sequence_more(y)) {
		struct yp_mark start = yp_mark(y);
		struct conf_admin_user u = {0};
		if (!conf_section_parse(y, &user_schema, NULL, &u, ctx, NULL))
			continue;
		if (u.user == NULL || !u.have_hash) {
			yp_error(y, start, "an admin user needs user and sha256");
			free(u.user);
			continue;
		}
		if (u.user[0] == '\0' || strlen(u.user) > 64 || strchr(u.user, ':')) {
			yp_error(y, start, "admin user '%s': a user name has 1 to 64 characters and no ':'", u.user);
			free(u.user);
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < a->nusers; i++)
			dup = dup || strcmp(a->users[i].user, u.user) == 0;
		if (dup || !VEC_PUSH(a->users, a->nusers, cap)) {
			yp_error(y, start, dup ? "admin user '%s' is listed twice" : "out of memory (%s)", u.user);
			free(u.user);
			continue;
		}
		a->users[a->nusers++] = u;
	}
}

static void parse_admin_tls(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct conf_admin *a = obj;
	conf_tls_item_parse(y, it, &a->l, ctx, key);
	if (a->l.tls && a->l.tls->client_ca)
		yp_error(y, key,
		         "admin tls: client-ca, client-crl and client-auth are for the ALTO listeners; the admin "
		         "listener takes users (Basic over TLS)");
}

static const struct conf_item admin_items[] = {
        {.name = "address",
         .type = CONF_ADDRESS,
         .flags = CONF_RESTART,
         .def = "127.0.0.1",
         .offset = offsetof(struct conf_admin, l.address),
         .doc = "where the admin listener listens. Off the loopback it needs `tls` and `users`"},
        {.name = "port",
         .type = CONF_UINT,
         .flags = CONF_REQUIRED | CONF_RESTART,
         .min = 0,
         .max = 65535,
         .offset = offsetof(struct conf_admin, l.port),
         .size = sizeof(uint16_t),
         .doc = "TCP port; 0 picks a free port (logged at start; for tests)"},
        {.name = "tls",
         .type = CONF_SECTION,
         .flags = CONF_RESTART,
         .parse = parse_admin_tls,
         .type_doc = "mapping: `certificate`, `key`, `priorities`",
         .doc = "serve HTTPS: the keys of `server.listen[].tls` without the client certificate ones. Read at start "
                "only"},
        {.name = "users",
         .type = CONF_LIST,
         .flags = CONF_RESTART,
         .parse = parse_users,
         .child = &user_schema,
         .doc = "Basic credentials every admin request must carry (a Prometheus `basic_auth`); needs `tls`. "
                "Without it the admin listener answers anyone who reaches it"},
};
const struct conf_section conf_schema_admin = {
        .name = "admin", .path = "admin.", .what = "admin", .items = CONF_ITEMS(admin_items)};

void conf_admin_parse(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key)
{
	struct conf_admin **out = (struct conf_admin **)((char *)obj + it->offset);
	struct conf_seen seen = {0};
	struct yp_mark start = yp_mark(y);
	struct conf_admin *a = calloc(1, sizeof(*a));

	(void)key;
	if (a == NULL) {
		yp_error(y, start, "out of memory");
		yp_skip(y);
		return;
	}
	a->l.line = start.line;
	a->l.col = start.col;
	conf_section_defaults(&conf_schema_admin, a);
	if (!conf_section_parse(y, &conf_schema_admin, NULL, a, ctx, &seen)) {
		conf_admin_free(a);
		return;
	}
	if (a->l.address == NULL)
		a->l.address = strdup("127.0.0.1");
	struct yp_mark users_at = conf_seen_at(&conf_schema_admin, &seen, "users");
	if (conf_seen_at(&conf_schema_admin, &seen, "port").line == 0)
		yp_error(y, start, "admin needs a port");
	else if (a->l.address == NULL)
		yp_error(y, start, "out of memory");
	else if (a->nusers && a->l.tls == NULL)
		yp_error(y, users_at, "admin users need tls: Basic credentials are never sent in clear");
	else if (users_at.line && a->nusers == 0)
		yp_error(y, users_at, "admin users: an empty list would let nobody in; leave it out instead");
	else if (!conf_is_loopback(a->l.address) && (a->l.tls == NULL || a->nusers == 0))
		yp_error(y, start,
		         "admin listener %s is off the loopback: it needs tls and users (metrics and health "
		         "checks are for the operator's tools only)",
		         a->l.address);
	conf_admin_free(*out);
	*out = a;
}

void conf_admin_free(struct conf_admin *a)
{
	if (a == NULL)
		return;
	free(a->l.address);
	conf_tls_free(a->l.tls);
	for (size_t i = 0; i < a->nusers; i++)
		free(a->users[i].user);
	free(a->users);
	free(a);
}

bool conf_admin_equal(const struct conf_admin *a, const struct conf_admin *b)
{
	if (!a || !b)
		return !a == !b;
	if (strcmp(a->l.address, b->l.address) != 0 || a->l.port != b->l.port || !a->l.tls != !b->l.tls ||
	    a->nusers != b->nusers)
		return false;
	if (a->l.tls &&
	    (strcmp(a->l.tls->certificate, b->l.tls->certificate) != 0 || strcmp(a->l.tls->key, b->l.tls->key) != 0 ||
	     strcmp(a->l.tls->priorities, b->l.tls->priorities) != 0))
		return false;
	for (size_t i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i].user, b->users[i].user) != 0 ||
		    memcmp(a->users[i].sha256, b->users[i].sha256, 32) != 0)
			return false;
	return true;
}
