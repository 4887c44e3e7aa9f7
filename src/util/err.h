/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Error codes: negative, errno-style. Functions return 0 (ALTOD_EOK) or a
 * negative code; altod_strerror() names it.
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
	ALTOD_ECONFIG = ALTOD_EBASE - 1, /* config or maps file has errors */
	ALTOD_ELISTEN = ALTOD_EBASE - 2, /* cannot start a listener */
	ALTOD_EEXIST = ALTOD_EBASE - 3,  /* duplicate definition */
};

const char *altod_strerror(int code);

#endif
