/*
 * frontend/dnswire.c: any bytes as a query.  What it accepts must have a
 * sane question and ECS option, and the reply written for it must fit.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>

#include "dnswire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dns_query	q;
	uint8_t			out[DNSWIRE_REPLY_MAX];
	enum dnswire_verdict	v;
	size_t			n;

	v = dnswire_parse_query(data, len, &q);
	if (v == DNSWIRE_OK) {
		if (q.qname_len == 0 || q.qname_len > DNS_MAX_NAME ||
		    q.qname[q.qname_len - 1] != 0)
			abort();
		if (q.ecs && q.ecs_len > (q.ecs_addr.sa.sa_family == AF_INET ?
		    32 : 128))
			abort();
	}
	if (v != DNSWIRE_DROP) {
		n = dnswire_reply(&q, 2, out, sizeof(out));
		if (n > sizeof(out))
			abort();
	}
	return 0;
}
