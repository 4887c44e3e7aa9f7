/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alto/media.h"

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* length of the token at p, stopping at ws, ';', ',' */
static size_t token_len(const char *p)
{
	size_t n = 0;
	while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != ';' && p[n] != ',')
		n++;
	return n;
}

bool media_is(const char *content_type, const char *type)
{
	if (content_type == NULL)
		return false;
	const char *p = skip_ws(content_type);
	size_t n = token_len(p);
	if (n != strlen(type) || strncasecmp(p, type, n) != 0)
		return false;
	p = skip_ws(p + n);
	return *p == '\0' || *p == ';';
}

/* q-value of the parameters starting at p (after the media range), up to
 * the next ',' (RFC 7231 §5.3.1). 1000 = q=1. */
static int parse_q(const char **pp)
{
	const char *p = *pp;
	int q = 1000;

	while (*p && *p != ',') {
		if (*p == ';') {
			p = skip_ws(p + 1);
			if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
				p += 2;
				int v = 0, scale = 1000;
				if (*p == '0' || *p == '1') {
					v = (*p - '0') * 1000;
					p++;
					if (*p == '.') {
						p++;
						for (int i = 0; i < 3 && *p >= '0' && *p <= '9'; i++, p++) {
							scale /= 10;
							v += (*p - '0') * scale;
						}
					}
				}
				q = v > 1000 ? 1000 : v;
				continue;
			}
			continue;
		}
		p++;
	}
	*pp = p;
	return q;
}

/* The next element of a comma-separated list with q parameters (Accept,
 * Accept-Encoding): its token and q. NULL at the end of the list. */
static const char *next_element(const char *p, const char **tok, size_t *n, int *q)
{
	for (;;) {
		p = skip_ws(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\0')
			return NULL;
		*tok = p;
		*n = token_len(p);
		p += *n;
		*q = parse_q(&p);
		return *p == ',' ? p + 1 : p;
	}
}

bool media_accepts(const char *accept, const char *type)
{
	if (accept == NULL)
		return true;
	const char *slash = strchr(type, '/');
	size_t main_len = (size_t)(slash - type);
	const char *p = accept, *range;
	size_t n;
	int q;
	int best = -1;     /* q of the most specific match */
	int specific = -1; /* 3 exact, 2 type/x, 1 any */
	bool empty = true;

	while ((p = next_element(p, &range, &n, &q)) != NULL) {
		empty = false;
		int spec = 0;
		if (n == 3 && strncmp(range, "*/*", 3) == 0)
			spec = 1;
		else if (n == main_len + 2 && strncasecmp(range, type, main_len + 1) == 0 && range[n - 1] == '*')
			spec = 2;
		else if (n == strlen(type) && strncasecmp(range, type, n) == 0)
			spec = 3;
		if (spec > specific) {
			specific = spec;
			best = q;
		}
	}
	if (empty)
		return true; /* "Accept:" with no value: treat as absent */
	return specific > 0 && best > 0;
}

/* The q of a content-coding in Accept-Encoding (RFC 7231 §5.3.4): the
 * coding's own entry, else "*", else -1 (not mentioned). */
static int coding_q(const char *header, const char *coding)
{
	const char *p = header, *tok;
	size_t n;
	int q, exact = -1, any = -1;

	while ((p = next_element(p, &tok, &n, &q)) != NULL) {
		if (n == strlen(coding) && strncasecmp(tok, coding, n) == 0)
			exact = q;
		else if (n == 1 && tok[0] == '*')
			any = q;
	}
	return exact >= 0 ? exact : any;
}

bool media_accepts_gzip(const char *accept_encoding)
{
	if (accept_encoding == NULL)
		return false;
	int q = coding_q(accept_encoding, "gzip");
	if (q < 0)
		q = coding_q(accept_encoding, "x-gzip");
	return q > 0;
}

/* If-None-Match (RFC 7232 §3.2): "*" or a list of entity tags, compared
 * weakly (a W/ prefix does not matter). */
bool etag_list_matches(const char *header, const char *etag)
{
	const char *p = header;
	size_t elen = strlen(etag);

	while (*p) {
		p = skip_ws(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"')
			return false; /* not an entity tag: no match */
		const char *end = strchr(p + 1, '"');
		if (end == NULL)
			return false;
		size_t n = (size_t)(end - p) + 1;
		if (n == elen && memcmp(p, etag, n) == 0)
			return true;
		p = end + 1;
	}
	return false;
}
