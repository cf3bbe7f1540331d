/*
 * common/dnstap.c: any bytes as what a collector sends on a Frame
 * Streams connection, parsed as the writer does (control frames only,
 * bounded); and the encoder, given a message and addresses from the
 * input, must fit what it claims in the room it was given.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "dnstap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t		 out[DNS_MAX_MSG + 1024];
	struct dnstap_msg	 m;
	union sockunion		 a, b;
	uint32_t		 type;
	size_t			 off = 0, n, cap;
	ssize_t			 r;
	int			 ours;

	while ((r = fstrm_control_parse(data + off, len - off, &type,
	    &ours)) > 0) {
		if ((size_t)r > len - off || r > FSTRM_CONTROL_MAX ||
		    type < FSTRM_ACCEPT || type > FSTRM_FINISH)
			abort();
		off += r;
	}
	if (len < 40)
		return 0;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.sa.sa_family = data[0] & 1 ? AF_INET6 : AF_INET;
	memcpy(&a.sin6.sin6_addr, data + 1, 16);
	b.sa.sa_family = data[17] & 1 ? AF_INET : 0;
	memcpy(&b.sin.sin_addr, data + 18, 4);
	memset(&m, 0, sizeof(m));
	m.type = data[22] % 16;
	m.proto = data[23] % 8;
	m.query_addr = &a;
	m.response_addr = &b;
	memcpy(&m.query_us, data + 24, 8);
	m.response_us = data[32] & 1 ? m.query_us + data[33] : 0;
	m.msg = data + 40;
	m.len = len - 40;
	cap = (size_t)(data[34] << 8 | data[35]) % sizeof(out);
	n = dnstap_encode(out, cap, &m, (int64_t)(int8_t)data[36] * 1000000);
	if (n > cap || (n > 0 && n < m.len))
		abort();
	return 0;
}
