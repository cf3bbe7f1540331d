/*
 * common/proxyv2.c: the headers a real dnsdist 1.7.3 sends (captured on
 * loopback), each way a header can be broken, and our own headers read
 * back.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxyv2.h"
#include "tap.h"

/* dnsdist 1.7.3, newServer{..., useProxyProtocol=true} */
#define P1 "0d0a0d0a000d0a515549540a2112000c7f0000017f000001c3df14b4" \
	"000001200001000000000001037777770270700474657374000001000100002904" \
	"d0000000000000"
#define P2 "0d0a0d0a000d0a515549540a2111000c7f0000017f000001903b14b40028" \
	"000001200001000000000001037777770270700474657374000001000100002904" \
	"d0000000000000"
#define P3 "0d0a0d0a000d0a515549540a2000000003890100000100000000000001610c" \
	"726f6f742d73657276657273036e65740000010001"
#define P4 "0d0a0d0a000d0a515549540a211200207f0000017f000001b53114b4e0000b" \
	"646e73646973742d746c76e1000301020301000120000100000000000103746c76" \
	"0270700474657374000001000100002904d0000000000000"
#define P5 "0d0a0d0a000d0a515549540a21220024000000000000000000000000000000" \
	"0100000000000000000000000000000001d36814b400000120000100000000000102" \
	"76360270700474657374000001000100002904d0000000000000"
#define P6 "0d0a0d0a000d0a515549540a21210024000000000000000000000000000000" \
	"0100000000000000000000000000000001ab2314b400270000012000010000000000" \
	"010276360270700474657374000001000100002904d0000000000000"

static uint8_t	pkt[2048];

static size_t
unhex(const char *h)
{
	size_t	i, n = strlen(h) / 2;

	for (i = 0; i < n; i++)
		sscanf(h + 2 * i, "%2hhx", &pkt[i]);
	return n;
}

static const char *
addr(const union sockunion *su)
{
	static char	buf[INET6_ADDRSTRLEN + 8];
	char		a[INET6_ADDRSTRLEN];

	if (su->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &su->sin.sin_addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%s:%u", a, ntohs(su->sin.sin_port));
	} else {
		inet_ntop(AF_INET6, &su->sin6.sin6_addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "[%s]:%u", a,
		    ntohs(su->sin6.sin6_port));
	}
	return buf;
}

static void
good(const char *name, const char *hex, int stream, const char *src,
    size_t hlen, int qid)
{
	struct proxyv2	 pv;
	const char	*why = "";
	size_t		 n = unhex(hex);

	ok(proxyv2_parse(pkt, n, stream, &pv, &why) == PROXYV2_OK,
	    "%s parses (%s)", name, why);
	ok(pv.len == hlen, "%s: a header of %zu bytes (%zu)", name, hlen,
	    pv.len);
	if (src != NULL)
		ok(strcmp(addr(&pv.src), src) == 0, "%s: client %s (%s)", name,
		    src, addr(&pv.src));
	else
		ok(pv.local, "%s: LOCAL, the real peer counts", name);
	/* what follows is the DNS message (after a length on a stream) */
	ok((pkt[pv.len + (stream ? 2 : 0)] << 8 |
	    pkt[pv.len + (stream ? 3 : 1)]) == qid,
	    "%s: the DNS message follows it", name);
}

static void
bad(const char *name, const uint8_t *p, size_t n, int stream,
    enum proxyv2_result want)
{
	struct proxyv2	 pv;
	const char	*why = "";

	ok(proxyv2_parse(p, n, stream, &pv, &why) == want, "%s: %s (%s)",
	    name, want == PROXYV2_SHORT ? "wait for more" : "refused", why);
}

static void
test_dnsdist(void)
{
	good("P1 UDP", P1, 0, "127.0.0.1:50143", 28, 0x0000);
	good("P2 TCP", P2, 1, "127.0.0.1:36923", 28, 0x0000);
	good("P3 LOCAL health check", P3, 0, NULL, 16, 0x0389);
	good("P4 UDP with TLVs", P4, 0, "127.0.0.1:46385", 48, 0x0100);
	good("P5 UDP IPv6", P5, 0, "[::1]:54120", 52, 0x0000);
	good("P6 TCP IPv6", P6, 1, "[::1]:43811", 52, 0x0000);
}

static void
test_broken(void)
{
	uint8_t	b[2048];
	size_t	n;

	n = unhex(P1);
	memcpy(b, pkt, n);
	bad("truncated in the signature", b, 7, 0, PROXYV2_BAD);
	bad("truncated after the signature", b, 14, 0, PROXYV2_BAD);
	bad("truncated in the addresses", b, 20, 0, PROXYV2_BAD);
	bad("a stream: the start of a header waits", b, 20, 1, PROXYV2_SHORT);
	bad("a stream: so does the signature's start", b, 5, 1, PROXYV2_SHORT);
	b[14] = 0x01;
	bad("length past the datagram", b, n, 0, PROXYV2_BAD);
	b[14] = 0x00;
	b[13] = 0x11;
	bad("a stream header in a datagram", b, n, 0, PROXYV2_BAD);
	b[13] = 0x32;
	bad("family UNIX", b, n, 0, PROXYV2_BAD);
	b[13] = 0x02;
	bad("family UNSPEC with PROXY", b, n, 0, PROXYV2_BAD);
	b[13] = 0x22;
	bad("IPv6 family with an IPv4-sized block", b, n, 0, PROXYV2_BAD);
	b[13] = 0x12;
	b[12] = 0x11;
	bad("version 1 in binary", b, n, 0, PROXYV2_BAD);
	b[12] = 0x22;
	bad("command 2", b, n, 0, PROXYV2_BAD);
	b[12] = 0x21;
	b[0] = 0x0e;
	bad("a signature off by one bit", b, n, 0, PROXYV2_BAD);

	n = unhex(P4);
	memcpy(b, pkt, n);
	b[0x1e] = 0x20;		/* the first TLV claims 32 bytes, 17 are left */
	bad("a TLV longer than the header", b, n, 0, PROXYV2_BAD);
	n = unhex(P4);
	memcpy(b, pkt, n);
	b[15] = 0x1e;		/* the block ends inside the second TLV */
	bad("a TLV cut by the header's end", b, n, 0, PROXYV2_BAD);

	memset(b, 0, sizeof(b));
	n = unhex(P1);
	memcpy(b, pkt, 16);
	b[14] = 0x01;		/* 16 + 0x1f0 = 512: the cap */
	b[15] = 0xf0;
	b[16 + 12] = 0xe0;	/* one TLV filling the rest */
	b[16 + 13] = 0x01;
	b[16 + 14] = 0xf0 - 12 - 3;
	bad("a header of exactly 512 bytes", b, 600, 0, PROXYV2_OK);
	b[15] = 0xf1;
	bad("a header of 513 bytes", b, 600, 0, PROXYV2_BAD);
	b[14] = 0xff;
	b[15] = 0xff;
	bad("a stream cannot make us wait for 64 KB", b, 600, 1, PROXYV2_BAD);

	memcpy(b, "PROXY TCP4 127.0.0.1 127.0.0.1 50143 5300\r\n", 43);
	bad("a version 1 text header", b, 43, 0, PROXYV2_BAD);
	bad("plain DNS", (const uint8_t *)"\x12\x34\x01\x00", 4, 0,
	    PROXYV2_BAD);
}

static void
test_build(void)
{
	union sockunion	 src, dst;
	struct proxyv2	 pv;
	const char	*why = "";
	uint8_t		 b[PROXYV2_MAX];
	size_t		 n;

	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	src.sin.sin_family = dst.sin.sin_family = AF_INET;
	inet_pton(AF_INET, "10.8.0.7", &src.sin.sin_addr);
	src.sin.sin_port = htons(40000);
	inet_pton(AF_INET, "127.0.0.2", &dst.sin.sin_addr);
	dst.sin.sin_port = htons(53);
	n = proxyv2_build(b, sizeof(b), 0, &src, &dst);
	ok(n == 28, "an IPv4 datagram header: 28 bytes");
	ok(proxyv2_parse(b, n, 0, &pv, &why) == PROXYV2_OK &&
	    strcmp(addr(&pv.src), "10.8.0.7:40000") == 0 &&
	    strcmp(addr(&pv.dst), "127.0.0.2:53") == 0,
	    "reads back as sent");
	ok(proxyv2_parse(b, n, 1, &pv, &why) == PROXYV2_BAD,
	    "and is not a stream header");
	src.sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "fd00::7", &src.sin6.sin6_addr);
	src.sin6.sin6_port = htons(40001);
	n = proxyv2_build(b, sizeof(b), 1, &src, &dst);
	ok(n == 52, "an IPv6 client to an IPv4 server: 52 bytes");
	ok(proxyv2_parse(b, n, 1, &pv, &why) == PROXYV2_OK &&
	    strcmp(addr(&pv.src), "[fd00::7]:40001") == 0,
	    "reads back as sent");
	ok(proxyv2_build(b, 20, 0, &src, &dst) == 0, "too small a buffer: 0");
	memset(&src, 0, sizeof(src));
	n = proxyv2_build(b, sizeof(b), 0, &src, &dst);
	ok(n == 16 && proxyv2_parse(b, n, 0, &pv, &why) == PROXYV2_OK &&
	    pv.local, "no client: a LOCAL header of 16 bytes");
}

int
main(void)
{
	test_dnsdist();
	test_broken();
	test_build();
	return tap_done();
}
