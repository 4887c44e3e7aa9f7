/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * updates.c's seam for the unit tests: how a history's epoch is made,
 * with the process salt as a parameter (a test cannot start two
 * processes; it can give two salts).
 */
#ifndef ALTOD_SNAP_UPDATES_INTERNAL_H
#define ALTOD_SNAP_UPDATES_INTERNAL_H

#include <stdint.h>

#define UPD_SALT_LEN 8

/* 16 hex + NUL: SHA-256 of the salt, the build (updates.gen) the history
 * starts at, the resource id and the tag of its first version. altod
 * passes its process salt (8 random bytes drawn once per process). */
void updates_epoch(const uint8_t salt[UPD_SALT_LEN], const char *id, uint64_t gen, const char *tag, char out[17]);

#endif
