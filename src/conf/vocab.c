/* SPDX-License-Identifier: BSD-2-Clause */
#include <math.h>
#include <string.h>

#include "conf/vocab.h"
#include "util/err.h"

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == ':' ||
	       c == '@' || c == '_';
}

bool alto_name_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!name_char(s[n]) || n >= ALTO_NAME_MAX)
			return false;
	return n > 0;
}

const char *cost_mode_name(enum cost_mode m)
{
	return m == COST_ORDINAL ? "ordinal" : "numerical";
}

int cost_mode_parse(const char *s)
{
	if (strcmp(s, "numerical") == 0)
		return COST_NUMERICAL;
	if (strcmp(s, "ordinal") == 0)
		return COST_ORDINAL;
	return ALTOD_EINVAL;
}

/* The registered metrics: RFC 7285 §6.1.1.1 (routingcost) and RFC 9439
 * §4 and §5, with the domain of their values (the RFC's units). */
enum metric_domain { DOM_NONNEG, DOM_INTEGER, DOM_PERCENT };

static const struct {
	const char *name;
	bool higher_is_better;
	enum metric_domain dom;
	const char *what; /* "a one-way delay is ..." for messages */
} registered_metrics[] = {
        {"routingcost", false, DOM_NONNEG, "a routing cost is a number >= 0"},
        {"delay-ow", false, DOM_NONNEG, "a one-way delay is a number of microseconds >= 0 (RFC 9439 §4.1)"},
        {"delay-rt", false, DOM_NONNEG, "a round-trip delay is a number of microseconds >= 0 (RFC 9439 §4.2)"},
        {"delay-variation", false, DOM_NONNEG, "a delay variation is a number of microseconds >= 0 (RFC 9439 §4.3)"},
        {"lossrate", false, DOM_PERCENT, "a loss rate is a percentage from 0 to 100 (RFC 9439 §4.4)"},
        {"hopcount", false, DOM_INTEGER, "a hop count is an integer >= 0 (RFC 9439 §4.5)"},
        {"tput", true, DOM_NONNEG, "a throughput is a number of bytes per second >= 0 (RFC 9439 §5.1)"},
        {"bw-residual", true, DOM_NONNEG, "a residual bandwidth is a number of bytes per second >= 0 (RFC 9439 §5.2)"},
        {"bw-available", true, DOM_NONNEG,
         "an available bandwidth is a number of bytes per second >= 0 (RFC 9439 §5.3)"},
        {"bw-maxres", true, DOM_NONNEG,
         "a maximum reservable bandwidth is a number of bytes per second >= 0 (RFC 9439 §5.4)"},
};
#define NREGISTERED (sizeof(registered_metrics) / sizeof(registered_metrics[0]))

/* RFC 9439 §2.2 (§3.2 of draft-ietf-alto-performance-metrics-28): a
 * performance metric may carry a statistical operator, "<metric>:<op>":
 * cur, min, max, median, mean, stddev, stdvar, or a percentile "p" followed
 * by "a non-negative JSON number in the range [0, 100] ... followed by an
 * optional decimal part ... '.' ... followed by a sequence of one or more
 * ASCII numbers" ("delay-ow:p99.9 gives the 99.9% percentile"). A JSON
 * number has no leading zero (RFC 8259 §6): "p05" is not one. Returns the
 * operator's kind: 0 none or a value of the metric's own kind (cur, min,
 * max, percentile), 1 an average (mean, median: may be fractional), 2 a
 * spread (stddev, stdvar), -1 bad. */
static int stat_op(const char *op)
{
	static const char *const plain[] = {"cur", "min", "max"};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (strcmp(op, plain[i]) == 0)
			return 0;
	if (strcmp(op, "mean") == 0 || strcmp(op, "median") == 0)
		return 1;
	if (strcmp(op, "stddev") == 0 || strcmp(op, "stdvar") == 0)
		return 2;
	if (op[0] != 'p')
		return -1;
	const char *p = op + 1;
	size_t ndig = 0;
	int v = 0;
	for (; *p >= '0' && *p <= '9'; p++, ndig++) {
		if (ndig == 3)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (ndig == 0 || (ndig > 1 && op[1] == '0') || v > 100)
		return -1;
	if (*p == '.') {
		bool frac_nonzero = false;
		size_t nfrac = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, nfrac++)
			frac_nonzero |= *p != '0';
		if (nfrac == 0 || (v == 100 && frac_nonzero)) /* p100.5 > 100 */
			return -1;
	}
	return *p == '\0' ? 0 : -1;
}

/* The registered metric a name uses (index), its operator kind in *kind;
 * -1 if none. */
static int metric_lookup(const char *name, int *kind)
{
	const char *colon = strchr(name, ':');
	size_t blen = colon ? (size_t)(colon - name) : strlen(name);

	*kind = colon ? stat_op(colon + 1) : 0;
	for (size_t i = 0; i < NREGISTERED; i++)
		if (strlen(registered_metrics[i].name) == blen && strncmp(name, registered_metrics[i].name, blen) == 0)
			return (int)i;
	return -1;
}

bool alto_metric_valid(const char *name, bool *higher_is_better, const char **why)
{
	size_t n = strlen(name);

	*higher_is_better = false;
	if (n == 0 || n > ALTO_METRIC_MAX) {
		*why = "a cost metric has 1 to 32 characters";
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		/* RFC 7285 §10.6's characters; '.' only in the decimal part of
		 * a percentile operator (RFC 9439 §2.2), checked by stat_op */
		bool dot_ok = c == '.' && strchr(name, ':') != NULL && strchr(name, ':') < name + i &&
		              strncmp(name, "priv:", 5) != 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == ':' || c == '_' || dot_ok)) {
			*why = "a cost metric may hold only letters, digits, '-', ':' and '_'";
			return false;
		}
	}
	if (strncmp(name, "priv:", 5) == 0) {
		if (n == 5) {
			*why = "a private cost metric needs a name after 'priv:'";
			return false;
		}
		return true;
	}
	int kind;
	int i = metric_lookup(name, &kind);
	if (i < 0) {
		*why = "unknown cost metric (use a registered one, or 'priv:' for a private one)";
		return false;
	}
	if (strchr(name, ':') && i == 0) {
		*why = "routingcost takes no statistical operator (RFC 9439 §2.2 defines them for its metrics)";
		return false;
	}
	if (kind < 0) {
		*why = "unknown statistical operator (cur, min, max, median, mean, stddev, stdvar, or p0 to p100: "
		       "RFC 9439 §2.2)";
		return false;
	}
	/* a spread is better small whichever way the metric itself goes */
	*higher_is_better = kind != 2 && registered_metrics[i].higher_is_better;
	return true;
}

const char *alto_metric_check_value(const char *name, double v)
{
	int kind;
	int i = metric_lookup(name, &kind);

	if (i < 0 || kind < 0) /* a private metric: any cost >= 0 */
		return v >= 0 ? NULL : "a cost is a number >= 0";
	if (v < 0)
		return registered_metrics[i].what;
	switch (registered_metrics[i].dom) {
	case DOM_INTEGER:
		/* a count of hops: only a value of the kind itself (cur, min,
		 * max, a percentile) is a whole number */
		/* floor, not a cast to an integer: 1e27 hops is whole, not UB */
		return kind == 0 && v != floor(v) ? registered_metrics[i].what : NULL;
	case DOM_PERCENT:
		/* a variance is in square percent: only its sign is bounded */
		if (kind == 2 && strcmp(strchr(name, ':') + 1, "stdvar") == 0)
			return NULL;
		return v <= 100 ? NULL : registered_metrics[i].what;
	case DOM_NONNEG: break;
	}
	return NULL;
}

static const char *const cost_sources[] = {NULL, "estimation", "nominal", "sla"};

int cost_source_parse(const char *s)
{
	for (int i = 1; i < (int)(sizeof(cost_sources) / sizeof(cost_sources[0])); i++)
		if (strcmp(s, cost_sources[i]) == 0)
			return i;
	return ALTOD_EINVAL;
}

const char *cost_source_name(enum cost_source s)
{
	return (unsigned)s < sizeof(cost_sources) / sizeof(cost_sources[0]) ? cost_sources[s] : NULL;
}
