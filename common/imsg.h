/*
 * imsg-style framing between the processes of vpndnsd.
 *
 * A message is a 16-byte header followed by its payload.  Output is queued
 * in one contiguous, growable buffer per channel, so composing a message
 * costs a memcpy and no allocation once the buffer has reached its working
 * size.  Descriptors travel with SCM_RIGHTS, on channels that allow them
 * (parent <-> child) only.
 */
#ifndef VPNDNSD_IMSG_H
#define VPNDNSD_IMSG_H

#include <sys/types.h>
#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#define IMSG_HEADER_SIZE	16
/* A DNS message over TCP (65535) plus our context, with room to spare. */
#define IMSG_MAX_SIZE		(64 * 1024 + 4096)
#define IMSG_READ_SIZE		(4 * IMSG_MAX_SIZE)
#define IMSG_MAX_FDS		16
#define IMSG_FLAG_FD		0x0001

/* Which way descriptors may travel on a channel: parent to child only. */
#define IMSGBUF_FDS_SEND	0x01
#define IMSGBUF_FDS_RECV	0x02

struct imsg_hdr {
	uint16_t	type;
	uint16_t	flags;
	uint32_t	len;		/* header included */
	uint32_t	peerid;
	uint32_t	pid;
};

struct imsg {
	struct imsg_hdr	 hdr;
	const uint8_t	*data;		/* valid until the next imsgbuf_read */
	size_t		 len;		/* payload length */
	int		 fd;		/* -1 unless IMSG_FLAG_FD; caller owns */
};

struct imsgbuf {
	int		 fd;
	int		 fds;		/* IMSGBUF_FDS_* */
	pid_t		 pid;
	size_t		 wmax;		/* hard cap on queued output */
	uint8_t		*rbuf;
	size_t		 roff, rlen;
	uint8_t		*wbuf;
	size_t		 woff, wlen, wcap;
	int		 rfds[IMSG_MAX_FDS];
	int		 nrfds;
	struct {
		int	 fd;
		size_t	 pos;
	}		 wfds[IMSG_MAX_FDS];
	int		 nwfds;
};

void	 imsgbuf_init(struct imsgbuf *, int, int, size_t);
void	 imsgbuf_clear(struct imsgbuf *);
int	 imsg_compose(struct imsgbuf *, uint16_t, uint32_t, int,
	    const void *, size_t);
int	 imsg_composev(struct imsgbuf *, uint16_t, uint32_t, int,
	    const struct iovec *, int);
int	 imsg_composev_over(struct imsgbuf *, uint16_t, uint32_t,
	    const struct iovec *, int);
ssize_t	 imsgbuf_read(struct imsgbuf *);
int	 imsg_get(struct imsgbuf *, struct imsg *);
int	 imsgbuf_write(struct imsgbuf *);
size_t	 imsgbuf_queued(const struct imsgbuf *);

#endif
