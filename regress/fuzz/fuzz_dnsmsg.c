/*
 * common/dnsmsg.c: any bytes as an upstream's reply to "www.example.com
 * A" (the id taken from the input, so that replies get past it).  What
 * passes the check is stripped, clamped, and answered to a client, as
 * the forwarding path does; every TTL offset must lie inside the reply,
 * every TTL within the clamp after it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	qname[] = "\003www\007example\003com";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t		 msg[DNS_MAX_MSG], out[DNS_MAX_MSG + 64];
	struct dnsmsg_info	 info;
	struct dnsmsg_q		 q;
	struct query_msg	 qm;
	size_t			 i, n;
	uint32_t		 ttl;

	if (len < 2 || len > sizeof(msg))
		return 0;
	memcpy(msg, data, len);
	memset(&q, 0, sizeof(q));
	q.qname = qname;
	q.qlen = sizeof(qname);
	q.qtype = 1;
	q.qclass = 1;
	q.id = data[0] << 8 | data[1];
	if (dnsmsg_check(msg, len, &q, &info) != DNSMSG_OK)
		return 0;
	n = dnsmsg_strip_opt(msg, len, &info);
	if (n > len)
		abort();
	if (info.nttl <= DNSMSG_MAX_TTLS)
		for (i = 0; i < info.nttl; i++)
			if (info.ttloff[i] + 4 > n)
				abort();
	dnsmsg_clamp_ttls(msg, n, &info, 5, 3600);
	for (i = 0; info.nttl <= DNSMSG_MAX_TTLS && i < info.nttl; i++) {
		ttl = (uint32_t)msg[info.ttloff[i]] << 24 |
		    msg[info.ttloff[i] + 1] << 16 |
		    msg[info.ttloff[i] + 2] << 8 | msg[info.ttloff[i] + 3];
		if (ttl < 5 || ttl > 3600)
			abort();
	}
	memset(&qm, 0, sizeof(qm));
	qm.id = 0x1234;
	qm.qtype = 1;
	qm.qclass = 1;
	qm.edns_size = 1232;
	qm.qname_len = sizeof(qname);
	memcpy(qm.qname, qname, sizeof(qname));
	n = dnsmsg_answer(out, sizeof(out), msg, n, info.nttl <=
	    DNSMSG_MAX_TTLS ? info.ttloff : NULL, info.nttl <=
	    DNSMSG_MAX_TTLS ? info.nttl : 0, &qm, 7, data[1] % 3);
	if (n > sizeof(out) ||
	    dnsmsg_ext_rcode(out, sizeof(out), n, &qm, info.ext_rcode) > n)
		abort();
	return 0;
}
