/*
 * What a relay sends wgwatch, framed the same for every source: the
 * bytes in chunks of at most RELAY_CHUNK (IMSG_SRC_DATA, each with the
 * source's name and the bytes' format), IMSG_SRC_RESET to start over,
 * and IMSG_SRC_END with an error or none.  The channel is the send
 * function parent.c gave the relay.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <string.h>

#include "parent.h"

void
relay_start(struct relaybuf *rb, relay_send_fn send, const char *name,
    enum src_format format)
{
	rb->send = send;
	strlcpy(rb->name, name, sizeof(rb->name));
	rb->format = format;
	rb->len = 0;
}

/* What is in the chunk goes now. */
void
relay_flush(struct relaybuf *rb)
{
	struct src_data	m;
	struct iovec	iov[2];

	if (rb->len == 0)
		return;
	memset(&m, 0, sizeof(m));
	strlcpy(m.name, rb->name, sizeof(m.name));
	m.format = rb->format;
	iov[0].iov_base = &m;
	iov[0].iov_len = sizeof(m);
	iov[1].iov_base = rb->chunk;
	iov[1].iov_len = rb->len;
	rb->send(IMSG_SRC_DATA, iov, 2);
	rb->len = 0;
}

/*
 * Bytes for the chunk.  What fits in one chunk is never cut (a netlink
 * message, a UAPI line arrive whole); what does not is cut where the
 * chunks end (a byte stream: VICI, a status file).
 */
void
relay_put(struct relaybuf *rb, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 n;

	if (rb->len + len > sizeof(rb->chunk))
		relay_flush(rb);
	while (len > 0) {
		n = sizeof(rb->chunk) - rb->len;
		if (n > len)
			n = len;
		memcpy(rb->chunk + rb->len, p, n);
		rb->len += n;
		p += n;
		len -= n;
		if (rb->len == sizeof(rb->chunk))
			relay_flush(rb);
	}
}

/* What was sent of this reply is void: wgwatch starts over. */
void
relay_reset(struct relaybuf *rb)
{
	struct source_ref	m;
	struct iovec		iov;

	rb->len = 0;
	memset(&m, 0, sizeof(m));
	strlcpy(m.name, rb->name, sizeof(m.name));
	iov.iov_base = &m;
	iov.iov_len = sizeof(m);
	rb->send(IMSG_SRC_RESET, &iov, 1);
}

/* The end of a reply (error 0) or of a connection; the rest goes first. */
void
relay_end(struct relaybuf *rb, int error)
{
	struct src_end	e;
	struct iovec	iov;

	if (error == 0)
		relay_flush(rb);
	rb->len = 0;
	memset(&e, 0, sizeof(e));
	strlcpy(e.name, rb->name, sizeof(e.name));
	e.format = rb->format;
	e.error = error;
	iov.iov_base = &e;
	iov.iov_len = sizeof(e);
	rb->send(IMSG_SRC_END, &iov, 1);
}
