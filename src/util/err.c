/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "util/err.h"

const char *altod_strerror(int code)
{
	switch (code) {
	case ALTOD_EOK: return "ok";
	case ALTOD_ECONFIG: return "configuration has errors";
	case ALTOD_ELISTEN: return "cannot listen";
	case ALTOD_EEXIST: return "already defined";
	case ALTOD_EPARSE: return "malformed input";
	case ALTOD_EREQUEST: return "invalid request";
	case ALTOD_EAUTH: return "authentication failed";
	default: break;
	}
	if (code < 0 && code > ALTOD_EBASE)
		return strerror(-code);
	return "unknown error";
}
