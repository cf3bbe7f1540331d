/*
 * PROXY protocol v2, strictly: the signature, version 2, LOCAL or PROXY,
 * for PROXY an IPv4 or IPv6 address block and the transport of the
 * socket it came on (DGRAM on UDP, STREAM on TCP), then TLVs walked to
 * the last byte of the header, the whole at most PROXYV2_MAX bytes.  The
 * client's address family need not be the socket's: an IPv6 client may
 * come through an IPv4 tunnel.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "proxyv2.h"

static const uint8_t	sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define CMD_LOCAL	0x20
#define CMD_PROXY	0x21
#define FAM_INET	0x10
#define FAM_INET6	0x20
#define PROTO_STREAM	0x01
#define PROTO_DGRAM	0x02

static void
addr4(union sockunion *su, const uint8_t *a, const uint8_t *port)
{
	memset(su, 0, sizeof(*su));
	su->sin.sin_family = AF_INET;
	memcpy(&su->sin.sin_addr, a, 4);
	memcpy(&su->sin.sin_port, port, 2);
}

static void
addr6(union sockunion *su, const uint8_t *a, const uint8_t *port)
{
	memset(su, 0, sizeof(*su));
	su->sin6.sin6_family = AF_INET6;
	memcpy(&su->sin6.sin6_addr, a, 16);
	memcpy(&su->sin6.sin6_port, port, 2);
}

/* Every TLV whole, and nothing after the last. */
static int
tlvs_ok(const uint8_t *p, size_t len)
{
	size_t	off = 0, vlen;

	while (off < len) {
		if (len - off < 3)
			return 0;
		vlen = (size_t)p[off + 1] << 8 | p[off + 2];
		if (vlen > len - off - 3)
			return 0;
		off += 3 + vlen;
	}
	return 1;
}

/*
 * The header at the start of 'p' ('len' bytes, from a datagram or what a
 * stream has brought so far; 'stream' says which).  PROXYV2_SHORT only
 * for a stream whose bytes so far are a header's beginning.
 */
enum proxyv2_result
proxyv2_parse(const uint8_t *p, size_t len, int stream, struct proxyv2 *pv,
    const char **why)
{
	size_t	blen, alen;
	uint8_t	fam;

	memset(pv, 0, sizeof(*pv));
	if (memcmp(p, sig, len < sizeof(sig) ? len : sizeof(sig)) != 0) {
		*why = "no PROXY v2 signature";
		return PROXYV2_BAD;
	}
	if (len < PROXYV2_HDR) {
		*why = "truncated header";
		return stream ? PROXYV2_SHORT : PROXYV2_BAD;
	}
	if ((p[12] & 0xf0) != 0x20) {
		*why = "not version 2";
		return PROXYV2_BAD;
	}
	if (p[12] != CMD_LOCAL && p[12] != CMD_PROXY) {
		*why = "unknown command";
		return PROXYV2_BAD;
	}
	blen = (size_t)p[14] << 8 | p[15];
	if (PROXYV2_HDR + blen > PROXYV2_MAX) {
		*why = "header too long";
		return PROXYV2_BAD;
	}
	if (len < PROXYV2_HDR + blen) {
		*why = "header longer than the datagram";
		return stream ? PROXYV2_SHORT : PROXYV2_BAD;
	}
	pv->len = PROXYV2_HDR + blen;
	if (p[12] == CMD_LOCAL) {
		/* a health check: the family and block mean nothing */
		pv->local = 1;
		return PROXYV2_OK;
	}
	fam = p[13];
	if ((fam & 0x0f) != (stream ? PROTO_STREAM : PROTO_DGRAM)) {
		*why = stream ? "not a stream header" : "not a datagram header";
		return PROXYV2_BAD;
	}
	if ((fam & 0xf0) == FAM_INET)
		alen = PROXYV2_V4_LEN;
	else if ((fam & 0xf0) == FAM_INET6)
		alen = PROXYV2_V6_LEN;
	else {
		*why = "address family not IPv4 or IPv6";
		return PROXYV2_BAD;
	}
	if (blen < alen) {
		*why = "address block too short";
		return PROXYV2_BAD;
	}
	if (!tlvs_ok(p + PROXYV2_HDR + alen, blen - alen)) {
		*why = "TLV past the header";
		return PROXYV2_BAD;
	}
	p += PROXYV2_HDR;
	if (alen == PROXYV2_V4_LEN) {
		addr4(&pv->src, p, p + 8);
		addr4(&pv->dst, p + 4, p + 10);
	} else {
		addr6(&pv->src, p, p + 32);
		addr6(&pv->dst, p + 16, p + 34);
	}
	return PROXYV2_OK;
}

/*
 * A PROXY header for a client 'src' talking to 'dst' (the same family;
 * otherwise 'dst' is left as zeroes) over a stream or datagrams, or a
 * LOCAL one (our own query, a probe) when 'src' is neither IPv4 nor
 * IPv6.  Returns its length, 0 when it does not fit.
 */
size_t
proxyv2_build(uint8_t *out, size_t outlen, int stream,
    const union sockunion *src, const union sockunion *dst)
{
	int	v6 = src->sa.sa_family == AF_INET6;
	size_t	alen = v6 ? PROXYV2_V6_LEN : PROXYV2_V4_LEN;
	size_t	n = v6 ? 16 : 4;
	int	same = dst->sa.sa_family == src->sa.sa_family;

	if (src->sa.sa_family != AF_INET && !v6) {
		if (outlen < PROXYV2_HDR)
			return 0;
		memset(out, 0, PROXYV2_HDR);
		memcpy(out, sig, sizeof(sig));
		out[12] = CMD_LOCAL;
		return PROXYV2_HDR;
	}
	if (outlen < PROXYV2_HDR + alen)
		return 0;
	memset(out, 0, PROXYV2_HDR + alen);
	memcpy(out, sig, sizeof(sig));
	out[12] = CMD_PROXY;
	out[13] = (v6 ? FAM_INET6 : FAM_INET) |
	    (stream ? PROTO_STREAM : PROTO_DGRAM);
	out[14] = 0;
	out[15] = alen;
	if (v6) {
		memcpy(out + 16, &src->sin6.sin6_addr, n);
		memcpy(out + 16 + 32, &src->sin6.sin6_port, 2);
		if (same) {
			memcpy(out + 16 + 16, &dst->sin6.sin6_addr, n);
			memcpy(out + 16 + 34, &dst->sin6.sin6_port, 2);
		}
	} else {
		memcpy(out + 16, &src->sin.sin_addr, n);
		memcpy(out + 16 + 8, &src->sin.sin_port, 2);
		if (same) {
			memcpy(out + 16 + 4, &dst->sin.sin_addr, n);
			memcpy(out + 16 + 10, &dst->sin.sin_port, 2);
		}
	}
	return PROXYV2_HDR + alen;
}
