/*
 * resolver/dotframe.c: any bytes as a DNS over TLS stream, cut where the
 * input says (as tls_read() may hand them over), reassembled the way
 * dot.c does: every message taken lies inside what was read, is at
 * least a header long, and each is then checked as the answer to
 * "www.example.com A" with its own id, as upstream.c checks it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "dot.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	qname[] = "\003www\007example\003com";

static void
message(uint8_t *msg, size_t len)
{
	struct dnsmsg_info	info;
	struct dnsmsg_q		q;

	if (len < DNS_HEADER_SIZE)
		abort();
	memset(&q, 0, sizeof(q));
	q.qname = qname;
	q.qlen = sizeof(qname);
	q.qtype = 1;
	q.qclass = 1;
	q.id = msg[0] << 8 | msg[1];
	if (dnsmsg_check(msg, len, &q, &info) == DNSMSG_OK &&
	    dnsmsg_strip_opt(msg, len, &info) > len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t	in[2 + DNS_MAX_MSG];
	size_t		inlen = 0, off, chunk, pos = 1;
	ssize_t		n;

	if (len < 1)
		return 0;
	/* the first byte: how much each read hands over, 1 to 256 */
	chunk = (size_t)data[0] + 1;
	while (pos < len) {
		n = len - pos < chunk ? len - pos : chunk;
		if ((size_t)n > sizeof(in) - inlen)
			n = sizeof(in) - inlen;
		memcpy(in + inlen, data + pos, n);
		inlen += n;
		pos += n;
		off = 0;
		while ((n = dotframe_next(in + off, inlen - off)) > 0) {
			if ((size_t)n > inlen - off || n < 2 + DNS_HEADER_SIZE)
				abort();
			message(in + off + 2, n - 2);
			off += n;
		}
		if (n == -1)
			return 0;	/* dot.c closes the connection */
		memmove(in, in + off, inlen - off);
		inlen -= off;
		/* a whole message always fits what is kept */
		if (inlen == sizeof(in))
			abort();
	}
	return 0;
}
