/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * altod's one error convention (as Knot DNS's KNOT_E*):
 *
 * - A function that can fail returns int: 0 (ALTOD_EOK) on success, or a
 *   negative ALTOD_E* code saying what kind of failure; altod_strerror()
 *   names it. Callers test `!= 0` (or `< 0`), never compare with -1. The
 *   errno-style codes are errno's values negated (ALTOD_ENOMEM == -ENOMEM),
 *   altod's own kinds sit below ALTOD_EBASE. Details a caller shows (the
 *   file:line:column of a config error, the ALTO error body of a request)
 *   travel in an out parameter (struct diag, struct alto_error), not in the
 *   code.
 * - A parser of a small vocabulary returns the value (>= 0) or a negative
 *   code (cost_mode_parse: COST_ORDINAL, or ALTOD_EINVAL).
 * - A predicate returns bool (alto_name_valid, buckets_take, ...).
 * - A constructor or lookup returning a pointer returns NULL on failure or
 *   when nothing matches (digest_state_new, topo_metric_find, ...); an index
 *   lookup returns ssize_t, -1 for "none" (the client index of auth.h).
 * - Only the signatures libraries impose keep their own convention:
 *   libmicrohttpd callbacks (enum MHD_Result) and GnuTLS callbacks (0 / -1,
 *   GNUTLS_E_*).
 */
#ifndef ALTOD_ERR_H
#define ALTOD_ERR_H

#include <errno.h>

enum {
	ALTOD_EOK = 0,
	ALTOD_ENOMEM = -ENOMEM,
	ALTOD_EINVAL = -EINVAL,
	ALTOD_ERANGE = -ERANGE,
	ALTOD_ENOENT = -ENOENT,
	ALTOD_EBASE = -1000,
	ALTOD_ECONFIG = ALTOD_EBASE - 1,  /* config or maps file has errors */
	ALTOD_ELISTEN = ALTOD_EBASE - 2,  /* cannot start a listener */
	ALTOD_EEXIST = ALTOD_EBASE - 3,   /* duplicate definition */
	ALTOD_EPARSE = ALTOD_EBASE - 4,   /* malformed input (a header, a constraint) */
	ALTOD_EREQUEST = ALTOD_EBASE - 5, /* an ALTO request refused; the error body says why */
	ALTOD_EAUTH = ALTOD_EBASE - 6,    /* credentials or a nonce that do not verify */
	ALTOD_ELAST = ALTOD_EAUTH,        /* the lowest code altod defines */
};

const char *altod_strerror(int code);

#endif
