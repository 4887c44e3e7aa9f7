/* SPDX-License-Identifier: BSD-2-Clause */
/* The POST services: compute and render a response (RFC 7285 §11.3-§11.5). */
#ifndef ALTOD_ALTO_SERVICE_H
#define ALTOD_ALTO_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alto/request.h"

char *service_run(const struct resource *r, const struct request *req, size_t *len);

/* A POST request from its body to its answer: request_parse(), then
 * service_run(), with the body's JSON in this thread's arena (arena.h) for
 * the while. The answer (malloc'd, *len bytes), or NULL: with err->code
 * set, the request's RFC 7285 error (a 400); else out of memory. */
char *service_answer(const struct resource *r, const struct catalog *cat, const char *body, size_t len,
                     const struct endpoint *client, const struct request_limits *lim, size_t *out_len,
                     struct alto_error *err);

#endif
