/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * altod.yaml's `admin` section: the admin listener (/metrics, /healthz,
 * /readyz), apart from the ALTO listeners. Loopback by default; plain HTTP
 * without credentials there, or HTTPS with Basic credentials (what a
 * Prometheus scrape_config sends with basic_auth over https). Off the
 * loopback it needs both.
 */
#ifndef ALTOD_ADMINCONF_H
#define ALTOD_ADMINCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "conf/schema.h"

struct conf_admin_user {
	char *user;
	uint8_t sha256[32]; /* SHA-256 of the password */
	bool have_hash;
};

struct conf_admin {
	/* first: the ALTO listeners' tls parser reads the section as a
	 * struct conf_listener (address, port, tls, where it is defined) */
	struct conf_listener l;
	struct conf_admin_user *users;
	size_t nusers;
};

extern const struct conf_section conf_schema_admin;

/* CONF_SECTION parser of the top-level `admin` key (obj: struct conf;
 * the field at it->offset is a struct conf_admin *) */
void conf_admin_parse(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key);
void conf_admin_free(struct conf_admin *a);
/* Equal in what needs a restart (all of it) */
bool conf_admin_equal(const struct conf_admin *a, const struct conf_admin *b);

#endif
