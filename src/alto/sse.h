/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ALTO incremental updates over Server-Sent Events (RFC 8895): the pure
 * protocol parts, free of libmicrohttpd and of any stream state.
 *   - the update stream service's directory entry (§6.3, §6.4);
 *   - the UpdateStreamReq of a stream's opening and of its stream control
 *     requests (§6.5, §7.5): parsed and checked against the client's
 *     catalog;
 *   - the update messages (§5): data update messages (the full resource,
 *     or a JSON merge patch, or a JSON patch) and control update messages,
 *     formatted as SSE events (W3C Server-Sent Events: "event:" and "data:"
 *     lines, a blank line after each event).
 * The streams themselves (registry, streaming, limits) are in
 * server/sse.c.
 */
#ifndef ALTOD_ALTO_SSE_H
#define ALTOD_ALTO_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "alto/catalog.h"
#include "alto/errbody.h"
#include "topo/topo.h"
#include "util/buf.h"

/* RFC 8895 §6.1, §6.5, §5.3, §4.2, §4.3; RFC 7396; RFC 6902 */
#define SSE_MT_STREAM "text/event-stream"
#define SSE_MT_PARAMS "application/alto-updatestreamparams+json"
#define SSE_MT_CONTROL "application/alto-updatestreamcontrol+json"
#define SSE_MT_MERGEPATCH "application/merge-patch+json"
#define SSE_MT_JSONPATCH "application/json-patch+json"

/* The update stream service's resource id and URI, and the prefix of its
 * stream control URIs (one per stream, §7.1). */
#define SSE_RESOURCE_ID "update-stream"
#define SSE_URI "/updates/stream"
#define SSE_CONTROL_PREFIX "/updates/control/"

/* Substreams one stream may carry at once (each named resource is one). */
#define SSE_MAX_SUBSTREAMS 256

/* The capabilities and uses of the update stream service's directory
 * entry (after its "accepts"): every network map and cost map c offers. */
void sse_render_entry(struct buf *b, const struct catalog *c);

/* The incremental change media types the service offers for a resource
 * kind (§6.3): network maps merge patches, cost maps both. */
const char *sse_change_types(enum res_kind kind);

/* One "add" entry of an UpdateStreamReq (§6.5 AddUpdateReq). */
struct sse_add {
	char *client_id;
	const struct resource *res; /* in the catalog the request was checked against */
	bool incremental;           /* "incremental-changes" (default true) */
	char tag[VTAG_LEN + 1];     /* "tag": the version the client has ("": none) */
};

struct sse_req {
	struct sse_add *add;
	size_t nadd;
	char **remove;
	size_t nremove;
	char field[160]; /* the error's field path (an alto_error points here) */
};

/* Parses an UpdateStreamReq and checks every "add" against cat: a
 * resource id that is not a network map or cost map of cat is answered
 * like one that does not exist (E_INVALID_FIELD_VALUE). Client ids are
 * names as alto_name_valid takes them (1-64 of A-Z a-z 0-9 - : @ _), each
 * at most once in a stream. A "tag" must be an RFC 7285 §10.3 tag (1-64
 * of U+0021-U+007E).
 * control: a stream control request (§7); else the request that opens a
 * stream, whose "remove" is ignored, whatever it holds (§6.5: "the update
 * stream server SHOULD ignore this field").
 * max_depth: nesting allowed (0: jansson's). 0, or ALTOD_EREQUEST with err
 * set (its field may point into req, which must outlive err's rendering),
 * or ALTOD_ENOMEM. */
int sse_req_parse(const char *body, size_t len, const struct catalog *cat, unsigned max_depth, bool control,
                  struct sse_req *req, struct alto_error *err);
void sse_req_free(struct sse_req *req);

/* Appends one data update message (§5.2): "event: <media type>,<client
 * id>", then the JSON text as "data:" lines (a line break in it starts a
 * new "data:" line), then the blank line. */
void sse_data_event(struct buf *b, const char *media_type, const char *client_id, const char *json, size_t len);
/* The head of a data update message, up to and including "data: ". */
void sse_data_head(struct buf *b, const char *media_type, const char *client_id);

/* Appends one control update message (§5.3 UpdateStreamControlEvent): its
 * "control-uri" (NULL: none), "stopped": the substream ids (client ids)
 * the server stopped sending updates for (none: n 0), and a description
 * (NULL: none; §5.3 RECOMMENDS one with "stopped"). */
void sse_control_event(struct buf *b, const char *control_uri, char *const *removed, size_t n, const char *description);

/* A keep-alive: an SSE comment line, ignored by every client. */
#define SSE_KEEPALIVE ": keep-alive\n\n"

#endif
