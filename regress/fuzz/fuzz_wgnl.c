/*
 * A netlink dump from the kernel's WireGuard, as the parent and wgwatch
 * see it: each message walked and blanked by the parent, and only a
 * dump whose every message it could walk goes on to wgwatch's parser,
 * then the table is finished and compared with the one before
 * (wgdiff.h).
 */
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "parent.h"
#include "wgwatch.h"
#include "wgdiff.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct wgtable	 t;
	struct wgnl		 nl;
	struct nlmsghdr		*nlh;
	uint8_t			*buf;
	int			 left = len;

	if (len > 65536)
		return 0;
	/* malloc'd, so aligned as the parent's receive buffer is */
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	memcpy(buf, data, len);
	for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
	    nlh = mnl_nlmsg_next(nlh, &left))
		if (wg_blank_nlmsg(nlh, nlh->nlmsg_len) == -1)
			break;
	if (left == 0) {
		wgtable_clear(&t);
		wgnl_reset(&nl);
		if (wgnl_feed(&nl, &t, buf, len) == 0 &&
		    wgtable_finish(&t, 0) == 0)
			fuzz_diff(&t, 0);
	}
	free(buf);
	return 0;
}
