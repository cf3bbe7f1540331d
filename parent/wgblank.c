/*
 * Blank the secrets in a WireGuard reply before it leaves the parent: the
 * device's private key and every peer's preshared key.  wgwatch has no
 * use for them, and a compromised wgwatch must not learn them.
 *
 * This is the parent's only look into a reply, and it is a look at the
 * framing only: a reply it cannot walk to the last byte is not relayed.
 */
#include <sys/types.h>

#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "parent.h"

static const char	*uapi_secrets[] = { "private_key=", "preshared_key=" };

/* One UAPI line, without its newline. */
void
wg_blank_uapi_line(char *line, size_t len)
{
	size_t	i, klen;

	for (i = 0; i < sizeof(uapi_secrets) / sizeof(uapi_secrets[0]); i++) {
		klen = strlen(uapi_secrets[i]);
		if (len >= klen && memcmp(line, uapi_secrets[i], klen) == 0) {
			memset(line + klen, '0', len - klen);
			return;
		}
	}
}

/* Walk the attributes in [start, end); all of them must fit exactly. */
static int
walk(struct nlattr *start, const char *end, int depth)
{
	struct nlattr	*a = start;
	size_t		 left = end - (const char *)start, step;
	uint16_t	 type;

	while (left > 0) {
		if (left < sizeof(*a) || !mnl_attr_ok(a, left))
			return -1;
		type = mnl_attr_get_type(a);
		if (depth == 0 && type == WGDEVICE_A_PRIVATE_KEY)
			memset(mnl_attr_get_payload(a), 0,
			    mnl_attr_get_payload_len(a));
		else if (depth == 2 && type == WGPEER_A_PRESHARED_KEY)
			memset(mnl_attr_get_payload(a), 0,
			    mnl_attr_get_payload_len(a));
		else if ((depth == 0 && type == WGDEVICE_A_PEERS) ||
		    depth == 1) {
			/* PEERS holds peers; each peer holds attributes */
			if (walk(mnl_attr_get_payload(a),
			    (const char *)mnl_attr_get_payload(a) +
			    mnl_attr_get_payload_len(a), depth + 1) == -1)
				return -1;
		}
		step = MNL_ALIGN(a->nla_len);
		if (step >= left)
			break;	/* the last attribute, maybe unpadded */
		left -= step;
		a = (struct nlattr *)((char *)a + step);
	}
	return 0;
}

/*
 * One generic netlink message of the wireguard family, in place.
 * Returns -1 when it cannot be walked: it must not be relayed then.
 */
int
wg_blank_nlmsg(struct nlmsghdr *nlh, size_t len)
{
	if (!mnl_nlmsg_ok(nlh, len) ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(GENL_HDRLEN))
		return -1;
	return walk(mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN),
	    (const char *)nlh + nlh->nlmsg_len, 0);
}
