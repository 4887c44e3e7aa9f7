/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration schema: every key of altod.yaml described once, in a
 * table per mapping (key, type, range, default, restart-only or reloadable,
 * one line of doc). A generic walker parses a mapping against its table
 * (unknown keys, whole numbers and their range, booleans, enumerations,
 * paths, addresses); keys whose value has a form of its own (a list of
 * listeners, a TLS priority string, a client's password) name a callback.
 * The same tables print the key reference (`altod --config-reference`,
 * docs/configuration.md, altod.yaml(5)) and the reload's list of settings
 * that need a restart. The tables live beside their parsers (conf.c,
 * policy.c); the idea follows Knot DNS's yparser schemas.
 */
#ifndef ALTOD_SCHEMA_H
#define ALTOD_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/yp.h"

enum conf_type {
	CONF_BOOL,    /* true or false (yes/no, on/off) */
	CONF_UINT,    /* a whole number from min to max */
	CONF_RATE,    /* 0 (no limit) or a number per second, within the policy's bounds */
	CONF_BURST,   /* 0 (the default) or a number from 1, within the policy's bounds */
	CONF_STRING,  /* a string */
	CONF_PATH,    /* a file path, resolved against the config's folder */
	CONF_ENUM,    /* one of `values`, stored as its index (an int) */
	CONF_ADDRESS, /* a numeric IPv4 or IPv6 address */
	CONF_LIST,    /* a sequence; its items are read by the callback */
	CONF_SECTION, /* a mapping described by `child` */
	CONF_MAP,     /* a mapping of names to mappings described by `child` */
};

enum conf_flag {
	CONF_RESTART = 1u << 0,  /* read at start only; a reload warns that it needs a restart */
	CONF_REQUIRED = 1u << 1, /* must be given */
	CONF_SECRET = 1u << 2,   /* password-equivalent: marked so in the reference */
};

struct conf_item;

/* Reads the value of `it` (the parser is on it) into obj; key is where the
 * key was written. */
typedef void (*conf_parse_fn)(struct yp *y, const struct conf_item *it, void *obj, void *ctx, struct yp_mark key);
/* Checks (and may rewrite) the scalar *v of a CONF_STRING or CONF_PATH item
 * that the generic parser read at m, reporting its own error. true: *v is
 * stored at it->offset (the old value freed); false: *v is freed (the check
 * may have taken it, setting *v to NULL, or kept what it made of it). */
typedef bool (*conf_check_fn)(struct yp *y, const struct conf_item *it, char **v, struct yp_mark m, void *obj,
                              void *ctx);

struct conf_item {
	const char *name;
	enum conf_type type;
	unsigned flags;
	unsigned long long min, max; /* CONF_UINT */
	const char *const *values;   /* CONF_ENUM: the names, NULL-terminated */
	const char *unit;            /* "bytes", "seconds": in messages and the reference */
	const char *def;             /* the default as text; applied to numbers, booleans and enumerations */
	/* where the value is in obj (for a callback's too, when it is
	 * CONF_RESTART with a plain value: a reload compares it there);
	 * size: of a CONF_UINT's field */
	size_t offset, size;
	conf_parse_fn parse; /* reads the value instead of the generic conversion */
	conf_check_fn check; /* CONF_STRING, CONF_PATH (resolved by it): checks the value read */
	const struct conf_section *child;
	const char *type_doc; /* the reference's type column, when the type does not say it */
	const char *doc;      /* one line: what it does */
};

struct conf_section {
	const char *name;    /* in messages ("tls", "limits"); NULL: the top level */
	const char *path;    /* of its keys in the reference: "server.listen[].tls." */
	const char *what;    /* for "... must be a mapping"; NULL: name and the key list */
	const char *unknown; /* appended to the unknown-key message, or NULL */
	const struct conf_item *items;
	size_t nitems;
};

#define CONF_ITEMS(a) (a), (sizeof(a) / sizeof((a)[0]))

/* Where each item of a section was written (line 0: not given), in table order. */
struct conf_seen {
	struct yp_mark at[32];
};

/* Parses the mapping the parser is on against s. `where` names it in the
 * unknown-key message (NULL: s->name), e.g. "client 'tenant-a'". seen may
 * be NULL. Returns false if it was not a mapping. */
bool conf_section_parse(struct yp *y, const struct conf_section *s, const char *where, void *obj, void *ctx,
                        struct conf_seen *seen);
/* Sets the defaults of s's items (not its children's) in obj. */
void conf_section_defaults(const struct conf_section *s, void *obj);
/* The item called name in s (NULL if none), and its index */
const struct conf_item *conf_section_item(const struct conf_section *s, const char *name, size_t *index);
/* Where the key `name` of s was written; line 0 if it was not */
struct yp_mark conf_seen_at(const struct conf_section *s, const struct conf_seen *seen, const char *name);
/* "a, b, c": the keys of s, in table order, into buf */
const char *conf_section_keys(const struct conf_section *s, char *buf, size_t size);
/* Are a and b equal in every CONF_RESTART item of s that has a plain value
 * (CONF_UINT, CONF_BOOL, CONF_ENUM, CONF_STRING, CONF_ADDRESS)? */
bool conf_section_restart_equal(const struct conf_section *s, const void *a, const void *b);
/* "server.listen[].address, ..., access.digest-listen": every restart-only
 * key under s, children included */
void conf_restart_keys(const struct conf_section *s, char *buf, size_t size);

/* A mapping of names to entries (clients, roles, views, a view's costs):
 * for each key the array *arr of `size`-byte elements gets one more, zeroed,
 * and each(y, elem, name, mark, arg) fills it (elem owns name); if the array
 * cannot grow the key and its value are skipped. `what` names the mapping
 * in a mismatch message. false if the node was not a mapping. */
typedef void (*conf_entry_fn)(struct yp *y, void *elem, char *name, struct yp_mark m, void *arg);
bool conf_map_entries(struct yp *y, const char *what, void **arr, size_t *n, size_t size, conf_entry_fn each,
                      void *arg);
#define CONF_MAP_ENTRIES(y, what, arr, n, each, arg) \
	conf_map_entries((y), (what), (void **)&(arr), &(n), sizeof(*(arr)), (each), (arg))

/* n bytes from 2n hexadecimal digits (either case), with ':' between
 * them ignored when colons is set; false if s is anything else */
bool conf_hex_decode(const char *s, uint8_t *out, size_t n, bool colons);

enum conf_ref_format {
	CONF_REF_MARKDOWN,
	CONF_REF_MAN,
};
/* The key reference of s and its children */
void conf_reference(FILE *out, const struct conf_section *s, enum conf_ref_format fmt);

#endif
