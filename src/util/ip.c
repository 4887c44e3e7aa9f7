/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <ctype.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/ip.h"

static size_t addr_bytes(enum ip_family f)
{
	return f == IP_V4 ? 4 : 16;
}

int ip_family_parse(const char *s)
{
	if (strcmp(s, "ipv4") == 0)
		return IP_V4;
	if (strcmp(s, "ipv6") == 0)
		return IP_V6;
	return 0;
}

const char *ip_family_name(enum ip_family f)
{
	return f == IP_V4 ? "ipv4" : "ipv6";
}

int ip_addr_parse(const char *s, enum ip_family family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	/* inet_pton(AF_INET) accepts only dotted quads (no octal, no short
	 * forms), which is what RFC 7285 §10.4.3 asks for. */
	if (inet_pton(family == IP_V4 ? AF_INET : AF_INET6, s, addr) != 1)
		return ALTOD_EINVAL;
	return 0;
}

int ip_prefix_parse(const char *s, enum ip_family family, struct ip_prefix *out, const char **why)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned max = family == IP_V4 ? 32 : 128;

	*why = NULL;
	if (slash == NULL) {
		*why = "prefix lacks a /length";
		return ALTOD_EINVAL;
	}
	size_t alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(tmp)) {
		*why = family == IP_V4 ? "not an IPv4 address" : "not an IPv6 address";
		return ALTOD_EINVAL;
	}
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	const char *l = slash + 1;
	if (*l < '0' || *l > '9' || strlen(l) > 3 || (l[0] == '0' && l[1] != '\0')) {
		*why = "bad prefix length";
		return ALTOD_EINVAL;
	}
	for (const char *c = l; *c; c++) {
		if (*c < '0' || *c > '9') {
			*why = "bad prefix length";
			return ALTOD_EINVAL;
		}
	}
	unsigned len = (unsigned)strtoul(l, NULL, 10);
	if (len > max) {
		*why = "prefix length out of range";
		return ALTOD_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (ip_addr_parse(tmp, family, out->addr) != 0) {
		*why = family == IP_V4 ? "not an IPv4 address" : "not an IPv6 address";
		return ALTOD_EINVAL;
	}
	out->family = (uint8_t)family;
	out->len = (uint8_t)len;
	for (unsigned bit = len; bit < max; bit++) {
		if (out->addr[bit / 8] & (0x80u >> (bit % 8))) {
			*why = "host bits set after the prefix length";
			return ALTOD_EINVAL;
		}
	}
	return 0;
}

int ip_endpoint_parse(const char *s, enum ip_family *family, uint8_t addr[16])
{
	if (strncmp(s, "ipv4:", 5) == 0)
		*family = IP_V4;
	else if (strncmp(s, "ipv6:", 5) == 0)
		*family = IP_V6;
	else
		return ALTOD_EINVAL;
	return ip_addr_parse(s + 5, *family, addr);
}

void ip_prefix_format(const struct ip_prefix *p, char *out)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family == IP_V4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	snprintf(out, IP_PREFIX_STRLEN, "%s/%u", a, (unsigned)p->len);
}

int ip_prefix_cmp(const struct ip_prefix *a, const struct ip_prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->addr, b->addr, addr_bytes(a->family));
	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

int ip_hostport_parse(const char *s, bool port0_ok, struct sockaddr_storage *out, size_t *len, const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;
	bool v6 = s[0] == '[';

	memset(out, 0, sizeof(*out));
	*why = v6 ? "an IPv6 address is written [address]:port" : "expected address:port";
	if (v6) {
		const char *end = strchr(s, ']');
		if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			return ALTOD_EINVAL;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		port = end + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
			return ALTOD_EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = colon + 1;
	}
	unsigned long p = 0;
	size_t digits = strspn(port, "0123456789");
	if (digits == 0 || digits > 5 || port[digits] != '\0' || (p = strtoul(port, NULL, 10)) > 65535 ||
	    (p == 0 && !port0_ok)) {
		*why = port0_ok ? "the port must be 0 to 65535" : "the port must be 1 to 65535";
		return ALTOD_EINVAL;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
	if (!v6 && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof(*s4);
	} else if (v6 && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*s6);
	} else {
		*why = v6 ? "not a numeric IPv6 address" : "not a numeric IPv4 address (IPv6: [address]:port)";
		return ALTOD_EINVAL;
	}
	*why = NULL;
	return 0;
}

void ip_sockaddr_format(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(s4->sin_port));
	}
}

size_t ip_uri_host_len(const char *s, size_t n, bool strict_pct)
{
	size_t i = 0;
	if (n == 0)
		return 0;
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!(isxdigit((unsigned char)s[i]) || s[i] == ':' || s[i] == '.'))
				return 0;
		return i == n || i == 1 ? 0 : i + 1;
	}
	for (; i < n && s[i] != ':'; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '%' && strict_pct) {
			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2]))
				return 0;
			i += 2;
		} else if (!isalnum(ch) && !strchr(strict_pct ? "-._~!$&'()*+,;=" : "-._~!$&'()*+,;=%", ch)) {
			return 0;
		}
	}
	return i;
}
