/* SPDX-License-Identifier: BSD-2-Clause */
/* RFC 7285 media types (§8.3, Table 2), and the HTTP header values that
 * choose among representations (Accept, Content-Type, Accept-Encoding,
 * If-None-Match). */
#ifndef ALTOD_ALTO_MEDIA_H
#define ALTOD_ALTO_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT_DIRECTORY "application/alto-directory+json"
#define MT_NETWORKMAP "application/alto-networkmap+json"
#define MT_NETWORKMAPFILTER "application/alto-networkmapfilter+json"
#define MT_COSTMAP "application/alto-costmap+json"
#define MT_COSTMAPFILTER "application/alto-costmapfilter+json"
#define MT_ENDPOINTPROP "application/alto-endpointprop+json"
#define MT_ENDPOINTPROPPARAMS "application/alto-endpointpropparams+json"
#define MT_ENDPOINTCOST "application/alto-endpointcost+json"
#define MT_ENDPOINTCOSTPARAMS "application/alto-endpointcostparams+json"
#define MT_ERROR "application/alto-error+json"

/* Does an Accept header value admit this media type (RFC 7231 §5.3.2)?
 * NULL (no Accept header) admits everything. */
bool media_accepts(const char *accept, const char *type);
/* Is a Content-Type header value this media type (parameters ignored,
 * case-insensitive)? */
bool media_is(const char *content_type, const char *type);
/* Does Accept-Encoding admit gzip (q > 0)? NULL: no. */
bool media_accepts_gzip(const char *accept_encoding);
/* Does an If-None-Match value match this (quoted) entity tag? */
bool etag_list_matches(const char *header, const char *etag);

#endif
