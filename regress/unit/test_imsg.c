/*
 * common/imsg.c: framing, partial reads and writes, the size limit,
 * descriptor passing, and a peer that breaks the framing.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "tap.h"

static void
pair(int sp[2], int nonblock)
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		abort();
	if (nonblock) {
		fcntl(sp[0], F_SETFL, O_NONBLOCK);
		fcntl(sp[1], F_SETFL, O_NONBLOCK);
	}
}

static void
test_roundtrip(void)
{
	struct imsgbuf	w, r;
	struct imsg	m;
	int		sp[2], n;

	pair(sp, 1);
	imsgbuf_init(&w, sp[0], 0, IMSG_MAX_SIZE * 4);
	imsgbuf_init(&r, sp[1], 0, IMSG_MAX_SIZE * 4);
	ok(imsg_compose(&w, 7, 42, -1, "hello", 6) == 0, "compose");
	ok(imsg_compose(&w, 8, 43, -1, NULL, 0) == 0, "compose empty");
	ok(imsgbuf_queued(&w) == 2 * IMSG_HEADER_SIZE + 6, "queued bytes");
	ok(imsgbuf_write(&w) == 0 && imsgbuf_queued(&w) == 0, "written");
	ok(imsgbuf_read(&r) == 2 * IMSG_HEADER_SIZE + 6, "read both");
	n = imsg_get(&r, &m);
	ok(n == 1 && m.hdr.type == 7 && m.hdr.peerid == 42 &&
	    m.hdr.pid == (uint32_t)getpid() && m.len == 6 &&
	    memcmp(m.data, "hello", 6) == 0 && m.fd == -1,
	    "first message intact");
	n = imsg_get(&r, &m);
	ok(n == 1 && m.hdr.type == 8 && m.len == 0, "empty message intact");
	ok(imsg_get(&r, &m) == 0, "nothing more");
	close(sp[0]);
	ok(imsgbuf_read(&r) == 0, "end of file reads as 0");
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
	close(sp[1]);
}

/* Big messages through a small socket buffer: many partial writes. */
static void
test_partial_writes(void)
{
	struct imsgbuf	 w, r;
	struct imsg	 m;
	uint8_t		*payload;
	int		 sp[2], sz = 4096, i, got = 0, intact = 1, rounds;
	const int	 count = 20, len = 60000;

	pair(sp, 1);
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	imsgbuf_init(&w, sp[0], 0, 64 * IMSG_MAX_SIZE);
	imsgbuf_init(&r, sp[1], 0, IMSG_MAX_SIZE);
	payload = malloc(len);
	for (i = 0; i < count; i++) {
		memset(payload, 'a' + i, len);
		if (imsg_compose(&w, 1, i, -1, payload, len) == -1)
			intact = 0;
	}
	ok(intact, "queued %d messages of %d bytes", count, len);
	for (rounds = 0; got < count && rounds < 100000; rounds++) {
		if (imsgbuf_write(&w) == -1)
			break;
		if (imsgbuf_read(&r) == -1 && errno != EAGAIN)
			break;
		while (imsg_get(&r, &m) == 1) {
			memset(payload, 'a' + got, len);
			if (m.hdr.peerid != (uint32_t)got || m.len != (size_t)len ||
			    memcmp(m.data, payload, len) != 0)
				intact = 0;
			got++;
		}
	}
	ok(got == count && intact, "all %d arrived intact (%d rounds)", got,
	    rounds);
	ok(rounds > count, "the writes really were partial");
	free(payload);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
	close(sp[0]);
	close(sp[1]);
}

/* A message arriving one byte at a time. */
static void
test_partial_reads(void)
{
	struct imsgbuf	w, r;
	struct imsg	m;
	int		sp[2], early = 0;
	size_t		i, total;

	pair(sp, 1);
	imsgbuf_init(&w, sp[0], 0, IMSG_MAX_SIZE);
	imsgbuf_init(&r, sp[1], 0, IMSG_MAX_SIZE);
	imsg_compose(&w, 3, 9, -1, "0123456789", 10);
	total = imsgbuf_queued(&w);
	for (i = 0; i < total; i++) {
		if (write(sp[0], w.wbuf + i, 1) != 1)
			abort();
		imsgbuf_read(&r);
		if (i + 1 < total && imsg_get(&r, &m) != 0)
			early = 1;
	}
	ok(!early, "no message before its last byte");
	ok(imsg_get(&r, &m) == 1 && m.len == 10 &&
	    memcmp(m.data, "0123456789", 10) == 0, "whole after the last byte");
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
	close(sp[0]);
	close(sp[1]);
}

static void
test_limits(void)
{
	struct imsgbuf	 w;
	struct iovec	 iov;
	uint8_t		*big;
	int		 sp[2], n = 0;

	pair(sp, 1);
	big = calloc(1, IMSG_MAX_SIZE);
	imsgbuf_init(&w, sp[0], 0, 4 * IMSG_MAX_SIZE);
	ok(imsg_compose(&w, 1, 0, -1, big, IMSG_MAX_SIZE - IMSG_HEADER_SIZE)
	    == 0, "a message of exactly the maximum size");
	errno = 0;
	ok(imsg_compose(&w, 1, 0, -1, big,
	    IMSG_MAX_SIZE - IMSG_HEADER_SIZE + 1) == -1 && errno == EMSGSIZE,
	    "one byte more: EMSGSIZE");
	while (imsg_compose(&w, 1, 0, -1, big, 1000) == 0 && n < 100000)
		n++;
	ok(errno == ENOBUFS && imsgbuf_queued(&w) <= 4 * IMSG_MAX_SIZE,
	    "output stops at the channel's cap with ENOBUFS");
	iov.iov_base = big;
	iov.iov_len = IMSG_MAX_SIZE - IMSG_HEADER_SIZE;
	ok(imsg_composev_over(&w, 2, 0, &iov, 1) == 0 &&
	    imsgbuf_queued(&w) > 4 * IMSG_MAX_SIZE,
	    "what must not be lost passes the cap");
	errno = 0;
	ok(imsg_compose(&w, 1, 0, -1, big, 1) == -1 && errno == ENOBUFS,
	    "and the rest still stops there");
	errno = 0;
	ok(imsg_compose(&w, 1, 0, 0, "x", 1) == -1 && errno == EINVAL,
	    "no descriptor on a channel that does not pass them");
	imsgbuf_clear(&w);
	imsgbuf_init(&w, sp[0], IMSGBUF_FDS_RECV, 4 * IMSG_MAX_SIZE);
	errno = 0;
	ok(imsg_compose(&w, 1, 0, 0, "x", 1) == -1 && errno == EINVAL,
	    "nor on one that only receives them (a child to its parent)");
	free(big);
	imsgbuf_clear(&w);
	close(sp[0]);
	close(sp[1]);
}

/* Write a raw header, then see what the reader makes of it. */
static int
raw_header(uint32_t len, uint16_t flags, int allow_fds)
{
	struct imsgbuf	r;
	struct imsg	m;
	struct imsg_hdr	h;
	int		sp[2], rc;

	pair(sp, 1);
	imsgbuf_init(&r, sp[1], allow_fds, IMSG_MAX_SIZE);
	memset(&h, 0, sizeof(h));
	h.type = 1;
	h.len = len;
	h.flags = flags;
	if (write(sp[0], &h, sizeof(h)) != sizeof(h))
		abort();
	imsgbuf_read(&r);
	errno = 0;
	rc = imsg_get(&r, &m);
	if (rc == -1 && errno != EBADMSG)
		rc = -2;
	imsgbuf_clear(&r);
	close(sp[0]);
	close(sp[1]);
	return rc;
}

static void
test_bad_headers(void)
{
	ok(raw_header(IMSG_MAX_SIZE + 1, 0, 0) == -1,
	    "an oversized length is EBADMSG");
	ok(raw_header(0xffffffff, 0, 0) == -1, "a huge length is EBADMSG");
	ok(raw_header(IMSG_HEADER_SIZE - 1, 0, 0) == -1,
	    "a length shorter than the header is EBADMSG");
	ok(raw_header(0, 0, 0) == -1, "a zero length is EBADMSG");
	ok(raw_header(IMSG_HEADER_SIZE, 0x8000, 0) == -1,
	    "unknown flags are EBADMSG");
	ok(raw_header(IMSG_HEADER_SIZE, IMSG_FLAG_FD, 0) == -1,
	    "a descriptor flag where none may pass is EBADMSG");
	ok(raw_header(IMSG_HEADER_SIZE, IMSG_FLAG_FD, IMSGBUF_FDS_RECV) == -1,
	    "a descriptor flag with no descriptor sent is EBADMSG");
	ok(raw_header(IMSG_HEADER_SIZE + 10, 0, 0) == 0,
	    "a header whose payload is still to come waits");
}

static void
test_fd_passing(void)
{
	struct imsgbuf	w, r;
	struct imsg	m;
	int		sp[2], pa[2], pb[2], fda = -1, fdb = -1, order = 1;
	char		c;

	pair(sp, 1);
	if (pipe(pa) == -1 || pipe(pb) == -1)
		abort();
	imsgbuf_init(&w, sp[0], IMSGBUF_FDS_SEND, IMSG_MAX_SIZE);
	imsgbuf_init(&r, sp[1], IMSGBUF_FDS_RECV, IMSG_MAX_SIZE);
	imsg_compose(&w, 1, 0, -1, "plain", 5);
	imsg_compose(&w, 2, 0, pa[1], "A", 1);
	imsg_compose(&w, 3, 0, -1, "plain", 5);
	imsg_compose(&w, 4, 0, pb[1], "B", 1);
	ok(imsgbuf_write(&w) == 0 && imsgbuf_queued(&w) == 0,
	    "messages with descriptors written");
	ok(fcntl(pa[1], F_GETFD) == -1 && fcntl(pb[1], F_GETFD) == -1,
	    "the sender's copies are closed once sent");
	while (imsgbuf_read(&r) > 0)
		;
	while (imsg_get(&r, &m) == 1) {
		if (m.hdr.type == 2)
			fda = m.fd;
		else if (m.hdr.type == 4)
			fdb = m.fd;
		else if (m.fd != -1)
			order = 0;
	}
	ok(order && fda != -1 && fdb != -1, "each descriptor with its message");
	ok(write(fda, "a", 1) == 1 && read(pa[0], &c, 1) == 1 && c == 'a',
	    "the first descriptor is the first pipe");
	ok(write(fdb, "b", 1) == 1 && read(pb[0], &c, 1) == 1 && c == 'b',
	    "the second descriptor is the second pipe");
	ok((fcntl(fda, F_GETFD) & FD_CLOEXEC) != 0,
	    "received descriptors are close-on-exec");
	close(fda);
	close(fdb);
	close(pa[0]);
	close(pb[0]);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
	close(sp[0]);
	close(sp[1]);
}

/*
 * A peer passing descriptors on a channel that must not carry them: a
 * sibling, or a child to its parent.
 */
static void
test_fd_refused(void)
{
	struct imsgbuf	w, r;
	int		sp[2], p[2];
	ssize_t		n;

	pair(sp, 1);
	if (pipe(p) == -1)
		abort();
	imsgbuf_init(&w, sp[0], IMSGBUF_FDS_SEND, IMSG_MAX_SIZE);
	imsgbuf_init(&r, sp[1], 0, IMSG_MAX_SIZE);
	imsg_compose(&w, 1, 0, p[1], "x", 1);
	imsgbuf_write(&w);
	errno = 0;
	n = imsgbuf_read(&r);
	ok(n == -1 && errno == EBADMSG,
	    "descriptors on a no-descriptor channel are refused");
	close(p[0]);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
	close(sp[0]);
	close(sp[1]);
}

int
main(void)
{
	test_roundtrip();
	test_partial_writes();
	test_partial_reads();
	test_limits();
	test_bad_headers();
	test_fd_passing();
	test_fd_refused();
	return tap_done();
}
