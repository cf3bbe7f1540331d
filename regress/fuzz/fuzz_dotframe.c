/*
 * resolver/dotframe.c: any bytes as a DNS over TLS stream, cut where the
 * input says (as tls_read() may hand them over), reassembled by
 * dotframe_take() as dot.c has it: every message taken lies inside what
 * was read, after its length, is at least a header long, and each is
 * then checked as the answer to "www.example.com A" with its own id, as
 * upstream.c checks it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "dot.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	qname[] = "\003www\007example\003com";

static uint8_t	in[2 + DNS_MAX_MSG];
static size_t	inlen;

static int
message(void *arg, uint8_t *msg, size_t len)
{
	struct dnsmsg_info	 info;
	struct dnsmsg_q		 q;

	(void)arg;
	/* inside what was read, after its length, at least a header */
	if (msg < in + 2 || msg + len > in + inlen ||
	    len < DNS_HEADER_SIZE || get16(msg - 2) != len)
		abort();
	memset(&q, 0, sizeof(q));
	q.qname = qname;
	q.qlen = sizeof(qname);
	q.qtype = 1;
	q.qclass = 1;
	q.id = get16(msg);
	if (dnsmsg_check(msg, len, &q, &info) == DNSMSG_OK &&
	    dnsmsg_strip_opt(msg, len, &info) > len)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	size_t	chunk, pos = 1, n;

	inlen = 0;
	if (len < 1)
		return 0;
	/* the first byte: how much each read hands over, 1 to 256 */
	chunk = (size_t)data[0] + 1;
	while (pos < len) {
		n = len - pos < chunk ? len - pos : chunk;
		if (n > sizeof(in) - inlen)
			n = sizeof(in) - inlen;
		memcpy(in + inlen, data + pos, n);
		inlen += n;
		pos += n;
		if (dotframe_take(in, &inlen, message, NULL) != DOTFRAME_MORE)
			return 0;	/* dot.c closes the connection */
		/* a whole message always fits what is kept */
		if (inlen == sizeof(in))
			abort();
	}
	return 0;
}
