/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The representations of a GET resource: its JSON, and the same gzipped
 * once at load (RFC 7231 §3.1.2.2: Content-Encoding), each with a strong
 * ETag (RFC 7232 §2.3) that is a hash of its bytes. zlib's output for the
 * same input and level is the same bytes, and the gzip header carries no
 * time, so replicas agree on both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <zlib.h>

#include "altod/alto.h"

#define GZIP_MIN 512 /* smaller bodies gain nothing */

static void etag_of(const char *data, size_t len, const char *suffix, char *out, size_t outlen)
{
	uint8_t d[32];
	static const char hex[] = "0123456789abcdef";
	char h[33];

	gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d);
	for (size_t i = 0; i < 16; i++) {
		h[2 * i] = hex[d[i] >> 4];
		h[2 * i + 1] = hex[d[i] & 15];
	}
	h[32] = '\0';
	snprintf(out, outlen, "\"%.20s%s\"", h, suffix);
}

static char *gzip(const char *data, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip wrapper. Level 6: on maps of tens of MB,
	 * level 9 took 6x longer at load for 3% fewer bytes (docs/benchmarks.md) */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, (uLong)len);
	char *out = malloc(cap);
	if (out == NULL) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

int representation_finish(struct resource *r)
{
	etag_of(r->body, r->body_len, "", r->etag, sizeof(r->etag));
	r->gz = NULL;
	r->gz_len = 0;
	if (r->body_len < GZIP_MIN || r->body_len > UINT32_MAX)
		return 0;
	r->gz = gzip(r->body, r->body_len, &r->gz_len);
	if (r->gz == NULL)
		return -1;
	if (r->gz_len >= r->body_len) { /* incompressible: serve it as it is */
		free(r->gz);
		r->gz = NULL;
		r->gz_len = 0;
		return 0;
	}
	etag_of(r->body, r->body_len, "-gz", r->etag_gz, sizeof(r->etag_gz));
	return 0;
}
