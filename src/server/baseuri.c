/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The prefix of the directory's URIs (RFC 7285 §9.2: "uri" is a URI; its
 * examples are absolute, and clients that follow them need them so). In
 * order: a listener's base-url; relative URIs where configured; else the
 * request's scheme (the listener's: http, or https with tls) and the
 * authority it named in Host: the effective request URI's (RFC 7230 §5.5),
 * which is how the client reached this listener, directly or through a
 * proxy or load balancer that passes Host on (which is why the port is
 * the client's and not the listener's: behind HAProxy on 443 the URIs
 * must lead back through HAProxy, not around it).
 *
 * Host is the client's to choose: framing.c has already refused one that
 * is not a valid uri-host [":" port] (so nothing in it needs escaping in
 * JSON); here its host part is bounded (a DNS name has at most 253
 * characters; a longer one would multiply into every URI of the answer)
 * and lowercased (RFC 3986 §3.2.2: case-insensitive), so spellings of one
 * name share one rendering (catalog_directory bounds how many are kept).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"

#define HOST_MAX 255

/* The connection's own address, as a URI host (HTTP/1.0 without Host). */
static bool local_host(struct MHD_Connection *c, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct sockaddr_storage ss = {0};
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN];
	if (ci == NULL || getsockname(ci->connect_fd, (struct sockaddr *)&ss, &sl) != 0)
		return false;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
		snprintf(out, size, "%s", a);
	} else if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
		snprintf(out, size, "[%s]", a);
	} else {
		return false;
	}
	return true;
}

int baseuri_of(struct MHD_Connection *c, const struct listener *l, const char *url, char *out, size_t size)
{
	if (size == 0)
		return -1;
	out[0] = '\0';
	if (l->relative_uris)
		return 0;
	if (l->base_url) {
		int n = snprintf(out, size, "%s", l->base_url);
		return n > 0 && (size_t)n < size ? n : -1;
	}
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	bool https = ci && ci->tls_session;
	const char *scheme = https ? "https" : "http";
	unsigned dflt = https ? 443 : 80;
	char host[HOST_MAX + 1];
	const char *port = NULL;
	size_t plen = 0;
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	size_t hlen = h ? strlen(h) : 0;
	while (hlen > 0 && (h[hlen - 1] == ' ' || h[hlen - 1] == '\t'))
		hlen--;
	const char *path = url ? framing_origin_path(url) : NULL;
	if (path && path != url) {
		/* RFC 7230 §5.5: "If the request-target is in absolute-form, the
		 * effective request URI is the same as the request-target" (its
		 * authority checked by framing_origin_path); Host is ignored */
		h = strstr(url, "://") + 3;
		const char *slash = strchr(h, '/');
		hlen = slash ? (size_t)(slash - h) : strlen(h);
	}
	if (hlen == 0) {
		/* HTTP/1.0 without Host (or an empty one): where it connected to */
		if (!local_host(c, host, sizeof(host)))
			return -1;
	} else {
		/* the host part ends at the ':' after a ']' or, without brackets, at
		 * the first ':' (framing.c checked the form) */
		const char *end = h[0] == '[' ? memchr(h, ']', hlen) : NULL;
		const char *colon = memchr(end ? end : h, ':', hlen - (size_t)((end ? end : h) - h));
		size_t n = colon ? (size_t)(colon - h) : hlen;
		if (n > HOST_MAX || n == 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			host[i] = (char)tolower((unsigned char)h[i]);
		host[n] = '\0';
		if (colon) {
			port = colon + 1;
			plen = hlen - n - 1;
		}
	}
	/* the port as the client named it: it reached this listener through
	 * it, directly or through a proxy (framing.c: digits only) */
	unsigned p = dflt;
	if (plen > 5)
		return -1;
	if (plen > 0) {
		p = 0;
		for (size_t i = 0; i < plen; i++)
			p = p * 10 + (unsigned)(port[i] - '0');
		if (p == 0 || p > 65535)
			return -1;
	}
	int n = p == dflt ? snprintf(out, size, "%s://%s", scheme, host)
	                  : snprintf(out, size, "%s://%s:%u", scheme, host, p);
	return n > 0 && (size_t)n < size ? n : -1;
}
