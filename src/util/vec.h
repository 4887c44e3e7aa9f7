/* SPDX-License-Identifier: BSD-2-Clause */
/* Growing arrays: VEC_PUSH(ptr, n, cap) makes room for one more element. */
#ifndef ALTOD_VEC_H
#define ALTOD_VEC_H

#include <stdbool.h>
#include <stddef.h>

/* Grows *arr (of elements of `elem` bytes) so that it holds `need`.
 * Returns false on allocation failure (the array is left as it was). */
bool vec_reserve(void **arr, size_t *cap, size_t need, size_t elem);

#define VEC_PUSH(arr, n, cap) vec_reserve((void **)&(arr), &(cap), (n) + 1, sizeof(*(arr)))

#endif
