/* SPDX-License-Identifier: BSD-2-Clause */
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

static const struct {
	const char *name;
	bool higher_is_better;
} registered_metrics[] = {
        {"routingcost", false},          /* RFC 7285 §6.1.1.1 */
        {"hopcount", false},             /* RFC 9439 §4.1 */
        {"delay-ow", false},             /* RFC 9439 §4.2 */
        {"delay-rt", false},             /* RFC 9439 §4.3 */
        {"delay-variation", false},      /* RFC 9439 §4.4 */
        {"lossrate", false},             /* RFC 9439 §4.5 */
        {"tput", true},                  /* RFC 9439 §5.1 */
        {"bw-residual", true},           /* RFC 9439 §5.2 */
        {"bw-available", true},          /* RFC 9439 §5.3 */
        {"bw-maximum", true},            /* RFC 9439 §5.4 */
        {"bw-maximum-reservable", true}, /* RFC 9439 §5.5 */
};

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
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == ':' || c == '_')) {
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
	for (size_t i = 0; i < sizeof(registered_metrics) / sizeof(registered_metrics[0]); i++) {
		if (strcmp(name, registered_metrics[i].name) == 0) {
			*higher_is_better = registered_metrics[i].higher_is_better;
			return true;
		}
	}
	*why = "unknown cost metric (use a registered one, or 'priv:' for a private one)";
	return false;
}
