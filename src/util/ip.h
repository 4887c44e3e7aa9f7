/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv4/IPv6 addresses and CIDR prefixes (RFC 7285 §10.4), parsed with
 * inet_pton and printed with inet_ntop, so every form the C library accepts
 * is accepted and the printed form is canonical (RFC 5952 for IPv6).
 */
#ifndef ALTOD_IP_H
#define ALTOD_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr_storage;

enum ip_family { IP_V4 = 4, IP_V6 = 6 };

struct ip_prefix {
	uint8_t family; /* enum ip_family */
	uint8_t len;    /* prefix length in bits */
	uint8_t addr[16];
};

/* "192.0.2.0/24" or "2001:db8::/32". Host bits must be zero.
 * Returns 0 or -EINVAL with *why naming the problem. */
int ip_prefix_parse(const char *s, enum ip_family family, struct ip_prefix *out, const char **why);
/* A plain address of the given family. */
int ip_addr_parse(const char *s, enum ip_family family, uint8_t addr[16]);
/* A TypedEndpointAddr "ipv4:192.0.2.1" / "ipv6:2001:db8::1" (§10.4.1). */
int ip_endpoint_parse(const char *s, enum ip_family *family, uint8_t addr[16]);
/* Writes "a.b.c.d/len" into out (at least IP_PREFIX_STRLEN bytes). */
#define IP_PREFIX_STRLEN 52
void ip_prefix_format(const struct ip_prefix *p, char *out);
/* Orders by family, address, then length. */
int ip_prefix_cmp(const struct ip_prefix *a, const struct ip_prefix *b);
int ip_family_parse(const char *s); /* "ipv4" -> IP_V4, "ipv6" -> IP_V6, else 0 */
const char *ip_family_name(enum ip_family f);

/* "192.0.2.1:7000" or "[2001:db8::1]:7000" (numeric only): 0 with out and
 * len set, or ALTOD_EINVAL with *why naming the problem. Port 0 only where
 * port0_ok. */
/* RFC 3986 §3.2.2: the host at the start of an authority s[0..n) (an
 * IP-literal in brackets, or a reg-name / IPv4address up to a ':'): its
 * length, or 0 if it is not a valid one. With strict_pct a '%' must start a
 * pct-encoded octet; without, it is taken as any other allowed character.
 * What follows it (a ":port") is the caller's. */
size_t ip_uri_host_len(const char *s, size_t n, bool strict_pct);
int ip_hostport_parse(const char *s, bool port0_ok, struct sockaddr_storage *out, size_t *len, const char **why);
/* The same form back: "a.b.c.d:port" or "[v6]:port". */
#define IP_HOSTPORT_STRLEN 56
void ip_sockaddr_format(const struct sockaddr_storage *ss, char *out, size_t size);

#endif
