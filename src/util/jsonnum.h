/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef ALTOD_JSONNUM_H
#define ALTOD_JSONNUM_H

/* The end of the JSON number (RFC 8259 §6: [-] int [frac] [exp]) that
 * starts at p, or NULL if none starts there. The one number grammar of
 * costs in maps files and of values in cost constraints. */
const char *json_number_end(const char *p);

#endif
