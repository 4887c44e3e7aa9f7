/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PROXY protocol version 2 header (HAProxy's proxy-protocol.txt, §2.2):
 *
 *   12 bytes  \r\n\r\n\0\r\nQUIT\n
 *   1 byte    version (high nibble, 2) and command (low: 0 LOCAL, 1 PROXY)
 *   1 byte    address family (high: 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX) and
 *             transport (low: 0 UNSPEC, 1 STREAM, 2 DGRAM)
 *   2 bytes   length of what follows (network order)
 *   ...       the addresses (INET 12 bytes, INET6 36, UNIX 216), then TLVs
 *
 * What is accepted: LOCAL, whatever its family ("the receiver must accept
 * this connection as valid and must use the real connection endpoints and
 * discard the protocol block including the family which is ignored");
 * PROXY over TCP4 or TCP6 with a length that holds the addresses (TLVs
 * after them are skipped: "receivers must ignore unknown TLVs"). Refused:
 * another version or command ("must drop the connection"), PROXY with
 * UNSPEC (the spec lets a receiver refuse it; accepting it would put the
 * proxy's address where the client's belongs, which is what this is for),
 * UNIX or a datagram transport (not an HTTP client over TCP), a family
 * byte the spec does not define ("must be rejected as invalid").
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "server/proxy.h"

static const uint8_t signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

enum proxy_result proxy_v2_parse(const uint8_t *buf, size_t n, size_t *need, struct proxy_header *out, const char **why)
{
	*need = PROXY_V2_FIXED;
	/* the signature byte by byte, so "GET / HTTP/1.1", a TLS ClientHello
	 * or a v1 "PROXY TCP4 ..." line is refused at its first byte, without
	 * waiting for more */
	size_t k = n < sizeof(signature) ? n : sizeof(signature);
	if (memcmp(buf, signature, k) != 0) {
		*why = n >= 5 && memcmp(buf, "PROXY", 5) == 0
		               ? "a PROXY protocol version 1 header (only version 2 is taken)"
		               : "no PROXY protocol version 2 signature";
		return PROXY_BAD;
	}
	if (n < 13)
		return PROXY_MORE;
	if ((buf[12] >> 4) != 2) {
		*why = "not PROXY protocol version 2";
		return PROXY_BAD;
	}
	unsigned cmd = buf[12] & 0x0F;
	if (cmd > 1) {
		*why = "an unknown PROXY protocol command";
		return PROXY_BAD;
	}
	if (n < PROXY_V2_FIXED)
		return PROXY_MORE;
	size_t len = ((size_t)buf[14] << 8) | buf[15];
	if (PROXY_V2_FIXED + len > PROXY_V2_MAX) {
		*why = "a PROXY protocol header longer than altod takes";
		return PROXY_BAD;
	}
	unsigned fam = buf[13];
	if (cmd == 1) {
		size_t addrlen = 0;
		switch (fam) {
		case 0x11: addrlen = 12; break; /* TCP over IPv4 */
		case 0x21: addrlen = 36; break; /* TCP over IPv6 */
		case 0x00: *why = "PROXY with an unspecified address family (no client address)"; return PROXY_BAD;
		case 0x12:
		case 0x22:
		case 0x31:
		case 0x32: *why = "PROXY for a datagram or a UNIX socket client"; return PROXY_BAD;
		default: *why = "an invalid PROXY protocol address family"; return PROXY_BAD;
		}
		if (len < addrlen) {
			*why = "a PROXY protocol length too short for its addresses";
			return PROXY_BAD;
		}
	}
	*need = PROXY_V2_FIXED + len;
	if (n < *need)
		return PROXY_MORE;
	memset(out, 0, sizeof(*out));
	out->local = cmd == 0;
	const uint8_t *a = buf + PROXY_V2_FIXED;
	if (fam == 0x11 && !out->local) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->src;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		memcpy(&s4->sin_port, a + 8, 2);
		out->src_len = sizeof(*s4);
	} else if (fam == 0x21 && !out->local) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->src;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		memcpy(&s6->sin6_port, a + 32, 2);
		out->src_len = sizeof(*s6);
	}
	return PROXY_OK;
}

static bool in_prefix(const uint8_t *addr, const struct ip_prefix *p)
{
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(addr, p->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xFF << (8 - rest));
	return (addr[full] & mask) == (p->addr[full] & mask);
}

bool proxy_trusted(const struct sockaddr *sa, const struct ip_prefix *trusted, size_t n)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t addr[16] = {0};
	enum ip_family fam;
	if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		fam = IP_V4;
	} else if (sa->sa_family == AF_INET6) {
		const uint8_t *v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(v6, mapped, 12) == 0) {
			memcpy(addr, v6 + 12, 4);
			fam = IP_V4;
		} else {
			memcpy(addr, v6, 16);
			fam = IP_V6;
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (trusted[i].family == fam && in_prefix(addr, &trusted[i]))
			return true;
	return false;
}
