/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 8895 (ALTO incremental updates using SSE): requests and messages. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alto/request.h"
#include "alto/sse.h"
#include "conf/vocab.h"
#include "util/err.h"
#include "util/vec.h"

const char *sse_change_types(enum res_kind kind)
{
	/* RFC 8895 §6.3: a comma-separated list; a cost map changes costs in
	 * place, which a JSON patch carries with less text */
	return kind == RES_COSTMAP ? SSE_MT_MERGEPATCH "," SSE_MT_JSONPATCH : SSE_MT_MERGEPATCH;
}

static bool streamable(const struct resource *r)
{
	return r->kind == RES_NETWORKMAP || r->kind == RES_COSTMAP;
}

/* §6.3 UpdateStreamCapabilities, §6.4 uses: every network map and cost
 * map this catalog offers, and nothing it does not. */
void sse_render_entry(struct buf *b, const struct catalog *c)
{
	buf_puts(b, ",\"capabilities\":{\"incremental-change-media-types\":{");
	bool first = true;
	for (size_t i = 0; i < c->nres; i++) {
		const struct resource *r = &c->res[i];
		if (!streamable(r))
			continue;
		if (!first)
			buf_putc(b, ',');
		first = false;
		jw_str(b, r->id);
		buf_putc(b, ':');
		jw_str(b, sse_change_types(r->kind));
	}
	buf_puts(b, "},\"support-stream-control\":true},\"uses\":[");
	first = true;
	for (size_t i = 0; i < c->nres; i++) {
		if (!streamable(&c->res[i]))
			continue;
		if (!first)
			buf_putc(b, ',');
		first = false;
		jw_str(b, c->res[i].id);
	}
	buf_putc(b, ']');
}

/* ---- UpdateStreamReq (§6.5) ---- */

static char *value_text(const json_t *v)
{
	if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
		return strdup(json_string_value(v));
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return s;
}

static int fail(struct sse_req *req, struct alto_error *err, const char *code, const json_t *value, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
static int fail(struct sse_req *req, struct alto_error *err, const char *code, const json_t *value, const char *fmt,
                ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(req->field, sizeof(req->field), fmt, ap);
	va_end(ap);
	alto_error_clear(err);
	err->code = code;
	err->field = req->field;
	if (value)
		err->value = value_text(value);
	return ALTOD_EREQUEST;
}

static const struct resource *find_id(const struct catalog *c, const char *id)
{
	for (size_t i = 0; i < c->nres; i++)
		if (strcmp(c->res[i].id, id) == 0)
			return &c->res[i];
	return NULL;
}

static bool plain_string(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static bool tag_valid(const json_t *v)
{
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n < 1 || n > VTAG_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* Client ids in the error's field path are valid names: no '/' to escape. */
static int parse_add(const json_t *add, const struct catalog *cat, struct sse_req *req, struct alto_error *err)
{
	if (!json_is_object(add))
		return fail(req, err, E_INVALID_FIELD_TYPE, NULL, "add");
	size_t cap = 0;
	const char *cid;
	json_t *one;
	json_object_foreach ((json_t *)add, cid, one) {
		if (!alto_name_valid(cid)) {
			json_t *name = json_string(cid);
			int rc = fail(req, err, E_INVALID_FIELD_VALUE, name, "add");
			json_decref(name);
			return rc;
		}
		if (!json_is_object(one))
			return fail(req, err, E_INVALID_FIELD_TYPE, NULL, "add/%s", cid);
		const json_t *rid = json_object_get(one, "resource-id");
		if (rid == NULL)
			return fail(req, err, E_MISSING_FIELD, NULL, "add/%s/resource-id", cid);
		if (!json_is_string(rid))
			return fail(req, err, E_INVALID_FIELD_TYPE, NULL, "add/%s/resource-id", cid);
		/* a resource this client may not see is exactly one that does
		 * not exist; neither are the POST services (no SSE here) */
		const struct resource *r = plain_string(rid) ? find_id(cat, json_string_value(rid)) : NULL;
		if (r == NULL || !streamable(r))
			return fail(req, err, E_INVALID_FIELD_VALUE, rid, "add/%s/resource-id", cid);
		/* §6.5 "tag": the tag part of the client's version (RFC 7285
		 * §10.3 VersionTag: 1-64 of U+0021-U+007E) */
		const json_t *tag = json_object_get(one, "tag");
		if (tag && !json_is_string(tag))
			return fail(req, err, E_INVALID_FIELD_TYPE, NULL, "add/%s/tag", cid);
		if (tag && !tag_valid(tag))
			return fail(req, err, E_INVALID_FIELD_VALUE, tag, "add/%s/tag", cid);
		const json_t *inc = json_object_get(one, "incremental-changes");
		if (inc && !json_is_boolean(inc))
			return fail(req, err, E_INVALID_FIELD_TYPE, NULL, "add/%s/incremental-changes", cid);
		/* "input" is for POST-mode resources (§6.5): these take none */
		const json_t *input = json_object_get(one, "input");
		if (input)
			return fail(req, err, E_INVALID_FIELD_VALUE, input, "add/%s/input", cid);
		if (req->nadd >= SSE_MAX_SUBSTREAMS)
			return fail(req, err, E_INVALID_FIELD_VALUE, NULL, "add");
		if (!VEC_PUSH(req->add, req->nadd, cap))
			return ALTOD_ENOMEM;
		struct sse_add *a = &req->add[req->nadd];
		a->client_id = strdup(cid);
		if (a->client_id == NULL)
			return ALTOD_ENOMEM;
		a->res = r;
		a->incremental = inc ? json_is_true(inc) : true;
		a->tag[0] = '\0';
		if (tag)
			memcpy(a->tag, json_string_value(tag), json_string_length(tag) + 1);
		req->nadd++;
	}
	return 0;
}

static int parse_remove(const json_t *rm, struct sse_req *req, struct alto_error *err)
{
	if (!json_is_array(rm))
		return fail(req, err, E_INVALID_FIELD_TYPE, NULL, "remove");
	size_t cap = 0;
	size_t i;
	const json_t *v;
	json_array_foreach (rm, i, v) {
		if (!json_is_string(v))
			return fail(req, err, E_INVALID_FIELD_TYPE, NULL, "remove");
		if (!plain_string(v) || !alto_name_valid(json_string_value(v)))
			return fail(req, err, E_INVALID_FIELD_VALUE, v, "remove");
		for (size_t k = 0; k < req->nremove; k++)
			if (strcmp(req->remove[k], json_string_value(v)) == 0)
				return fail(req, err, E_INVALID_FIELD_VALUE, v, "remove");
		if (!VEC_PUSH(req->remove, req->nremove, cap))
			return ALTOD_ENOMEM;
		req->remove[req->nremove] = strdup(json_string_value(v));
		if (req->remove[req->nremove] == NULL)
			return ALTOD_ENOMEM;
		req->nremove++;
	}
	return 0;
}

int sse_req_parse(const char *body, size_t len, const struct catalog *cat, unsigned max_depth, bool control,
                  struct sse_req *req, struct alto_error *err)
{
	memset(req, 0, sizeof(*req));
	if (max_depth && request_json_depth(body, len) > max_depth) { /* before parsing: a linear scan */
		alto_error_syntax(err, "JSON nested deeper than %u levels", max_depth);
		return ALTOD_EREQUEST;
	}
	json_t *root = alto_json_object(body, len, err);
	if (root == NULL)
		return ALTOD_EREQUEST;
	const json_t *add = json_object_get(root, "add");
	const json_t *rm = json_object_get(root, "remove");
	int rc = add ? parse_add(add, cat, req, err) : 0;
	if (rc == 0 && rm && control)
		rc = parse_remove(rm, req, err);
	json_decref(root);
	if (rc != 0)
		sse_req_free(req);
	return rc;
}

void sse_req_free(struct sse_req *req)
{
	for (size_t i = 0; i < req->nadd; i++)
		free(req->add[i].client_id);
	free(req->add);
	for (size_t i = 0; i < req->nremove; i++)
		free(req->remove[i]);
	free(req->remove);
	req->add = NULL;
	req->remove = NULL;
	req->nadd = req->nremove = 0;
}

/* ---- update messages (§5) ---- */

void sse_data_head(struct buf *b, const char *media_type, const char *client_id)
{
	/* §5.2: the event type names the data's media type and, after a
	 * comma, the client id of the substream it belongs to */
	buf_puts(b, "event: ");
	buf_puts(b, media_type);
	buf_putc(b, ',');
	buf_puts(b, client_id);
	buf_puts(b, "\ndata: ");
}

void sse_data_event(struct buf *b, const char *media_type, const char *client_id, const char *json, size_t len)
{
	sse_data_head(b, media_type, client_id);
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (json[i] != '\n' && json[i] != '\r')
			continue;
		buf_append(b, json + start, i - start);
		buf_puts(b, "\ndata: ");
		start = i + 1;
	}
	buf_append(b, json + start, len - start);
	buf_puts(b, "\n\n");
}

void sse_control_event(struct buf *b, const char *control_uri, char *const *removed, size_t n, const char *description)
{
	/* §5.3 UpdateStreamControlEvent {[control-uri], [started], [stopped],
	 * [description]}: one line of JSON */
	buf_puts(b, "event: " SSE_MT_CONTROL "\ndata: {");
	bool first = true;
	if (control_uri) {
		buf_puts(b, "\"control-uri\":");
		jw_str(b, control_uri);
		first = false;
	}
	if (n > 0) {
		if (!first)
			buf_putc(b, ',');
		first = false;
		buf_puts(b, "\"stopped\":[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_putc(b, ',');
			jw_str(b, removed[i]);
		}
		buf_putc(b, ']');
	}
	if (description) {
		if (!first)
			buf_putc(b, ',');
		buf_puts(b, "\"description\":");
		jw_str(b, description);
	}
	buf_puts(b, "}\n\n");
}
