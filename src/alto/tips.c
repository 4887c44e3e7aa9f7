/* SPDX-License-Identifier: BSD-2-Clause */
/* TIPS (RFC 9569): requests, summaries, view paths and edges (tips.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alto/tips.h"
#include "util/buf.h"
#include "util/err.h"

/* "field" names the part of the request that is wrong; no "value": the
 * bytes are the same whoever asks (a foreign view answers exactly like one
 * that never existed) */
const char tips_err_no_view[] = "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"tips-view-uri\"}}";
const char tips_err_no_edge[] = "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"ug\"}}";
const char tips_err_gone[] = "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"seq-i\"}}";
const char tips_err_too_early[] = "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"seq-j\"}}";
const char tips_err_media[] = "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"media-type\"}}";
const char tips_err_too_many[] = "{\"meta\":{\"code\":\"E_INVALID_FIELD_VALUE\",\"field\":\"resource-id\"}}";

#define SEQ_MAX ((uint64_t)1 << 53)

static int fail(struct alto_error *err, const char *code, const char *field, const char *value)
{
	alto_error_set(err, code, field, value);
	return ALTOD_EREQUEST;
}

/* An optional string member: 0 (absent: *out NULL), or the error. */
static int opt_string(json_t *root, const char *name, char **out, struct alto_error *err)
{
	json_t *v = json_object_get(root, name);
	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return fail(err, E_INVALID_FIELD_TYPE, name, NULL);
	*out = strdup(json_string_value(v));
	return *out ? 0 : ALTOD_ENOMEM;
}

int tips_parse_open(const char *body, size_t len, struct tips_open *out, struct alto_error *err)
{
	memset(out, 0, sizeof(*out));
	json_t *root = alto_json_object(body, len, err);
	if (root == NULL)
		return ALTOD_EREQUEST;
	int rc;
	/* §6.2: no "resource-id": E_MISSING_FIELD, "field": "resource-id" */
	if (json_object_get(root, "resource-id") == NULL)
		rc = fail(err, E_MISSING_FIELD, "resource-id", NULL);
	else
		rc = opt_string(root, "resource-id", &out->resource_id, err);
	if (rc == 0)
		rc = opt_string(root, "tag", &out->tag, err);
	json_decref(root);
	if (rc != 0)
		tips_open_clear(out);
	return rc;
}

void tips_open_clear(struct tips_open *o)
{
	free(o->resource_id);
	free(o->tag);
	memset(o, 0, sizeof(*o));
}

int tips_parse_next_edge(const char *body, size_t len, char **tag, struct alto_error *err)
{
	*tag = NULL;
	json_t *root = alto_json_object(body, len, err);
	if (root == NULL)
		return ALTOD_EREQUEST;
	int rc = opt_string(root, "tag", tag, err);
	json_decref(root);
	return rc;
}

void tips_recommend(struct tips_summary *s, uint64_t have, const size_t *patch_len, size_t full_len)
{
	s->rec_i = 0;
	s->rec_j = s->end_seq;
	if (have == 0 || have < s->start_seq || have > s->end_seq)
		return;
	if (have == s->end_seq) { /* up to date: the next edge, when it comes */
		s->rec_i = have;
		s->rec_j = have + 1;
		return;
	}
	size_t sum = 0;
	for (uint64_t k = 0; k < s->end_seq - have; k++) {
		sum += patch_len[k];
		if (sum >= full_len)
			return;
	}
	s->rec_i = have;
	s->rec_j = have + 1;
}

static void render_graph_summary(struct buf *b, const struct tips_summary *s)
{
	char num[128];
	snprintf(num, sizeof(num),
	         "{\"start-seq\":%" PRIu64 ",\"end-seq\":%" PRIu64 ",\"start-edge-rec\":{\"seq-i\":%" PRIu64
	         ",\"seq-j\":%" PRIu64 "}}",
	         s->start_seq, s->end_seq, s->rec_i, s->rec_j);
	buf_puts(b, num);
}

char *tips_render_open(const char *view_uri, const struct tips_summary *s, size_t *len)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "{\"tips-view-uri\":");
	jw_str(&b, view_uri);
	buf_puts(&b, ",\"tips-view-summary\":{\"updates-graph-summary\":");
	render_graph_summary(&b, s);
	buf_puts(&b, "}}");
	return buf_finish(&b, len);
}

char *tips_render_summary(const struct tips_summary *s, size_t *len)
{
	struct buf b;
	buf_init(&b);
	render_graph_summary(&b, s);
	return buf_finish(&b, len);
}

/* A canonical decimal below 2^53 ending at '/' or '\0'; *end after it. */
static bool parse_seq(const char *p, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *q = p;
	while (*q >= '0' && *q <= '9') {
		v = v * 10 + (uint64_t)(*q - '0');
		if (v >= SEQ_MAX)
			return false;
		q++;
	}
	if (q == p || (*p == '0' && q - p > 1) || (*q != '/' && *q != '\0'))
		return false;
	*out = v;
	*end = q;
	return true;
}

enum tips_path tips_parse_path(const char *path, char token[TIPS_TOKEN_LEN + 1], uint64_t *i, uint64_t *j)
{
	size_t plen = strlen(TIPS_URI);
	if (strncmp(path, TIPS_URI "/", plen + 1) != 0)
		return TIPS_PATH_NONE;
	const char *p = path + plen + 1;
	size_t n = 0;
	while ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'f'))
		n++;
	if (n != TIPS_TOKEN_LEN || (p[n] != '/' && p[n] != '\0'))
		return TIPS_PATH_BAD;
	memcpy(token, p, n);
	token[n] = '\0';
	p += n;
	if (*p == '\0')
		return TIPS_PATH_VIEW;
	if (strncmp(p, "/ug", 3) != 0 || (p[3] != '/' && p[3] != '\0'))
		return TIPS_PATH_UNKNOWN;
	p += 3;
	if (*p == '\0')
		return TIPS_PATH_GRAPH;
	const char *e;
	if (!parse_seq(p + 1, i, &e) || *e != '/' || !parse_seq(e + 1, j, &e) || *e != '\0')
		return TIPS_PATH_UNKNOWN;
	return TIPS_PATH_EDGE;
}

enum tips_edge tips_classify(uint64_t start, uint64_t end, uint64_t i, uint64_t j)
{
	if (i >= j)
		return TIPS_EDGE_NONE;
	/* §7.2: 410 for a seq smaller than start-seq */
	if ((i != 0 && i < start) || j < start)
		return TIPS_EDGE_GONE;
	/* §7.2: 425 when a seq exceeds the prefetch window, which is end-seq +
	 * 1 (§4.2, §7.2: end-seq -> end-seq + 1 may be long polled) */
	if (j > end + 1)
		return TIPS_EDGE_TOO_EARLY;
	/* i -> end-seq + 1 from another i is within the window but a shortcut
	 * altod never makes: not in the graph, now or later (404) */
	if (j == end + 1)
		return i == end || i == 0 ? TIPS_EDGE_WAIT : TIPS_EDGE_NONE;
	if (i == 0)
		return j == end ? TIPS_EDGE_FULL : TIPS_EDGE_NONE;
	return j == i + 1 ? TIPS_EDGE_PATCH : TIPS_EDGE_NONE;
}
