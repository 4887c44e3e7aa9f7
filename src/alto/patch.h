/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Differences between two versions of a JSON document, as patches a client
 * applies to its copy (incremental updates, RFC 8895 and RFC 9569):
 *   - a JSON merge patch (RFC 7396): the members that changed, arrays and
 *     non-objects replaced whole, a removed member as null;
 *   - a JSON patch (RFC 6902): add / remove / replace operations, their
 *     paths JSON Pointers (RFC 6901, "~" as "~0" and "/" as "~1").
 * Two ways to compute them, with the same results:
 *   - from two parsed documents (jansson), for any JSON;
 *   - from the topology structures the bodies are rendered from (network
 *     maps, cost maps): the bodies of the 'large' maps are tens of MB, and
 *     walking the sorted PID lists and the cost rows side by side costs a
 *     fraction of parsing them.
 */
#ifndef ALTOD_ALTO_PATCH_H
#define ALTOD_ALTO_PATCH_H

#include <jansson.h>
#include <stdbool.h>

#include "alto/catalog.h"
#include "util/buf.h"

/* The RFC 7396 merge patch that turns `from` into `to` (a new reference):
 * only the members that changed. A merge patch cannot give an object member
 * the value null (null means "remove", RFC 7396 §1); when `to` has a null
 * member value where the patch would have to carry it (inside a changed
 * object member; nulls inside arrays are fine: arrays are replaced whole),
 * there is no merge patch: NULL, and *inexpressible set, and the caller
 * sends the whole document instead. NULL without it: out of memory. */
json_t *patch_merge_diff(const json_t *from, const json_t *to, bool *inexpressible);

/* The RFC 6902 JSON patch (an array of operations, a new reference) that
 * turns `from` into `to`: remove and add for object members that are gone or
 * new, replace for any other value that differs (arrays replaced whole;
 * the whole document replaced at path "" when the types differ). NULL: out
 * of memory. */
json_t *patch_json_diff(const json_t *from, const json_t *to);

/* Appends "/" and the token escaped per RFC 6901 §3 ("~" -> "~0", "/" ->
 * "~1"), not JSON-quoted. */
void patch_pointer_token(struct buf *b, const char *token);

/* Patches between two renderings of the same network map resource
 * (render_networkmap of a and of b): the merge patch into *merge. 0, or
 * ALTOD_ENOMEM. An unchanged map gives "{}". */
int patch_networkmap(const struct topo_netmap *a, const struct topo_netmap *b, struct buf *merge);

/* Patches between two renderings of the same cost map resource
 * (render_costmap(a, ca) and render_costmap(b, cb)): the merge patch into
 * *merge and, if jsonpatch is not NULL, the JSON patch into *jsonpatch.
 * 0, or ALTOD_ENOMEM. */
int patch_costmap(const struct topo_netmap *a, const struct cost_type *ca, const struct topo_netmap *b,
                  const struct cost_type *cb, struct buf *merge, struct buf *jsonpatch);

#endif
