/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HTTP/1.1 framing that altod checks itself, where libmicrohttpd 0.9.75 is
 * lax or wrong: Host (RFC 7230 §5.4), Content-Length and Transfer-Encoding
 * (§3.3.2, §3.3.3), whitespace before a header's colon (§3.2.4), field
 * lines libmicrohttpd misreads (obs-fold, CR or NUL in a value, no name),
 * the absolute-form target (§5.3.2), and libmicrohttpd's own broken answer
 * to a Content-Length it cannot parse.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "util/log.h"
#include "http_internal.h"

/* The framing and Host headers of a request, as received (every line). */
struct head_fields {
	unsigned hosts, lengths, encodings;
	const char *host, *length, *encoding;
	bool lengths_differ;
	bool spaced_name; /* whitespace between a field name and its colon */
	bool bad_name;    /* a field name that is no token */
	bool folded;      /* a line folded onto the one before (obs-fold) */
	bool bad_value;   /* a CR or NUL in a field value */
	const char *end;  /* the end of the last field value seen */
};

/* tchar (RFC 9110 §5.6.2) */
static bool is_tchar(unsigned char ch)
{
	return isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Where libmicrohttpd 0.9.75 left a field line in its read buffer, which
 * holds the header section as received, each line's end (CR, LF) and each
 * colon overwritten with NUL: "name\0 OWS value\0[\0]" and the next line
 * right after. Two of its flaws show there and nowhere else:
 * - an obs-fold line (RFC 9112 §5.2) is appended to the NAME of the field
 *   before it, copied elsewhere in its memory pool: "Content-Length: 5"
 *   folded onto " 0" is a field "Content-Length0", and the request's body
 *   was read as the next request. The name is then no longer where its
 *   value's line starts.
 * - a NUL in a value ends the value early: the rest of the line is between
 *   the value's end and the next line (RFC 9110 §5.5: a recipient "MUST
 *   either reject the message or replace each of those characters with SP"
 *   for CR, LF and NUL).
 * A bare CR stays in the value. */
static void check_layout(struct head_fields *h, const char *key, size_t key_size, const char *value, size_t value_size)
{
	uintptr_t k = (uintptr_t)key, v = (uintptr_t)value;
	if (v < k + key_size + 1) {
		h->folded = true;
	} else {
		for (const char *p = key + key_size + 1; p < value; p++)
			if (*p != ' ' && *p != '\t') {
				h->folded = true;
				break;
			}
	}
	/* the line before ended right before this one: its value's end and
	 * one or two NULs (LF or CRLF) */
	if (h->end && !(k == (uintptr_t)h->end + 1 || (k == (uintptr_t)h->end + 2 && h->end[1] == '\0')))
		h->bad_value = true;
	if (memchr(value, '\r', value_size))
		h->bad_value = true;
	h->end = value + value_size;
}

static enum MHD_Result count_fields(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                    const char *value, size_t value_size)
{
	struct head_fields *h = cls;
	(void)kind;
	if (strpbrk(key, " \t"))
		h->spaced_name = true;
	if (key_size == 0)
		h->bad_name = true;
	for (size_t i = 0; i < key_size; i++)
		if (!is_tchar((unsigned char)key[i]))
			h->bad_name = true;
	if (value == NULL) {
		value = "";
		h->bad_value = true; /* libmicrohttpd gives every received field a value */
	} else {
		check_layout(h, key, key_size, value, value_size);
	}
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		h->hosts++;
		h->host = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (h->lengths++ && strcmp(h->length, value) != 0)
			h->lengths_differ = true;
		if (h->lengths == 1)
			h->length = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		h->encodings++;
		h->encoding = value;
	}
	return MHD_YES;
}

/* uri-host [ ":" port ] (RFC 7230 §2.7.1, RFC 3986 §3.2.2): an IP-literal
 * in brackets, or reg-name / IPv4address (unreserved, pct-encoded,
 * sub-delims); no userinfo. Empty only where allowed. */
static bool authority_ok(const char *s, size_t n, bool allow_empty)
{
	if (n == 0)
		return allow_empty;
	size_t i = ip_uri_host_len(s, n, true);
	if (i == 0)
		return false; /* no host, or ":port" without one */
	if (i == n)
		return true;
	if (s[i] != ':')
		return false;
	for (i++; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* RFC 7230 §5.3.2: a server MUST accept the absolute-form. Returns the
 * path to route (the origin form's, "/" for an empty one), or NULL when
 * the target is absolute but its scheme is not http(s) or its authority
 * is not a valid, non-empty one (§2.7.1: "A recipient that processes such
 * a URI reference MUST reject it as invalid"). Another target is returned
 * as it is. */
const char *framing_origin_path(const char *url)
{
	size_t k = 0;
	if (!isalpha((unsigned char)url[0]))
		return url;
	while (isalnum((unsigned char)url[k]) || url[k] == '+' || url[k] == '-' || url[k] == '.')
		k++;
	if (strncmp(url + k, "://", 3) != 0)
		return url;
	if (!((k == 4 && strncasecmp(url, "http", 4) == 0) || (k == 5 && strncasecmp(url, "https", 5) == 0)))
		return NULL;
	const char *auth = url + k + 3;
	const char *path = strchr(auth, '/');
	size_t alen = path ? (size_t)(path - auth) : strlen(auth);
	if (!authority_ok(auth, alen, false))
		return NULL;
	return path ? path : "/";
}

/* RFC 7230 §3.3.3 and §5.4: the request's framing and Host, and the
 * field lines libmicrohttpd 0.9.75 misreads. `method` is the one it passed
 * to the request handler (it points at the request line). NULL when
 * fine, else why it is refused (a 400, and the connection closed: after a
 * framing error no later byte can be trusted to start a request). */
const char *framing_error(struct MHD_Connection *c, const char *method, const char *version)
{
	struct head_fields h = {0};
	/* RFC 9110 §9.1: method = token; RFC 9112 §2.2: a request that does
	 * not match the grammar SHOULD get a 400 and a close (an unknown
	 * token is a 501, route.c) */
	for (const char *m = method; *m; m++)
		if (!is_tchar((unsigned char)*m))
			return "Bad Request: a method that is not a token\n";
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, count_fields, &h);
	bool http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
	/* §3.2.4: "A server MUST reject any received request message that
	 * contains whitespace between a header field-name and colon with a
	 * response code of 400". libmicrohttpd 0.9.75 keeps the whitespace in
	 * the name: "Content-Length : 5" was no Content-Length to it, and the
	 * body was read as the next request. */
	if (h.spaced_name)
		return "Bad Request: whitespace between a header name and its colon\n";
	/* RFC 9112 §5.2: "A server that receives an obs-fold in a request
	 * message ... MUST either reject the message by sending a 400 (Bad
	 * Request), preferably with a representation explaining that obsolete
	 * line folding is unacceptable, or replace each received obs-fold with
	 * one or more SP octets" (libmicrohttpd 0.9.75 does neither) */
	if (h.folded)
		return "Bad Request: obsolete line folding is unacceptable\n";
	if (h.bad_value)
		return "Bad Request: a CR or NUL in a header value\n";
	/* RFC 9112 §2.2: a request that does not match the grammar (a field
	 * name is a token, RFC 9110 §5.1) "SHOULD" get a 400 and a close */
	if (h.bad_name)
		return "Bad Request: a header name that is not a token\n";
	/* The header section ends with the last field line's end and an empty
	 * line: two to four NULs in libmicrohttpd's buffer, then the body. It
	 * takes a line that starts with a colon (an empty field name) for the
	 * empty line: in "Host: x\r\n: v\r\nContent-Length: 5\r\n" the
	 * Content-Length line was the next request's first. A NUL in the last
	 * value leaves the rest of its line there too. The size it reports is
	 * counted from the request line, where `method` points. */
	if (h.end) {
		const union MHD_ConnectionInfo *ci =
		        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
		uintptr_t body = ci ? (uintptr_t)method + ci->header_size : (uintptr_t)h.end + 2;
		uintptr_t end = (uintptr_t)h.end;
		if (body < end + 2 || body > end + 4)
			return "Bad Request: a malformed header line\n";
		for (const char *p = h.end; (uintptr_t)p < body; p++)
			if (*p != '\0')
				return "Bad Request: a malformed header line\n";
	}
	/* §5.4: "A server MUST respond with a 400 (Bad Request) status code to
	 * any HTTP/1.1 request message that lacks a Host header field and to
	 * any request message that contains more than one Host header field or
	 * a Host header field with an invalid field-value." */
	if (h.hosts > 1 || (h.hosts == 0 && !http10))
		return "Bad Request: an HTTP/1.1 request needs one Host header\n";
	size_t hlen = h.host ? strlen(h.host) : 0;
	while (hlen > 0 && (h.host[hlen - 1] == ' ' || h.host[hlen - 1] == '\t'))
		hlen--; /* §3.2.4: OWS around a value is not part of it (libmicrohttpd keeps the trailing one) */
	if (h.host && !authority_ok(h.host, hlen, true))
		return "Bad Request: invalid Host header\n";
	/* §3.3.3 item 4: differing Content-Lengths are an unrecoverable
	 * framing error. Identical repeated ones are refused too (§3.3.2 lets
	 * a recipient reject them): a proxy in front may have read them
	 * otherwise. libmicrohttpd 0.9.75 would take the first. */
	if (h.lengths > 1)
		return h.lengths_differ ? "Bad Request: Content-Length headers that differ\n"
		                        : "Bad Request: repeated Content-Length header\n";
	if (h.encodings > 0) {
		/* §3.3.1: Transfer-Encoding in HTTP/1.0 is faulty framing;
		 * §3.3.3 item 3: a request with both headers "ought to be
		 * handled as an error" (RFC 9112 §6.1: and the connection
		 * closed), and chunked must be the final (for altod, the only)
		 * coding, which libmicrohttpd 0.9.75 reads from the first
		 * Transfer-Encoding line only. */
		if (http10)
			return "Bad Request: Transfer-Encoding in an HTTP/1.0 request\n";
		if (h.lengths > 0)
			return "Bad Request: both Content-Length and Transfer-Encoding\n";
		if (h.encodings > 1 || strcasecmp(h.encoding, "chunked") != 0)
			return "Bad Request: the only transfer coding accepted is chunked\n";
	}
	return NULL;
}

/* ---- libmicrohttpd's own answer to a bad Content-Length ----
 *
 * libmicrohttpd 0.9.75 parses Content-Length before altod sees the request
 * and answers a value it cannot parse ("abc", "-1", "82, 82", "77 ", or
 * one past 2^64) itself, without calling altod. That answer is broken: its
 * header block is sent twice, and the first one's Content-Length covers
 * the second (parse_connection_headers queues the error response and
 * builds its header, then MHD_connection_handle_idle overwrites the state
 * and builds it again). RFC 7230 §3.3.3 item 4 wants a 400 and a close.
 * The one hook in that path is the error logger, which runs in the worker
 * thread that owns the connection, just before the answer is queued: it
 * finds the connection (of this thread, between its request line and
 * altod's first call, with an unparsable first Content-Length), writes a
 * well-framed answer itself (plain HTTP; on TLS a raw write would break
 * the record layer, so it only closes) and shuts the socket down, so
 * libmicrohttpd's own bytes never leave. Another connection of the same
 * thread still reading its headers, whose first Content-Length is already
 * unparsable, is doomed to the same answer and gets it now. */

/* The worker thread's own identity, as a number that fits an atomic: no
 * counter or thread-local to keep. On glibc a pthread_t is the address of
 * the thread's descriptor, never 0. An identity is reused only after its
 * thread ends, and libmicrohttpd's pool workers live as long as their
 * daemon, whose connections end with it. */
_Static_assert(sizeof(pthread_t) <= sizeof(uintptr_t), "pthread_t is an integer or a pointer");

static uintptr_t this_thread(void)
{
	return (uintptr_t)pthread_self();
}

/* MHD_OPTION_URI_LOG_CALLBACK: right after the request line. */
void *framing_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn_ctx *cc = conn_of(c);
	if (cc) {
		cc->conn = c;
		atomic_store(&cc->head_thread, this_thread());
	}
	return NULL;
}

/* As libmicrohttpd 0.9.75 reads it (MHD_str_to_uint64_n_ over the whole
 * value): one or more digits and nothing else, below 2^64. */
static bool mhd_parses_length(const char *v)
{
	uint64_t n = 0;
	if (*v == '\0')
		return false;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX - (uint64_t)(*v - '0')) / 10)
			return false;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	return true;
}

static void bad_content_length(struct server *srv, bool too_large)
{
	static const char body400[] = "Bad Request: invalid Content-Length\n";
	static const char body413[] = "Content Too Large\n";
	char out[320], date[64];
	const char *body = too_large ? body413 : body400;
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm); /* RFC 7231 §7.1.1.2 */
	int n = snprintf(out, sizeof(out),
	                 "HTTP/1.1 %s\r\nDate: %s\r\nConnection: close\r\nContent-Type: text/plain; "
	                 "charset=utf-8\r\nContent-Length: %zu\r\n\r\n%s",
	                 too_large ? "413 Content Too Large" : "400 Bad Request", date, strlen(body), body);
	uintptr_t me = this_thread();
	pthread_mutex_lock(&srv->conns_lock);
	for (struct conn_ctx *cc = srv->conns; cc; cc = cc->next) {
		if (atomic_load(&cc->head_thread) != me || cc->cut || cc->fd < 0 || cc->conn == NULL)
			continue;
		/* this thread's connection: not read from anywhere else now. Its
		 * headers so far (libmicrohttpd adds a line when the next one
		 * comes): a Content-Length it cannot parse, and no
		 * Transfer-Encoding, which would make it ignore the length */
		const char *len =
		        MHD_lookup_connection_value(cc->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (len == NULL || mhd_parses_length(len) ||
		    MHD_lookup_connection_value(cc->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
			continue;
		const union MHD_ConnectionInfo *ci =
		        MHD_get_connection_info(cc->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (!(ci && ci->tls_session) && n > 0 && send(cc->fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("http", "the answer to a bad Content-Length was not sent: %s", strerror(errno));
		shutdown(cc->fd, SHUT_RDWR);
		cc->cut = true;
		atomic_store(&cc->head_thread, 0);
		log_info("http", "request with an invalid Content-Length: answered %s and closed",
		         too_large ? "413" : "400");
	}
	pthread_mutex_unlock(&srv->conns_lock);
}

void framing_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct server *srv = cls;
	/* the messages of parse_connection_headers in libmicrohttpd 0.9.75 */
	if (strstr(fmt, "Failed to parse `Content-Length' header"))
		bad_content_length(srv, false);
	else if (strstr(fmt, "Too large value of 'Content-Length' header"))
		bad_content_length(srv, true);
	/* how libmicrohttpd 0.9.75 reports any failed TLS handshake */
	else if (strstr(fmt, "received handshake message out of context"))
		metrics_tls_failure(srv->metrics);
	/* only update streams are chunked (every other answer has its
	 * length): a client that goes away is how a stream usually ends */
	if (strstr(fmt, "Failed to send the chunked response body")) {
		log_vmsg(LOG_LVL_DEBUG, "http", fmt, ap);
		return;
	}
	log_vmsg(LOG_LVL_WARNING, "http", fmt, ap);
}

/* libmicrohttpd calls this on an internal error it cannot go on from (a
 * mutex it cannot lock, a broken connection list, its API misused, e.g.
 * suspending a connection of a daemon started without
 * MHD_ALLOW_SUSPEND_RESUME). Its default writes a bare line to stderr
 * (outside altod's log format, so without a level under journald) and
 * aborts; this logs where and why as an error first, then aborts all the
 * same. It is not a signal handler: it runs in the thread that failed,
 * which holds no lock of the logger's (the logger writes one line with one
 * write(2)). */
static void framing_mhd_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
	const char *why = reason ? reason : "(no reason given)";
	size_t n = strlen(why);
	(void)cls;
	while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
		n--; /* its reasons end with a newline */
	log_err("http", "libmicrohttpd panic at %s:%u: %.*s; aborting", file ? file : "(unknown file)", line, (int)n,
	        why);
	abort();
}

void server_install_panic(void)
{
	MHD_set_panic_func(framing_mhd_panic, NULL);
}
