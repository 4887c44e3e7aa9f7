/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The representations of a GET resource: its JSON, and the same gzipped
 * once at load (RFC 7231 §3.1.2.2: Content-Encoding), each with a strong
 * ETag (RFC 7232 §2.3) that is a hash of its bytes.
 *
 * Whole maps of tens of MB are rendered and compressed on every CPU: the
 * resources are rendered in parallel, then every body is cut into 1 MiB
 * chunks that are deflated in parallel, each primed with the 32 KiB before
 * it (so the ratio is that of one stream) and ended on a byte boundary with
 * a sync flush, the last one finishing the stream; the gzip member is the
 * chunks' concatenation between a fixed header and a trailer of the
 * combined CRC-32 and the length (RFC 1952, the way pigz does it). The
 * same input gives the same bytes, and the header carries no time, so
 * replicas agree on both ETags.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <zlib.h>

#include "alto/representation.h"
#include "alto/render.h"
#include "util/par.h"
#include "alto/propmap.h"
#include "alto/render_internal.h"
#include "util/err.h"

#define GZIP_MIN 512 /* smaller bodies gain nothing */
/* on 20 MB of map YAML, level 6 took 2.3x longer than 5 for 3.5% fewer
 * bytes (and level 9 6x longer than 6 for 3% fewer) */
#define GZIP_LEVEL 5
#define GZIP_CHUNK ((size_t)1 << 20)
#define GZIP_DICT 32768 /* deflate's window */

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

void representation_etag(const char *data, size_t len, const char *suffix, char *out, size_t outlen)
{
	etag_of(data, len, suffix, out, outlen);
}

/* ---- chunked, parallel gzip ---- */

struct chunk {
	const unsigned char *in; /* the whole body */
	size_t off, len;         /* this chunk of it */
	bool last;
	unsigned char *out; /* raw deflate data */
	size_t out_len;
	uLong crc;
	bool failed;
};

static void deflate_chunk(struct chunk *c)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	/* raw deflate (windowBits < 0): the gzip wrapper is written once */
	if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		c->failed = true;
		return;
	}
	if (c->off != 0) { /* the 32 KiB before the chunk: what one stream would see */
		size_t dict = c->off < GZIP_DICT ? c->off : GZIP_DICT;
		if (deflateSetDictionary(&z, c->in + c->off - dict, (uInt)dict) != Z_OK)
			goto fail;
	}
	/* deflateBound covers Z_FINISH; a sync flush adds at most 5 bytes */
	size_t cap = deflateBound(&z, (uLong)c->len) + 16;
	c->out = malloc(cap);
	if (c->out == NULL)
		goto fail;
	z.next_in = (Bytef *)(uintptr_t)(c->in + c->off);
	z.avail_in = (uInt)c->len;
	z.next_out = c->out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, c->last ? Z_FINISH : Z_SYNC_FLUSH);
	if (c->last ? rc != Z_STREAM_END : (rc != Z_OK || z.avail_in != 0 || z.avail_out == 0))
		goto fail;
	c->out_len = z.total_out;
	c->crc = crc32(0L, c->in + c->off, (uInt)c->len);
	deflateEnd(&z);
	return;
fail:
	deflateEnd(&z);
	free(c->out);
	c->out = NULL;
	c->failed = true;
}

static size_t nchunks_of(size_t len, size_t chunk)
{
	return len == 0 ? 1 : (len + chunk - 1) / chunk;
}

static void chunks_of(const char *data, size_t len, size_t chunk, struct chunk *out)
{
	size_t n = nchunks_of(len, chunk);
	for (size_t i = 0; i < n; i++) {
		size_t off = i * chunk;
		out[i] = (struct chunk){
		        .in = (const unsigned char *)data,
		        .off = off,
		        .len = len - off < chunk ? len - off : chunk,
		        .last = i + 1 == n,
		};
	}
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Joins deflated chunks into one gzip member (RFC 1952 §2.3); frees them. */
static char *assemble(struct chunk *c, size_t n, size_t len, size_t *out_len)
{
	/* ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=0 OS=3 (Unix), as zlib writes it */
	static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	size_t total = sizeof(header) + 8;
	bool failed = false;
	for (size_t i = 0; i < n; i++) {
		total += c[i].out_len;
		failed |= c[i].failed;
	}
	unsigned char *out = failed ? NULL : malloc(total);
	if (out != NULL) {
		size_t pos = sizeof(header);
		uLong crc = crc32(0L, Z_NULL, 0);
		memcpy(out, header, sizeof(header));
		for (size_t i = 0; i < n; i++) {
			memcpy(out + pos, c[i].out, c[i].out_len);
			pos += c[i].out_len;
			crc = crc32_combine(crc, c[i].crc, (z_off_t)c[i].len);
		}
		put_le32(out + pos, (uint32_t)crc);
		put_le32(out + pos + 4, (uint32_t)len); /* ISIZE: the length mod 2^32 */
		*out_len = total;
	}
	for (size_t i = 0; i < n; i++)
		free(c[i].out);
	return (char *)out;
}

static void deflate_task(void *ctx, size_t i)
{
	deflate_chunk(&((struct chunk *)ctx)[i]);
}

char *representation_gzip(const char *data, size_t len, size_t chunk, size_t *out_len)
{
	size_t n = nchunks_of(len, chunk);
	struct chunk *c = calloc(n, sizeof(*c));
	if (c == NULL)
		return NULL;
	chunks_of(data, len, chunk, c);
	par_for(n, deflate_task, c);
	char *out = assemble(c, n, len, out_len);
	free(c);
	return out;
}

/* ---- resources ---- */

static void render_task(void *ctx, size_t i)
{
	struct resource *r = ((struct resource **)ctx)[i];
	if (r->body == NULL) {
		if (r->kind == RES_NETWORKMAP)
			r->body = render_networkmap(r->nm, &r->body_len);
		else if (r->kind == RES_COSTMAP)
			r->body = render_costmap(r->nm, &r->ct, &r->body_len);
		else if (r->kind == RES_PROPMAP)
			r->body = render_propmap(r->nm, &r->body_len);
	}
	r->gz = NULL;
	r->gz_len = 0;
	if (r->body)
		etag_of(r->body, r->body_len, "", r->etag, sizeof(r->etag));
}

static bool worth_gzip(const struct resource *r)
{
	return r->body && r->body_len >= GZIP_MIN && r->body_len <= UINT32_MAX;
}

int representations_build(struct resource *const *rs, size_t n)
{
	par_for(n, render_task, (void *)(uintptr_t)rs);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (rs[i]->body == NULL)
			return ALTOD_ENOMEM;
		if (worth_gzip(rs[i]))
			total += nchunks_of(rs[i]->body_len, GZIP_CHUNK);
	}
	/* every chunk of every body in one parallel pass */
	struct chunk *c = calloc(total ? total : 1, sizeof(*c));
	if (c == NULL)
		return ALTOD_ENOMEM;
	for (size_t i = 0, k = 0; i < n; i++)
		if (worth_gzip(rs[i])) {
			chunks_of(rs[i]->body, rs[i]->body_len, GZIP_CHUNK, c + k);
			k += nchunks_of(rs[i]->body_len, GZIP_CHUNK);
		}
	par_for(total, deflate_task, c);
	int rc = 0;
	for (size_t i = 0, k = 0; i < n; i++) {
		struct resource *r = rs[i];
		if (!worth_gzip(r))
			continue;
		size_t m = nchunks_of(r->body_len, GZIP_CHUNK);
		r->gz = assemble(c + k, m, r->body_len, &r->gz_len);
		k += m;
		if (r->gz == NULL) {
			rc = ALTOD_ENOMEM;
			continue;
		}
		if (r->gz_len >= r->body_len) { /* incompressible: serve it as it is */
			free(r->gz);
			r->gz = NULL;
			r->gz_len = 0;
			continue;
		}
		/* of the gzip bytes themselves: a strong validator names these
		 * bytes, and another zlib or chunking gives others */
		etag_of(r->gz, r->gz_len, "-gz", r->etag_gz, sizeof(r->etag_gz));
	}
	free(c);
	return rc;
}

int representation_finish(struct resource *r)
{
	return representations_build(&r, 1);
}
