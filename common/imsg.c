#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"

#define IMSG_WBUF_MIN	(64 * 1024)
#define IMSG_WBUF_KEEP	(1024 * 1024)

void
imsgbuf_init(struct imsgbuf *ibuf, int fd, int fds, size_t wmax)
{
	memset(ibuf, 0, sizeof(*ibuf));
	ibuf->fd = fd;
	ibuf->fds = fds;
	ibuf->pid = getpid();
	ibuf->wmax = wmax < IMSG_MAX_SIZE ? IMSG_MAX_SIZE : wmax;
	if ((ibuf->rbuf = malloc(IMSG_READ_SIZE)) == NULL)
		fatal("%s", __func__);
}

void
imsgbuf_clear(struct imsgbuf *ibuf)
{
	int	i;

	for (i = 0; i < ibuf->nrfds; i++)
		close(ibuf->rfds[i]);
	for (i = 0; i < ibuf->nwfds; i++)
		close(ibuf->wfds[i].fd);
	free(ibuf->rbuf);
	free(ibuf->wbuf);
	ibuf->rbuf = ibuf->wbuf = NULL;
	ibuf->nrfds = ibuf->nwfds = 0;
	ibuf->roff = ibuf->rlen = ibuf->woff = ibuf->wlen = ibuf->wcap = 0;
}

size_t
imsgbuf_queued(const struct imsgbuf *ibuf)
{
	return ibuf->wlen - ibuf->woff;
}

/* Make room for 'need' more bytes of output, within 'cap'. */
static int
imsgbuf_reserve(struct imsgbuf *ibuf, size_t need, size_t cap)
{
	size_t	 ncap;
	uint8_t	*nbuf;
	int	 i;

	if (ibuf->wlen - ibuf->woff + need > cap) {
		errno = ENOBUFS;
		return -1;
	}
	if (ibuf->wlen + need <= ibuf->wcap)
		return 0;
	if (ibuf->woff > 0) {
		memmove(ibuf->wbuf, ibuf->wbuf + ibuf->woff,
		    ibuf->wlen - ibuf->woff);
		for (i = 0; i < ibuf->nwfds; i++)
			ibuf->wfds[i].pos -= ibuf->woff;
		ibuf->wlen -= ibuf->woff;
		ibuf->woff = 0;
		if (ibuf->wlen + need <= ibuf->wcap)
			return 0;
	}
	ncap = ibuf->wcap ? ibuf->wcap * 2 : IMSG_WBUF_MIN;
	while (ncap < ibuf->wlen + need)
		ncap *= 2;
	if (ncap > cap)
		ncap = cap;
	if ((nbuf = realloc(ibuf->wbuf, ncap)) == NULL)
		return -1;
	ibuf->wbuf = nbuf;
	ibuf->wcap = ncap;
	return 0;
}

static int
compose(struct imsgbuf *ibuf, uint16_t type, uint32_t peerid, int fd,
    const struct iovec *iov, int iovcnt, size_t cap)
{
	struct imsg_hdr	 hdr;
	size_t		 total = IMSG_HEADER_SIZE;
	int		 i;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > IMSG_MAX_SIZE) {
			errno = EMSGSIZE;
			return -1;
		}
		total += iov[i].iov_len;
	}
	if (total > IMSG_MAX_SIZE) {
		errno = EMSGSIZE;
		return -1;
	}
	if (fd != -1 && (!(ibuf->fds & IMSGBUF_FDS_SEND) ||
	    ibuf->nwfds == IMSG_MAX_FDS)) {
		errno = fd < 0 || !(ibuf->fds & IMSGBUF_FDS_SEND) ? EINVAL :
		    ENOBUFS;
		return -1;
	}
	if (imsgbuf_reserve(ibuf, total, cap) == -1)
		return -1;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = total;
	hdr.peerid = peerid;
	hdr.pid = ibuf->pid;
	if (fd != -1) {
		hdr.flags = IMSG_FLAG_FD;
		ibuf->wfds[ibuf->nwfds].fd = fd;
		ibuf->wfds[ibuf->nwfds].pos = ibuf->wlen;
		ibuf->nwfds++;
	}
	memcpy(ibuf->wbuf + ibuf->wlen, &hdr, sizeof(hdr));
	ibuf->wlen += sizeof(hdr);
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0)
			continue;
		memcpy(ibuf->wbuf + ibuf->wlen, iov[i].iov_base,
		    iov[i].iov_len);
		ibuf->wlen += iov[i].iov_len;
	}
	return 0;
}

/*
 * Queue one message.  On success a descriptor passed in 'fd' belongs to the
 * buffer (it is closed once sent); on failure it stays the caller's.
 * Fails with EMSGSIZE for a message over IMSG_MAX_SIZE and ENOBUFS when the
 * channel's output cap is reached.
 */
int
imsg_composev(struct imsgbuf *ibuf, uint16_t type, uint32_t peerid, int fd,
    const struct iovec *iov, int iovcnt)
{
	return compose(ibuf, type, peerid, fd, iov, iovcnt, ibuf->wmax);
}

/*
 * The same past the cap, for what must not be lost and is bounded by
 * other means: a control reply (by the state it shows, one at a time
 * while the reader is held) or a flush of the frontend's copies.
 */
int
imsg_composev_over(struct imsgbuf *ibuf, uint16_t type, uint32_t peerid,
    const struct iovec *iov, int iovcnt)
{
	return compose(ibuf, type, peerid, -1, iov, iovcnt, SIZE_MAX);
}

int
imsg_compose(struct imsgbuf *ibuf, uint16_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct iovec	iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	return imsg_composev(ibuf, type, peerid, fd, &iov, len ? 1 : 0);
}

/*
 * Write as much as the socket takes.  A descriptor leaves with the first
 * byte of its message, so a write never spans the start of a message that
 * carries one.  Returns 0 when done or when the socket is full, -1 on error.
 */
int
imsgbuf_write(struct imsgbuf *ibuf)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	size_t		 end;
	ssize_t		 n;
	int		 withfd;

	while (ibuf->woff < ibuf->wlen) {
		end = ibuf->wlen;
		withfd = 0;
		if (ibuf->nwfds > 0) {
			if (ibuf->wfds[0].pos > ibuf->woff)
				end = ibuf->wfds[0].pos;
			else {
				withfd = 1;
				if (ibuf->nwfds > 1)
					end = ibuf->wfds[1].pos;
			}
		}
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = ibuf->wbuf + ibuf->woff;
		iov.iov_len = end - ibuf->woff;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (withfd) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			msg.msg_control = cmsgbuf.buf;
			msg.msg_controllen = sizeof(cmsgbuf.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cmsg), &ibuf->wfds[0].fd, sizeof(int));
		}
		if ((n = sendmsg(ibuf->fd, &msg, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		if (withfd) {
			close(ibuf->wfds[0].fd);
			ibuf->nwfds--;
			memmove(&ibuf->wfds[0], &ibuf->wfds[1],
			    ibuf->nwfds * sizeof(ibuf->wfds[0]));
		}
		ibuf->woff += n;
	}
	ibuf->woff = ibuf->wlen = 0;
	/* what a burst made it grow to goes back once it has drained */
	if (ibuf->wcap > IMSG_WBUF_KEEP) {
		free(ibuf->wbuf);
		ibuf->wbuf = NULL;
		ibuf->wcap = 0;
	}
	return 0;
}

static int
imsgbuf_take_fds(struct imsgbuf *ibuf, struct msghdr *msg)
{
	struct cmsghdr	*cmsg;
	int		 fd, i, nfds, bad = 0;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			if (ibuf->nrfds == IMSG_MAX_FDS) {
				close(fd);
				bad = 1;
			} else
				ibuf->rfds[ibuf->nrfds++] = fd;
		}
	}
	if (bad || (msg->msg_flags & MSG_CTRUNC)) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

/*
 * Read what is there.  Returns the number of bytes read, 0 at end of file,
 * -1 with errno set (EAGAIN when nothing is there; EBADMSG when the peer
 * passed descriptors it must not pass: without a control buffer the
 * kernel drops them and says MSG_CTRUNC).
 */
ssize_t
imsgbuf_read(struct imsgbuf *ibuf)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * IMSG_MAX_FDS)];
	}		 cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;

	if (ibuf->roff > 0) {
		memmove(ibuf->rbuf, ibuf->rbuf + ibuf->roff,
		    ibuf->rlen - ibuf->roff);
		ibuf->rlen -= ibuf->roff;
		ibuf->roff = 0;
	}
	if (ibuf->rlen == IMSG_READ_SIZE) {
		/* the caller did not take what was already read */
		errno = ENOBUFS;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = ibuf->rbuf + ibuf->rlen;
	iov.iov_len = IMSG_READ_SIZE - ibuf->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (ibuf->fds & IMSGBUF_FDS_RECV) {
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
	}
	do {
		n = recvmsg(ibuf->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (imsgbuf_take_fds(ibuf, &msg) == -1)
		return -1;
	ibuf->rlen += n;
	return n;
}

/*
 * Take the next whole message.  Returns 1 and fills 'imsg', 0 when more
 * input is needed, -1 (EBADMSG) when the peer broke the framing.
 */
int
imsg_get(struct imsgbuf *ibuf, struct imsg *imsg)
{
	size_t	avail = ibuf->rlen - ibuf->roff;

	if (avail < IMSG_HEADER_SIZE)
		return 0;
	memcpy(&imsg->hdr, ibuf->rbuf + ibuf->roff, sizeof(imsg->hdr));
	if (imsg->hdr.len < IMSG_HEADER_SIZE ||
	    imsg->hdr.len > IMSG_MAX_SIZE ||
	    (imsg->hdr.flags & ~IMSG_FLAG_FD) != 0) {
		errno = EBADMSG;
		return -1;
	}
	if (avail < imsg->hdr.len)
		return 0;
	imsg->fd = -1;
	if (imsg->hdr.flags & IMSG_FLAG_FD) {
		if (!(ibuf->fds & IMSGBUF_FDS_RECV) || ibuf->nrfds == 0) {
			errno = EBADMSG;
			return -1;
		}
		imsg->fd = ibuf->rfds[0];
		ibuf->nrfds--;
		memmove(&ibuf->rfds[0], &ibuf->rfds[1],
		    ibuf->nrfds * sizeof(int));
	}
	imsg->data = ibuf->rbuf + ibuf->roff + IMSG_HEADER_SIZE;
	imsg->len = imsg->hdr.len - IMSG_HEADER_SIZE;
	ibuf->roff += imsg->hdr.len;
	return 1;
}
