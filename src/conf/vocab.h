/* SPDX-License-Identifier: BSD-2-Clause */
/* The vocabulary shared by altod.yaml, the maps and the protocol: RFC 7285
 * §10 basic types (names, cost modes, cost metrics) and the names of the
 * Digest algorithms (RFC 7616). It lives in the lowest layer that uses it. */
#ifndef ALTOD_CONF_VOCAB_H
#define ALTOD_CONF_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 7285 §10.1 (PIDName) and §10.2 (ResourceID): 1..64 characters of
 * [A-Za-z0-9-:@_]; '.' is reserved as the separator of resource-specific
 * property names (§10.8.1), so it is refused here. */
#define ALTO_NAME_MAX 64
bool alto_name_valid(const char *s);

enum cost_mode { COST_NUMERICAL = 0, COST_ORDINAL = 1, COST_MODES = 2 };
const char *cost_mode_name(enum cost_mode m);
int cost_mode_parse(const char *s); /* the mode, or ALTOD_EINVAL if unknown */

/* RFC 7285 §10.6: a cost metric is 1..32 characters of [A-Za-z0-9-:_];
 * altod offers the registered metrics (routingcost, and RFC 9439's
 * performance metrics) and private ones ("priv:..."). */
#define ALTO_METRIC_MAX 32
/* Returns true if the metric may be served; *higher_is_better says how
 * ordinal ranks are derived (bandwidth: more is better). */
bool alto_metric_valid(const char *name, bool *higher_is_better, const char **why);
/* RFC 9439 §4, §5: NULL if v is in the domain of a valid metric's values
 * (with its statistical operator), else the reason: negative, a hop count
 * that is not whole, a loss rate (percent) above 100. */
const char *alto_metric_check_value(const char *name, double v);

/* RFC 9439 §2.1: where a metric's values come from (the "cost-source" of
 * a cost type's "cost-context"); COST_SOURCE_NONE: no cost-context. */
/* RFC 9439 registers exactly these three in its "ALTO Cost Source" registry
 * (§3.1 and the IANA section of draft-ietf-alto-performance-metrics-28):
 * "nominal", "sla", "estimation". */
enum cost_source { COST_SOURCE_NONE, COST_SOURCE_ESTIMATION, COST_SOURCE_NOMINAL, COST_SOURCE_SLA };
int cost_source_parse(const char *s); /* the source, or ALTOD_EINVAL */
const char *cost_source_name(enum cost_source s);

/* RFC 7616 §3.3: the Digest algorithms altod offers and accepts (the
 * -sess variants are not offered). */
enum digest_alg { DIGEST_MD5, DIGEST_SHA256 };

#endif
