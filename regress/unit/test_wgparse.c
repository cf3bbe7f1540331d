/*
 * The WireGuard readers: wgwatch's UAPI and netlink parsers (the netlink
 * dumps built with libmnl in the kernel's layout), the parent's blanking
 * of secrets, and the "names from" file reader; and what of a poll the
 * resolver must hear: activity from the transfer counters, and the rule
 * that forwards it only when it matters.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "parent.h"
#include "wgwatch.h"
#include "peers.h"
#include "tap.h"

/* A real reply of wireguard-go 0.0.20220316, keys made for the lab. */
static const char reply[] =
    "private_key=0000000000000000000000000000000000000000000000000000000000000000\n"
    "listen_port=51820\n"
    "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be6387718ba3334b2e0804b\n"
    "preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
    "protocol_version=1\n"
    "endpoint=192.0.2.3:51820\n"
    "last_handshake_time_sec=1795323073\n"
    "last_handshake_time_nsec=1234\n"
    "tx_bytes=92\n"
    "rx_bytes=180\n"
    "persistent_keepalive_interval=0\n"
    "allowed_ip=10.77.0.3/32\n"
    "public_key=1d9595c0fd86f578841c092e6f06a2c1e791abfac1eac673b7ab5b218b525c31\n"
    "preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
    "protocol_version=1\n"
    "last_handshake_time_sec=0\n"
    "last_handshake_time_nsec=0\n"
    "tx_bytes=0\n"
    "rx_bytes=0\n"
    "persistent_keepalive_interval=0\n"
    "allowed_ip=10.77.0.99/32\n"
    "allowed_ip=fd00:77::99/128\n"
    "allowed_ip=10.88.0.0/24\n"
    "allowed_ip=fd00:88::/64\n"
    "public_key=84d30953410df2fd79ed292d385b7b5bb692cee52729a742a64d4d07e6210443\n"
    "preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
    "protocol_version=1\n"
    "endpoint=[fd00::2]:51820\n"
    "last_handshake_time_sec=1795323000\n"
    "last_handshake_time_nsec=0\n"
    "tx_bytes=0\n"
    "rx_bytes=0\n"
    "persistent_keepalive_interval=25\n"
    "allowed_ip=10.77.0.2/32\n"
    "errno=0\n"
    "\n";

/* The first byte of a peer's key (the table holds it in base64). */
static int
key0(const char *b64)
{
	uint8_t	key[WG_KEY_LEN];

	return wg_key_decode(b64, key) ? key[0] : -1;
}

static struct wgpeer *
find_peer(struct wgtable *t, uint8_t first)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (key0(t->peers[i].key) == first)
			return &t->peers[i];
	return NULL;
}

/*
 * The same peers, in the same (sorted) order: keys, handshakes, counters,
 * keepalives, addresses.
 */
static int
same_table(const struct wgtable *a, const struct wgtable *b)
{
	const struct wgpeer	*p, *q;
	size_t			 i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		p = &a->peers[i];
		q = &b->peers[i];
		if (strcmp(p->key, q->key) != 0 ||
		    p->handshake != q->handshake ||
		    p->rx_bytes != q->rx_bytes || p->keepalive != q->keepalive ||
		    p->naddrs != q->naddrs || memcmp(p->addrs, q->addrs,
		    p->naddrs * sizeof(p->addrs[0])) != 0)
			return 0;
	}
	return 1;
}

/* Feed 'text' in chunks of 'step' bytes; returns wguapi_feed's result. */
static int
uapi(struct wguapi *u, struct wgtable *t, const char *text, size_t step)
{
	size_t	off, len = strlen(text), n;

	wguapi_reset(u);
	wgtable_clear(t);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (wguapi_feed(u, t, (const uint8_t *)text + off, n) == -1)
			return -1;
	}
	return 0;
}

static void
test_uapi(void)
{
	struct wguapi	 u;
	struct wgtable	 t = { 0 }, whole = { 0 };
	struct wgpeer	*p;
	size_t		 step;
	int		 same = 1;
	char		*big, *s;
	int		 i;

	ok(uapi(&u, &t, reply, sizeof(reply)) == 0 && u.done,
	    "the wireguard-go reply parses to its end");
	ok(t.n == 3 && wgtable_finish(&t, 0) == 0, "three peers");
	p = find_peer(&t, 0x1e);
	ok(p != NULL && p->handshake == 1795323073 && p->naddrs == 1 &&
	    has_addr(p, "10.77.0.3"), "handshake and address of the first");
	ok(p != NULL && p->rx_bytes == 180 && p->keepalive == 0,
	    "its received bytes, no keepalive");
	p = find_peer(&t, 0x1d);
	ok(p != NULL && p->handshake == 0 && p->naddrs == 2 &&
	    has_addr(p, "10.77.0.99") && has_addr(p, "fd00:77::99"),
	    "host routes kept (/32, /128), wider prefixes not");
	p = find_peer(&t, 0x84);
	ok(p != NULL && p->keepalive == 25, "a keepalive interval of 25 s");
	ok(uapi(&u, &whole, reply, sizeof(reply)) == 0 && u.done &&
	    wgtable_finish(&whole, 0) == 0 && same_table(&whole, &t),
	    "parsed again: the same table (keys, handshakes, counters, "
	    "addresses)");
	for (step = 1; step < 64; step++) {
		if (uapi(&u, &t, reply, step) == -1 || !u.done ||
		    wgtable_finish(&t, 0) == -1 || !same_table(&whole, &t)) {
			same = 0;
			printf("# differs in chunks of %zu bytes\n", step);
		}
	}
	ok(same, "the same peers whatever the chunks (1 to 63 bytes): keys, "
	    "handshakes, counters, addresses");
	wgtable_free(&whole);

	ok(uapi(&u, &t, "public_key=1eb8\n", 64) == -1,
	    "a short key is refused: %s", u.err);
	ok(uapi(&u, &t, "public_key=1EB8FAEC1D33AC9CE2918688DF6E59260A6B43DF9"
	    "BE6387718BA3334B2E0804B\n", 64) == -1,
	    "upper-case hex is not what UAPI sends: refused");
	ok(uapi(&u, &t, "no equals sign here\n", 64) == -1,
	    "a line without '=' is refused: %s", u.err);
	ok(uapi(&u, &t, "last_handshake_time_sec=5\n", 64) == -1,
	    "a peer key before any public_key is refused");
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nlast_handshake_time_sec=12x\n", 64) == -1,
	    "a handshake time with a letter is refused");
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nlast_handshake_time_sec="
	    "9999999999999999999\n", 64) == -1,
	    "an oversized handshake time is refused");
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nlast_handshake_time_sec="
	    "9223372036854775807\n", 64) == 0 &&
	    t.peers[0].handshake == INT64_MAX,
	    "the largest handshake time an int64_t holds is taken");
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nrx_bytes=18446744073709551615\n"
	    "persistent_keepalive_interval=65535\n", 64) == 0 &&
	    t.peers[0].rx_bytes == UINT64_MAX && t.peers[0].keepalive == 65535,
	    "rx_bytes and the keepalive up to their largest values");
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nrx_bytes=18446744073709551616\n", 64) ==
	    -1, "rx_bytes past 2^64 - 1 is refused: %s", u.err);
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nrx_bytes=000000000000000000000000000001\n",
	    64) == 0 && t.peers[0].rx_bytes == 1,
	    "leading zeros do not count against the bound");
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nrx_bytes=-1\n", 64) == -1 &&
	    uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nrx_bytes=\n", 64) == -1,
	    "a negative or empty rx_bytes is refused");
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\npersistent_keepalive_interval=65536\n",
	    64) == -1, "a keepalive past 65535 is refused: %s", u.err);
	ok(uapi(&u, &t, "rx_bytes=5\n", 64) == -1 &&
	    uapi(&u, &t, "persistent_keepalive_interval=5\n", 64) == -1,
	    "counters before any public_key are refused");
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nallowed_ip=10.0.0.1/33\n", 64) == -1,
	    "an IPv4 prefix of 33 is refused");
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nallowed_ip=10.0.0.1\n", 64) == -1,
	    "an allowed_ip without a length is refused");
	ok(uapi(&u, &t, "errno=-22\n\n", 64) == -1,
	    "errno other than 0 is refused: %s", u.err);
	ok(uapi(&u, &t, "errno=0\n\nlisten_port=1\n", 64) == -1,
	    "data after the end is refused");
	ok(uapi(&u, &t, "future_key=whatever\nerrno=0\n\n", 64) == 0 && u.done,
	    "unknown keys are stepped over");
	big = malloc(1024);
	memset(big, 'a', 1000);
	memcpy(big, "endpoint=", 9);
	big[1000] = '\n';
	big[1001] = '\0';
	ok(uapi(&u, &t, big, 64) == -1, "a 1000-byte line is refused: %s",
	    u.err);
	free(big);
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\nlast_handshake_time_sec=1\n", 64) == 0 &&
	    !u.done, "a reply cut in the middle is seen as unfinished");
	ok(uapi(&u, &t, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6b43df9be"
	    "6387718ba3334b2e0804b\npublic_key=1eb8faec1d33ac9ce2918688df6e5926"
	    "0a6b43df9be6387718ba3334b2e0804b\nerrno=0\n\n", 64) == 0 &&
	    wgtable_finish(&t, 0) == -1, "a key seen twice spoils the reply");

	/* more host routes than kept */
	big = malloc(64 * 32 + 200);
	s = big + sprintf(big, "public_key=1eb8faec1d33ac9ce2918688df6e59260a6"
	    "b43df9be6387718ba3334b2e0804b\n");
	for (i = 0; i < 40; i++)
		s += sprintf(s, "allowed_ip=10.9.0.%d/32\n", i);
	ok(uapi(&u, &t, big, 100) == 0 && t.n == 1 &&
	    t.peers[0].naddrs == PEER_MAX_ADDRS,
	    "40 host routes: the first %d kept", PEER_MAX_ADDRS);
	free(big);
	wgtable_free(&t);
}

/*
 * Netlink, laid out as the kernel lays out a WG_CMD_GET_DEVICE dump.
 */
struct nlpeer {
	uint8_t		key0;
	int64_t		handshake;
	const char	*addrs[4];	/* "a.b.c.d/n" or "x::y/n" */
	int		keyonly;	/* a continuation: key and IPs only */
	int		psk;
	uint64_t	rx;
	uint16_t	keepalive;
};

static size_t
build(char *buf, size_t buflen, const struct nlpeer *peers, int npeers,
    int device)
{
	struct nlmsghdr			*nlh;
	struct genlmsghdr		*genl;
	struct nlattr			*np, *p, *ips, *ip;
	struct __kernel_timespec	 ts;
	uint8_t				 key[WG_KEY_LEN];
	struct in6_addr			 a;
	char				 tmp[64], *slash;
	int				 i, j, af;

	memset(buf, 0, buflen);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = 0x1d;
	nlh->nlmsg_flags = NLM_F_MULTI;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = WG_CMD_GET_DEVICE;
	genl->version = WG_GENL_VERSION;
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	if (device) {
		memset(key, 0xaa, sizeof(key));
		mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, sizeof(key), key);
		memset(key, 0xbb, sizeof(key));
		mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, sizeof(key), key);
		mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	}
	np = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	for (i = 0; i < npeers; i++) {
		p = mnl_attr_nest_start(nlh, i);
		memset(key, peers[i].key0, sizeof(key));
		mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, sizeof(key), key);
		if (!peers[i].keyonly) {
			if (peers[i].psk) {
				memset(key, 0xcc, sizeof(key));
				mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY,
				    sizeof(key), key);
			}
			ts.tv_sec = peers[i].handshake;
			ts.tv_nsec = 5;
			mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME,
			    sizeof(ts), &ts);
			mnl_attr_put_u16(nlh,
			    WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
			    peers[i].keepalive);
			mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, peers[i].rx);
			mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 200);
			mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
		}
		ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
		for (j = 0; j < 4 && peers[i].addrs[j] != NULL; j++) {
			strlcpy(tmp, peers[i].addrs[j], sizeof(tmp));
			slash = strchr(tmp, '/');
			*slash++ = '\0';
			af = strchr(tmp, ':') ? AF_INET6 : AF_INET;
			inet_pton(af, tmp, &a);
			ip = mnl_attr_nest_start(nlh, j);
			mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, af);
			mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR,
			    af == AF_INET ? 4 : 16, &a);
			mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK,
			    atoi(slash));
			mnl_attr_nest_end(nlh, ip);
		}
		mnl_attr_nest_end(nlh, ips);
		mnl_attr_nest_end(nlh, p);
	}
	mnl_attr_nest_end(nlh, np);
	return nlh->nlmsg_len;
}

static int
nl(struct wgtable *t, const char *buf, size_t len, char *err, size_t errlen)
{
	struct wgnl	n;
	int		rc;

	wgnl_reset(&n);
	wgtable_clear(t);
	rc = wgnl_feed(&n, t, (const uint8_t *)buf, len);
	strlcpy(err, n.err, errlen);
	return rc;
}

/* The first attribute with this exact length and type (flags ignored). */
static struct nlattr *
find_attr(char *buf, size_t len, uint16_t alen, uint16_t type)
{
	struct nlattr	*a;
	size_t		 off;

	for (off = MNL_NLMSG_HDRLEN + GENL_HDRLEN; off + 4 <= len; off += 4) {
		a = (struct nlattr *)(buf + off);
		if (a->nla_len == alen && (a->nla_type & NLA_TYPE_MASK) == type)
			return a;
	}
	abort();
}

static void
test_netlink(void)
{
	static char	 buf[65536], buf2[8192];
	struct wgtable	 t = { 0 };
	struct wgnl	 n;
	struct wgpeer	*p;
	char		 err[128];
	size_t		 len, len2;
	struct nlattr	*a;
	const struct nlpeer two[] = {
		{ 0x11, 1700000000, { "10.0.0.2/32", "fd00::2/128",
		    "10.1.0.0/16", NULL }, 0, 1, 0x123456789abcULL, 25 },
		{ 0x22, 0, { "10.0.0.3/32", NULL }, 0, 0, 0, 0 },
	};
	const struct nlpeer first[] = {
		{ 0x33, 1700000100, { "10.0.0.4/32", "10.0.0.5/32", NULL },
		    0, 0, 0, 0 },
	};
	const struct nlpeer rest[] = {
		{ 0x33, 0, { "fd00::4/128", "10.0.0.6/32", NULL }, 1, 0, 0, 0 },
		{ 0x44, 1700000200, { "10.0.0.7/32", NULL }, 0, 0, 0, 0 },
	};

	len = build(buf, sizeof(buf), two, 2, 1);
	ok(nl(&t, buf, len, err, sizeof(err)) == 0 && t.n == 2,
	    "a dump of two peers parses");
	p = find_peer(&t, 0x11);
	ok(p != NULL && p->handshake == 1700000000 && p->naddrs == 2 &&
	    has_addr(p, "10.0.0.2") && has_addr(p, "fd00::2"),
	    "handshake, and the host routes of both families");
	ok(p != NULL && p->rx_bytes == 0x123456789abcULL && p->keepalive == 25,
	    "its received bytes (RX_BYTES, 64 bits) and keepalive interval");
	ok(find_peer(&t, 0x22) != NULL && find_peer(&t, 0x22)->handshake == 0 &&
	    find_peer(&t, 0x22)->rx_bytes == 0,
	    "a peer that never connected: handshake 0, nothing received");

	/* a peer split across two messages, as the kernel does */
	len = build(buf, sizeof(buf), first, 1, 1);
	len2 = build(buf2, sizeof(buf2), rest, 2, 0);
	memcpy(buf + len, buf2, len2);
	wgnl_reset(&n);
	wgtable_clear(&t);
	ok(wgnl_feed(&n, &t, (uint8_t *)buf, len + len2) == 0 && t.n == 2,
	    "a peer continued in the next message is one peer");
	p = find_peer(&t, 0x33);
	ok(p != NULL && p->naddrs == 4 && p->handshake == 1700000100 &&
	    has_addr(p, "fd00::4") && has_addr(p, "10.0.0.6"),
	    "with the addresses of both messages");
	wgnl_reset(&n);
	wgtable_clear(&t);
	ok(wgnl_feed(&n, &t, (uint8_t *)buf, len) == 0 &&
	    wgnl_feed(&n, &t, (uint8_t *)buf2, len2) == 0 && t.n == 2,
	    "the same across two relayed chunks");

	/* the parent blanks the secrets, and only them */
	len = build(buf, sizeof(buf), two, 2, 1);
	ok(wg_blank_nlmsg((struct nlmsghdr *)buf, len) == 0,
	    "the parent walks the whole dump");
	a = find_attr(buf, len, 36, WGDEVICE_A_PRIVATE_KEY);
	ok(memcmp((char *)a + 4,
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
	    32) == 0, "the private key is blanked");
	ok(memmem(buf, len, "\xcc\xcc\xcc\xcc\xcc\xcc\xcc\xcc", 8) == NULL,
	    "the preshared key is blanked");
	ok(memmem(buf, len, "\xbb\xbb\xbb\xbb\xbb\xbb\xbb\xbb", 8) != NULL &&
	    memmem(buf, len, "\x11\x11\x11\x11\x11\x11\x11\x11", 8) != NULL,
	    "the public keys are not");
	ok(nl(&t, buf, len, err, sizeof(err)) == 0 && t.n == 2,
	    "the blanked dump still parses");

	/* malformed dumps */
	len = build(buf, sizeof(buf), two, 2, 1);
	ok(nl(&t, buf, len - 3, err, sizeof(err)) == -1,
	    "a message cut short is refused: %s", err);
	ok(wg_blank_nlmsg((struct nlmsghdr *)buf, len - 3) == -1,
	    "and the parent will not relay it");
	len = build(buf, sizeof(buf), two, 2, 1);
	a = find_attr(buf, len, 20, WGPEER_A_LAST_HANDSHAKE_TIME);
	a->nla_len = 12;	/* shorter than a timespec, still aligned */
	ok(nl(&t, buf, len, err, sizeof(err)) == -1,
	    "a handshake time of the wrong length is refused: %s", err);
	len = build(buf, sizeof(buf), two, 2, 1);
	/* the first peer's: three allowed IPs of 28, 40 and 28 bytes */
	a = find_attr(buf, len, 4 + 28 + 40 + 28, WGPEER_A_ALLOWEDIPS);
	a->nla_len += 200;	/* runs past its peer */
	ok(nl(&t, buf, len, err, sizeof(err)) == -1,
	    "a nested attribute longer than its nest is refused: %s", err);
	ok(wg_blank_nlmsg((struct nlmsghdr *)buf, len) == -1,
	    "and the parent will not relay it");
	{
		const struct nlpeer wide[] = { { 0x55, 1, { "10.0.0.1/33",
		    NULL }, 0, 0, 0, 0 } };
		const struct nlpeer v6wide[] = { { 0x55, 1, {
		    "fd00::1/129", NULL }, 0, 0, 0, 0 } };

		len = build(buf, sizeof(buf), wide, 1, 1);
		ok(nl(&t, buf, len, err, sizeof(err)) == -1,
		    "an IPv4 CIDR of 33 is refused: %s", err);
		len = build(buf, sizeof(buf), v6wide, 1, 1);
		ok(nl(&t, buf, len, err, sizeof(err)) == -1,
		    "an IPv6 CIDR of 129 is refused");
	}
	len = build(buf, sizeof(buf), two, 2, 1);
	a = find_attr(buf, len, 6, WGALLOWEDIP_A_FAMILY);
	*(uint16_t *)((char *)a + 4) = 99;
	ok(nl(&t, buf, len, err, sizeof(err)) == -1,
	    "an unknown address family is refused");
	len = build(buf, sizeof(buf), two, 2, 1);
	a = find_attr(buf, len, 12, WGPEER_A_RX_BYTES);
	a->nla_len = 8;		/* 32 bits, then 4 bytes it no longer covers */
	ok(nl(&t, buf, len, err, sizeof(err)) == -1,
	    "received bytes of the wrong length are refused: %s", err);
	len = build(buf, sizeof(buf), two, 2, 1);
	a = find_attr(buf, len, 6, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL);
	a->nla_len = 5;		/* a u8 */
	ok(nl(&t, buf, len, err, sizeof(err)) == -1,
	    "a keepalive interval of the wrong length is refused: %s", err);
	len = build(buf, sizeof(buf), two, 2, 1);
	a = find_attr(buf, len, 12, WGPEER_A_RX_BYTES);
	a->nla_type = 99;	/* an attribute from a newer kernel */
	ok(nl(&t, buf, len, err, sizeof(err)) == 0 && t.n == 2,
	    "unknown attributes are stepped over");
	len = build(buf, sizeof(buf), two, 2, 1);
	((struct nlmsghdr *)buf)->nlmsg_flags |= NLM_F_DUMP_INTR;
	ok(nl(&t, buf, len, err, sizeof(err)) == -1,
	    "an interrupted dump is refused (the parent starts it over)");
	len = build(buf, sizeof(buf), two, 2, 1);
	((struct genlmsghdr *)(buf + MNL_NLMSG_HDRLEN))->cmd =
	    WG_CMD_SET_DEVICE;
	ok(nl(&t, buf, len, err, sizeof(err)) == -1,
	    "a message that is not a GET_DEVICE reply is refused");
	len = build(buf, sizeof(buf), two, 2, 1);
	a = find_attr(buf, len, 36, WGPEER_A_PUBLIC_KEY);
	a->nla_type = 99;
	ok(nl(&t, buf, len, err, sizeof(err)) == -1,
	    "a peer without a public key is refused: %s", err);
	wgtable_free(&t);
}

/*
 * Polls as wgwatch makes them: 'next' filled (by the caller or the UAPI
 * parser), then compared with 'cur' by wgtable_diff(), then swapped.  The
 * callback records the messages: how many, and the activity the resolver
 * knows of each peer (by the first byte of its key, 0 to 7).
 */
struct sim {
	struct wgtable		cur, next;
	struct wgthresholds	thr;
	size_t			msgs, gone;
	int64_t			told[8];
};

static void
sim_cb(const struct wgpeer *p, int gone, void *arg)
{
	struct sim	*s = arg;

	s->msgs++;
	if (gone)
		s->gone++;
	else
		s->told[key0(p->key) & 7] = p->told;
}

static size_t
sim_poll(struct sim *s, int64_t now, uint32_t interval)
{
	struct wgpoll	poll = { now, interval, 0, &s->thr };
	struct wgtable	tmp;
	size_t		n;

	if (wgtable_finish(&s->next, 0) == -1)
		abort();
	n = wgtable_diff(&s->cur, &s->next, &poll, sim_cb, s);
	tmp = s->cur;
	s->cur = s->next;
	s->next = tmp;
	wgtable_clear(&s->next);
	return n;
}

static struct wgpeer *
sim_peer(struct sim *s, uint8_t k, int64_t handshake, uint64_t rx)
{
	uint8_t		 key[WG_KEY_LEN];
	char		 b64[WG_KEY_B64 + 1];
	struct wgpeer	*p;

	memset(key, k, sizeof(key));
	wg_key_encode(key, b64);
	if ((p = wgtable_add(&s->next, b64, WG_KEY_B64)) == NULL)
		abort();
	p->handshake = handshake;
	p->rx_bytes = rx;
	return p;
}

/* One poll of a one-peer wireguard-go, through the UAPI parser. */
static size_t
sim_uapi(struct sim *s, int64_t now, int64_t handshake, uint64_t rx)
{
	struct wguapi	u;
	char		text[512];

	snprintf(text, sizeof(text), "listen_port=51820\n"
	    "public_key=0101010101010101010101010101010101010101010101010101"
	    "010101010101\nlast_handshake_time_sec=%lld\n"
	    "last_handshake_time_nsec=0\ntx_bytes=92\nrx_bytes=%llu\n"
	    "persistent_keepalive_interval=0\nallowed_ip=10.77.0.2/32\n"
	    "errno=0\n\n", (long long)handshake, (unsigned long long)rx);
	wguapi_reset(&u);
	if (wguapi_feed(&u, &s->next, (const uint8_t *)text, strlen(text)) ==
	    -1 || !u.done)
		abort();
	return sim_poll(s, now, 1);
}

static void
sim_free(struct sim *s)
{
	wgtable_free(&s->cur);
	wgtable_free(&s->next);
	wgthresholds_free(&s->thr);
}

/* Counters growing, standing still and going back; threshold 20. */
static void
test_counters(void)
{
	struct sim	s;

	memset(&s, 0, sizeof(s));
	wgthresholds_clear(&s.thr, 20);
	ok(sim_uapi(&s, 1000, 990, 500) == 1 && s.told[1] == 990 &&
	    s.cur.peers[0].rx_grew == 0,
	    "a new peer: its handshake is its activity, its counter only a "
	    "baseline");
	ok(sim_uapi(&s, 1001, 990, 600) == 1 && s.told[1] == 1001 &&
	    s.cur.peers[0].rx_grew == 1001,
	    "rx_bytes grew: activity now, 11 s newer than the resolver's: "
	    "sent");
	ok(sim_uapi(&s, 1002, 990, 600) == 0 &&
	    s.cur.peers[0].rx_grew == 1001, "standing still: no activity");
	ok(sim_uapi(&s, 1003, 990, 700) == 0 &&
	    s.cur.peers[0].rx_grew == 1003 && s.told[1] == 1001,
	    "grown again, 2 s newer than the resolver's: kept (under 20/4)");
	ok(sim_uapi(&s, 1004, 990, 50) == 0 &&
	    s.cur.peers[0].rx_grew == 1003 && s.cur.peers[0].rx_bytes == 50,
	    "gone back (wireguard-go restarted): no activity, a new "
	    "baseline");
	ok(sim_uapi(&s, 1005, 990, 60) == 0 &&
	    s.cur.peers[0].rx_grew == 1005,
	    "growth from the new baseline is activity");
	ok(sim_uapi(&s, 1006, 990, 70) == 1 && s.told[1] == 1006,
	    "5 s newer than the resolver's (a quarter of 20): sent");
	ok(sim_uapi(&s, 1024, 990, 70) == 0,
	    "silent: nothing to say while the resolver decides as we would");
	ok(sim_uapi(&s, 1030, 990, 10) == 0 && s.told[1] == 1006,
	    "silent and offline, a counter that goes back revives nothing");
	ok(sim_uapi(&s, 1031, 1031, 200) == 1 && s.told[1] == 1031,
	    "a new handshake: back online at once");
	ok(sim_uapi(&s, 1032, 1031, 200) == 0 && sim_uapi(&s, 1033, 1031, 200) ==
	    0, "then quiet");
	/* the peer was removed and added again: its handshake time is 0 */
	ok(sim_uapi(&s, 1034, 0, 0) == 0,
	    "a handshake that goes back changes no activity: not sent");
	sim_free(&s);
}

/* One peer whose rule threshold is 20, another whose exception is 8. */
static void
test_thresholds(void)
{
	struct sim	 s;
	uint8_t		 key[WG_KEY_LEN];
	char		 b64[WG_KEY_B64 + 1];
	struct wgpeer	*p;
	size_t		 by[8] = { 0 }, t;

	memset(&s, 0, sizeof(s));
	wgthresholds_clear(&s.thr, 300);
	memset(key, 2, sizeof(key));
	wg_key_encode(key, b64);
	wgthresholds_add(&s.thr, b64, 8);
	wgthresholds_finish(&s.thr);
	for (t = 0; t < 60; t++) {
		sim_peer(&s, 1, 1000, 100 + t);
		sim_peer(&s, 2, 1000, 100 + t);
		sim_peer(&s, 3, 1000, 100);
		s.msgs = 0;
		sim_poll(&s, 1000 + t, 1);
		by[1] += s.told[1] == 1000 + (int64_t)t && s.msgs > 0;
		by[2] += s.told[2] == 1000 + (int64_t)t && s.msgs > 0;
	}
	ok(by[2] == 30 && s.told[1] == 1000,
	    "keepalives every second for a minute: the peer with threshold 8 "
	    "is told every 2 s (%zu times), the one with 300 only at its "
	    "first poll", by[2]);
	sim_peer(&s, 1, 1000, 200);
	sim_peer(&s, 2, 1000, 200);
	p = sim_peer(&s, 3, 1000, 100);
	wgpeer_add_addr(p, AF_INET, "\12\0\0\3", 32);
	s.msgs = 0;
	ok(sim_poll(&s, 1060, 1) == 2 && s.msgs == 2,
	    "new addresses go at once, with the activity that is due");
	sim_peer(&s, 1, 1000, 200);
	p = sim_peer(&s, 3, 1000, 100);
	wgpeer_add_addr(p, AF_INET, "\12\0\0\3", 32);
	p->keepalive = 25;
	s.msgs = s.gone = 0;
	ok(sim_poll(&s, 1061, 1) == 2 && s.gone == 1,
	    "a new keepalive goes, and so does a peer that left");
	sim_free(&s);
}

/* A tiny deterministic generator: the same run every time. */
static uint32_t
lcg(uint32_t *x)
{
	*x = *x * 1103515245 + 12345;
	return *x >> 8;
}

/* Packets in seconds (from, to] of a simulation, from prefix counts. */
static uint32_t
packets(const uint32_t *count, int64_t from, int64_t to)
{
	from = from < -1 ? -1 : from;
	return to <= from ? 0 : count[to + 1] - count[from + 1];
}

/*
 * Hours of traffic (keepalives, bursts, silence, a rekey every 120 s),
 * polled every 'interval'.  At every second the resolver's decision (on
 * what it was told) must be the one every activity forwarded would give
 * (each packet known from the first poll after it: computed here on its
 * own), and off the packets themselves by at most one interval either
 * way: online only with a packet less than threshold + interval - 1 s
 * ago, offline only without one in the threshold but the last
 * interval - 1 s (the next poll has yet to see those).
 */
static void
simulate(uint32_t threshold, uint32_t interval, uint32_t seed)
{
	enum { SECS = 4 * 3600 };
	static uint8_t	 online[SECS];
	static uint32_t	 count[SECS + 1];
	struct sim	 s;
	int64_t		 t, hs = 0, seen = 0, t0 = 1700000000, known = 0;
	uint64_t	 rx = 0;
	uint32_t	 x = seed, phase = 0, keepalive = 1;
	size_t		 ideal_off = 0, late = 0, early = 0, step;
	int		 ideal, sent = 0, polled = 0;

	memset(&s, 0, sizeof(s));
	wgthresholds_clear(&s.thr, threshold);
	for (t = 0; t < SECS; t++) {
		if (t % 600 == 0) {
			phase = lcg(&x) % 4;
			keepalive = (uint32_t[]){ 1, 2, 5, 25 }[lcg(&x) % 4];
		}
		/* phase 0: silence; 1: keepalives; 2: bursts; 3: both */
		count[t + 1] = count[t];
		if ((phase & 1 && t % keepalive == 0) ||
		    (phase & 2 && lcg(&x) % 100 < 3)) {
			if (t0 + t - hs >= 120)
				hs = t0 + t;
			rx += 32;
			count[t + 1]++;
			sent = 1;
		}
		if (t % interval == 0) {
			/* the first poll's counter is a baseline */
			if (sent && polled)
				seen = t0 + t;
			sent = 0;
			polled = 1;
			known = hs > seen ? hs : seen;
			sim_peer(&s, 1, hs, rx);
			sim_poll(&s, t0 + t, interval);
		}
		online[t] = s.told[1] > 0 && t0 + t - s.told[1] < threshold;
		ideal = known > 0 && t0 + t - known < threshold;
		ideal_off += online[t] != ideal;
	}
	for (t = 0; t < SECS; t++) {
		late += online[t] &&
		    packets(count, t - threshold - interval + 1, t) == 0;
		early += !online[t] &&
		    packets(count, t - threshold, t - interval + 1) > 0;
	}
	step = (threshold + 3) / 4;
	ok(ideal_off == 0 && late == 0 && early == 0 && s.msgs <= SECS /
	    (step > interval ? step : interval) + SECS / 600 * 2,
	    "threshold %u, interval %u: %zu messages in %d h; decisions "
	    "other than every activity would give: %zu; off the packets by "
	    "more than an interval: %zu late, %zu early", threshold, interval,
	    s.msgs, SECS / 3600, ideal_off, late, early);
	sim_free(&s);
}

static void
test_suppression(void)
{
	struct sim	s;
	int64_t		t;
	size_t		msgs[2];
	uint32_t	i, th[] = { 20, 300 };

	/* an hour of keepalives every 5 s */
	for (i = 0; i < 2; i++) {
		memset(&s, 0, sizeof(s));
		wgthresholds_clear(&s.thr, th[i]);
		for (t = 0; t < 3600; t++) {
			sim_peer(&s, 1, 1700000000, 32 * (t / 5));
			sim_poll(&s, 1700000000 + t, 1);
		}
		msgs[i] = s.msgs;
		sim_free(&s);
	}
	ok(msgs[0] <= 3600 / 5 + 1 && msgs[1] <= 3600 / 75 + 1,
	    "an hour of keepalives every 5 s: %zu messages with threshold 20, "
	    "%zu with 300 (one a quarter threshold)", msgs[0], msgs[1]);
	simulate(20, 1, 1);
	simulate(10, 1, 2);
	simulate(300, 1, 3);
	simulate(3, 1, 4);
	simulate(2, 1, 5);
	simulate(20, 5, 6);
	simulate(60, 7, 7);
	simulate(11, 10, 8);
}

static void
test_blank_uapi(void)
{
	char	l1[] = "private_key=48e4f269c5afb8f8a85b5912b7a9e40a815264eb2e7"
	    "03f8ca43bdef9d0f2955e";
	char	l2[] = "preshared_key=abcdef";
	char	l3[] = "public_key=1eb8faec";

	wg_blank_uapi_line(l1, strlen(l1));
	wg_blank_uapi_line(l2, strlen(l2));
	wg_blank_uapi_line(l3, strlen(l3));
	ok(strspn(l1 + 12, "0") == 64, "private_key blanked");
	ok(strcmp(l2, "preshared_key=000000") == 0, "preshared_key blanked");
	ok(strcmp(l3, "public_key=1eb8faec") == 0, "public_key kept");
}

/* "names from": every convention, and the errors with file and line. */
static char	names[16][256];
static int	nnames;
static char	errs[16][256];
static int	nerrs;

static int
names_add(void *arg, const char *key, const char *display,
    const char *label, const char *f, int line)
{
	(void)arg;
	(void)f;
	if (nnames < 16)
		snprintf(names[nnames++], 256, "%s:%02x:%d%s%s", label,
		    key0(key), line, strcmp(display, label) ? ":" : "",
		    strcmp(display, label) ? display : "");
	return 0;
}

static void
names_err(const char *f, int line, const char *msg)
{
	if (nerrs < 16)
		snprintf(errs[nerrs++], 256, "%s:%d: %s", strrchr(f, '/') + 1,
		    line, msg);
}

static int
names_file(const char *text)
{
	char	path[] = "/tmp/vpndnsd-names.XXXXXX";
	int	fd, rc;

	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	nnames = nerrs = 0;
	rc = wgnames_read(path, names_add, names_err, NULL);
	unlink(path);
	return rc;
}

#define K1 "ERERERERERERERERERERERERERERERERERERERERERE="	/* 0x11... */
#define K2 "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="	/* 0x22... */
#define K3 "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM="	/* 0x33... */
#define K4 "REREREREREREREREREREREREREREREREREREREREREQ="	/* 0x44... */

static void
test_names(void)
{
	ok(names_file(
	    "[Interface]\nPrivateKey = x\n# Name = gateway\nListenPort = 1\n\n"
	    "# Client: Laptop (c8e0-aaa)\n[Peer]\nPublicKey = " K1 "\n\n"
	    "# ID:   abc\n# Name:  phone\n# Email: a@b\n[Peer]\n"
	    "PublicKey = " K2 "\nAllowedIPs = 10.0.0.2/32\n\n"
	    "### begin pi ###\n[Peer]\nPublicKey = " K3 "\n### end pi ###\n\n"
	    "[Peer]\n# Name = desk\nPublicKey = " K4 "\n") == 0 &&
	    nnames == 4, "wg-easy, wireguard-ui, PiVPN and '# Name =' (%d)",
	    nnames);
	ok(nnames == 4 && strcmp(names[0], "laptop:11:6:Laptop") == 0 &&
	    strcmp(names[1], "phone:22:11") == 0 &&
	    strcmp(names[2], "pi:33:17") == 0 &&
	    strcmp(names[3], "desk:44:23") == 0,
	    "each name with its key, line and label (%s %s %s %s)",
	    names[0], names[1], names[2], names[3]);
	ok(names_file("# Client: Bob's Phone (x)\n[Peer]\nPublicKey = " K1
	    "\n\n# Client: Zo\303\253 iPad (y)\n[Peer]\nPublicKey = " K2
	    "\n\n[Peer]\n# Name = work  laptop!\nPublicKey = " K3 "\n") ==
	    0 && nnames == 3 && strcmp(names[0], "bobs-phone:11:1:Bob's "
	    "Phone") == 0 && strcmp(names[1], "zoe-ipad:22:5:Zo\303\253 "
	    "iPad") == 0 && strcmp(names[2], "work-laptop:33:10:work  "
	    "laptop!") == 0, "display names of wg-easy and wireguard-ui as "
	    "labels (%s, %s, %s)", names[0], names[1], names[2]);
	ok(names_file("[Peer]\nPublicKey = " K1 "\n[Peer]\nPublicKey = " K2
	    "\n") == 0 && nnames == 0, "unnamed peers are not named");
	ok(names_file("# Client: \xf0\x9f\x93\xb1 (x)\n[Peer]\nPublicKey = "
	    K1 "\n") == 1 && nerrs == 1 && strstr(errs[0], ":1: peer name "
	    "\"\xf0\x9f\x93\xb1\": no letter or digit") != NULL,
	    "a name with nothing to make a label of: %s",
	    nerrs ? errs[0] : "-");
	ok(names_file("# Client: a\377b (x)\n[Peer]\nPublicKey = " K1
	    "\n") == 1 && nerrs == 1 && strstr(errs[0], ": not UTF-8") !=
	    NULL, "a name that is not UTF-8: %s", nerrs ? errs[0] : "-");
	ok(names_file("# Name = a\n[Peer]\nAllowedIPs = 10.0.0.1/32\n") == 1 &&
	    strstr(errs[0], ":2: [Peer] has no PublicKey") != NULL,
	    "a [Peer] without a key: %s", nerrs ? errs[0] : "-");
	ok(names_file("[Peer]\n# Name = a\nPublicKey = notbase64\n") == 1 &&
	    strstr(errs[0], ":3: PublicKey \"notbase64\"") != NULL,
	    "a key that is not base64: %s", nerrs ? errs[0] : "-");
	ok(names_file("# Name = a\nPrivateKey = x\n[Peer]\nPublicKey = " K1
	    "\n") == 0 && nnames == 0,
	    "a name comment followed by other lines names nothing");
	ok(wgnames_read("/nonexistent/wg0.conf", names_add, names_err, NULL) ==
	    -1, "a missing file is -1");
}

int
main(void)
{
	test_uapi();
	test_netlink();
	test_counters();
	test_thresholds();
	test_suppression();
	test_blank_uapi();
	test_names();
	return tap_done();
}
