/* SPDX-License-Identifier: BSD-2-Clause */
/* altod.yaml: listeners, limits and the list of maps files. */
#ifndef ALTOD_CONF_H
#define ALTOD_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "altod/diag.h"

#define CONF_DEFAULT_PATH "/etc/altod/altod.yaml"

struct conf_listener {
	char *address; /* numeric IPv4 or IPv6 address */
	uint16_t port;
};

struct conf_limits {
	size_t max_request_body;     /* bytes; larger requests get 413 */
	unsigned connection_timeout; /* seconds of inactivity */
	unsigned max_connections;    /* per listener */
	size_t max_endpoints;        /* endpoints in one request */
	size_t max_endpoint_pairs;   /* sources x destinations in one endpoint cost request */
};

struct conf {
	char *path;
	struct conf_listener *listen;
	size_t nlisten;
	char **maps; /* resolved against the config file's folder */
	size_t nmaps;
	struct conf_mark {
		size_t line, col;
	} *maps_at; /* where altod.yaml names each maps file */
	unsigned threads; /* 0: one per CPU */
	struct conf_limits limits;
};

int conf_load(const char *path, struct conf **out, struct diag *diag);
int conf_load_mem(const char *name, const char *text, struct conf **out, struct diag *diag);
void conf_free(struct conf *c);

#endif
