/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HAProxy's PROXY protocol, version 2 (the binary header a proxy sends
 * before the client's bytes, "send-proxy-v2"), as a receiver: a pure
 * parser of the header, and which sources may send it. Version 1 (text)
 * is refused: a receiver "must be configured to only receive the protocol
 * described in this specification and must not try to guess" (the spec,
 * §2), and a listener takes version 2 only.
 */
#ifndef ALTOD_PROXY_H
#define ALTOD_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/ip.h"

#define PROXY_V2_FIXED 16 /* signature (12), version and command, family, length (2) */
/* The largest header taken: the addresses (at most 216 bytes, AF_UNIX)
 * and TLVs. HAProxy's own TLVs (ALPN, authority, SSL, unique id) fit
 * easily; anything larger is refused, so a pending connection holds at
 * most this much. */
#define PROXY_V2_MAX 1024

enum proxy_result {
	PROXY_MORE, /* a valid start: read up to *need bytes in all, then parse again */
	PROXY_OK,   /* a whole valid header of *need bytes */
	PROXY_BAD,  /* not a header to accept: *why says why */
};

struct proxy_header {
	bool local; /* LOCAL command: the proxy's own connection (health check) */
	/* PROXY over TCP: the client's address and port */
	struct sockaddr_storage src;
	socklen_t src_len;
};

/* Parses the first n bytes of a connection. *need: how many bytes the
 * header has in all (PROXY_V2_FIXED while its length is not known yet).
 * Never asks for more than PROXY_V2_MAX, never looks past *need: the
 * client's first bytes follow the header and are not the parser's. */
enum proxy_result proxy_v2_parse(const uint8_t *buf, size_t n, size_t *need, struct proxy_header *out,
                                 const char **why);

/* Is the address (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts
 * as IPv4) inside one of the prefixes? */
bool proxy_trusted(const struct sockaddr *sa, const struct ip_prefix *trusted, size_t n);

#endif
