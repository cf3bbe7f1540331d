/*
 * common/proxyv2.c: any bytes, as a datagram and as a stream's start.
 * A header taken must lie within the input and name an IPv4 or IPv6
 * client; one built from it must parse back to the same client.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "proxyv2.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct proxyv2	 pv, back;
	const char	*why;
	uint8_t		 buf[PROXYV2_MAX];
	size_t		 n;
	int		 stream;

	for (stream = 0; stream <= 1; stream++) {
		if (proxyv2_parse(data, len, stream, &pv, &why) != PROXYV2_OK)
			continue;
		if (pv.len > len || pv.len > PROXYV2_MAX)
			abort();
		if (pv.local)
			continue;
		if (pv.src.sa.sa_family != AF_INET &&
		    pv.src.sa.sa_family != AF_INET6)
			abort();
		n = proxyv2_build(buf, sizeof(buf), stream, &pv.src, &pv.dst);
		if (n == 0 || proxyv2_parse(buf, n, stream, &back, &why) !=
		    PROXYV2_OK || memcmp(&back.src, &pv.src, sizeof(pv.src)))
			abort();
	}
	return 0;
}
