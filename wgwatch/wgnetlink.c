/*
 * The kernel's reply to WG_CMD_GET_DEVICE, as generic netlink messages the
 * parent relayed whole.  A large device spans several messages, and a
 * peer may go on in the next one, where it appears again with its public
 * key and more allowed IPs: such a peer is joined to the one before.
 *
 * Every attribute is checked for its length and, where it matters, its
 * value (a family we know, a prefix no longer than the family allows).
 * Unknown attributes are stepped over.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "wgwatch.h"

struct nlctx {
	struct wgnl	*nl;
	struct wgtable	*t;
};

struct allowedip {
	int		 family;
	const void	*addr;
	size_t		 addrlen;
	int		 cidr;
};

void
wgnl_reset(struct wgnl *nl)
{
	memset(nl, 0, sizeof(*nl));
}

static int
fail(struct wgnl *nl, const char *what)
{
	if (nl->err[0] == '\0')
		snprintf(nl->err, sizeof(nl->err), "%s", what);
	return MNL_CB_ERROR;
}

/*
 * Every attribute in [data, data + len), which they must fill exactly
 * (libmnl's own iterators stop quietly at a truncated one).
 */
static int
attrs(const void *data, size_t len, mnl_attr_cb_t cb, void *arg)
{
	const struct nlattr	*a = data;
	size_t			 step;

	while (len > 0) {
		if (len < sizeof(*a) || !mnl_attr_ok(a, len))
			return MNL_CB_ERROR;
		if (cb(a, arg) != MNL_CB_OK)
			return MNL_CB_ERROR;
		step = MNL_ALIGN(a->nla_len);
		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return MNL_CB_OK;
}

static int
nested(const struct nlattr *nest, mnl_attr_cb_t cb, void *arg)
{
	return attrs(mnl_attr_get_payload(nest),
	    mnl_attr_get_payload_len(nest), cb, arg);
}

static int
allowedip_attr(const struct nlattr *a, void *data)
{
	struct allowedip	*ip = data;

	switch (mnl_attr_get_type(a)) {
	case WGALLOWEDIP_A_FAMILY:
		if (mnl_attr_validate(a, MNL_TYPE_U16) == -1)
			return MNL_CB_ERROR;
		ip->family = mnl_attr_get_u16(a);
		break;
	case WGALLOWEDIP_A_IPADDR:
		ip->addr = mnl_attr_get_payload(a);
		ip->addrlen = mnl_attr_get_payload_len(a);
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (mnl_attr_validate(a, MNL_TYPE_U8) == -1)
			return MNL_CB_ERROR;
		ip->cidr = mnl_attr_get_u8(a);
		break;
	}
	return MNL_CB_OK;
}

static int
allowedip(const struct nlattr *a, void *data)
{
	struct nlctx		*c = data;
	struct allowedip	 ip;

	memset(&ip, 0, sizeof(ip));
	ip.cidr = -1;
	if (nested(a, allowedip_attr, &ip) != MNL_CB_OK)
		return fail(c->nl, "malformed allowed IP");
	if (ip.family == AF_INET && ip.addrlen == 4 &&
	    ip.cidr >= 0 && ip.cidr <= 32)
		wgpeer_add_addr(c->nl->cur, AF_INET, ip.addr, ip.cidr);
	else if (ip.family == AF_INET6 && ip.addrlen == 16 &&
	    ip.cidr >= 0 && ip.cidr <= 128)
		wgpeer_add_addr(c->nl->cur, AF_INET6, ip.addr, ip.cidr);
	else
		return fail(c->nl, "allowed IP with a bad family, address "
		    "or prefix length");
	return MNL_CB_OK;
}

static int
find_key(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == WGPEER_A_PUBLIC_KEY)
		*(const struct nlattr **)data = a;
	return MNL_CB_OK;
}

/*
 * The public key says which peer the rest is for, wherever it stands
 * among the peer's attributes: the same key as the peer before continues
 * it, another starts a new one.
 */
static int
peer_key(struct nlctx *c, const struct nlattr *peer)
{
	const struct nlattr	*key = NULL;
	char			 b64[WG_KEY_B64 + 1];

	if (nested(peer, find_key, &key) != MNL_CB_OK)
		return fail(c->nl, "malformed peer");
	if (key == NULL)
		return fail(c->nl, "peer without a public key");
	if (mnl_attr_get_payload_len(key) != WG_KEY_LEN)
		return fail(c->nl, "public key of the wrong length");
	wg_key_encode(mnl_attr_get_payload(key), b64);
	if (c->nl->cur != NULL && strcmp(c->nl->cur->key, b64) == 0)
		return MNL_CB_OK;
	if ((c->nl->cur = wgtable_add(c->t, b64, WG_KEY_B64)) == NULL)
		return fail(c->nl, "too many peers");
	return MNL_CB_OK;
}

static int
peer_attr(const struct nlattr *a, void *data)
{
	struct nlctx			*c = data;
	struct __kernel_timespec	 ts;

	switch (mnl_attr_get_type(a)) {
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		if (mnl_attr_get_payload_len(a) != sizeof(ts))
			return fail(c->nl, "handshake time of the wrong "
			    "length");
		memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
		if (ts.tv_sec < 0)
			return fail(c->nl, "negative handshake time");
		c->nl->cur->handshake = ts.tv_sec;
		break;
	case WGPEER_A_RX_BYTES:
		if (mnl_attr_validate(a, MNL_TYPE_U64) == -1)
			return fail(c->nl, "received bytes of the wrong length");
		c->nl->cur->rx_bytes = mnl_attr_get_u64(a);
		break;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (mnl_attr_validate(a, MNL_TYPE_U16) == -1)
			return fail(c->nl, "keepalive interval of the wrong "
			    "length");
		c->nl->cur->keepalive = mnl_attr_get_u16(a);
		break;
	case WGPEER_A_ALLOWEDIPS:
		return nested(a, allowedip, c);
	}
	return MNL_CB_OK;
}

static int
peer(const struct nlattr *a, void *data)
{
	struct nlctx	*c = data;

	if (peer_key(c, a) != MNL_CB_OK || nested(a, peer_attr, c) !=
	    MNL_CB_OK)
		return fail(c->nl, "malformed peer");
	return MNL_CB_OK;
}

static int
device_attr(const struct nlattr *a, void *data)
{
	struct nlctx	*c = data;

	if (mnl_attr_get_type(a) != WGDEVICE_A_PEERS)
		return MNL_CB_OK;
	if (nested(a, peer, c) != MNL_CB_OK)
		return fail(c->nl, "malformed peer list");
	return MNL_CB_OK;
}

/*
 * Whole messages, one or more.  Returns -1 when the reply is spoilt;
 * nl->err says why.
 */
int
wgnl_feed(struct wgnl *nl, struct wgtable *t, const uint8_t *data,
    size_t len)
{
	const struct nlmsghdr	*nlh = (const struct nlmsghdr *)data;
	struct nlctx		 c = { nl, t };
	int			 left = len;

	if (len > INT32_MAX) {
		fail(nl, "chunk too large");
		return -1;
	}
	while (left > 0) {
		if (!mnl_nlmsg_ok(nlh, left)) {
			fail(nl, "truncated message");
			return -1;
		}
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			fail(nl, "interrupted dump");
			return -1;
		}
		if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(GENL_HDRLEN) ||
		    ((const struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd
		    != WG_CMD_GET_DEVICE) {
			fail(nl, "not a WG_CMD_GET_DEVICE reply");
			return -1;
		}
		if (attrs(mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN),
		    nlh->nlmsg_len - MNL_NLMSG_HDRLEN - MNL_ALIGN(GENL_HDRLEN),
		    device_attr, &c) != MNL_CB_OK) {
			fail(nl, "malformed attribute");
			return -1;
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return 0;
}

static void
nl_reset(void *st)
{
	wgnl_reset(st);
}

static int
nl_feed(void *st, struct wgtable *t, const uint8_t *data, size_t len)
{
	return wgnl_feed(st, t, data, len);
}

/* The parent relays a dump only when it ended with NLMSG_DONE. */
static int
nl_take(void *st, struct wgtable *t)
{
	(void)st;
	(void)t;
	return 1;
}

static const char *
nl_err(const void *st)
{
	return ((const struct wgnl *)st)->err;
}

const struct parser	netlink_parser = {
	sizeof(struct wgnl), 0, 0, nl_reset, nl_feed, nl_take, nl_err, NULL,
	NULL
};
