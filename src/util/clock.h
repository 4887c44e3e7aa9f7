/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Clocks: the monotonic one for deadlines and timeouts (immune to the
 * wall clock being set), the real one for what leaves the process (Digest
 * nonces shared with peers, HTTP dates).
 */
#ifndef ALTOD_UTIL_CLOCK_H
#define ALTOD_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC. */
static inline int64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Seconds on CLOCK_MONOTONIC, for durations logged or exported. */
static inline double clock_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nanoseconds on CLOCK_REALTIME. */
static inline int64_t clock_real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
