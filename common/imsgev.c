#include <errno.h>
#include <unistd.h>

#include "imsgev.h"
#include "log.h"
#include "vpndnsd.h"

void
imsgev_init(struct imsgev *iev, int fd, int fds, size_t wmax,
    void (*handler)(int, short, void *), void *data)
{
	imsgbuf_init(&iev->ibuf, fd, fds, wmax);
	iev->handler = handler;
	iev->data = data;
	iev->events = 0;
	imsgev_update(iev);
}

/*
 * Arm the event for reading, and for writing while output is queued.  The
 * event is only touched when that changes, so a busy channel does not pay
 * an epoll_ctl per message.
 */
void
imsgev_update(struct imsgev *iev)
{
	short	want = iev->rpaused ? 0 : EV_READ;

	if (imsgbuf_queued(&iev->ibuf) > 0)
		want |= EV_WRITE;
	if (want == iev->events)
		return;
	if (iev->events != 0)
		event_del(&iev->ev);
	iev->events = want;
	if (want == 0)
		return;
	event_set(&iev->ev, iev->ibuf.fd, want | EV_PERSIST, iev->handler,
	    iev);
	if (event_add(&iev->ev, NULL) == -1)
		fatal("event_add");
}

/*
 * Is the output so full that another message of the largest size might
 * not fit?  A process that answers what it reads stops reading then,
 * rather than drop an answer (see imsgev.rpaused).
 */
int
imsgev_congested(const struct imsgev *iev)
{
	return imsgbuf_queued(&iev->ibuf) + 2 * IMSG_MAX_SIZE >
	    iev->ibuf.wmax;
}

int
imsgev_composev(struct imsgev *iev, uint16_t type, uint32_t peerid, int fd,
    const struct iovec *iov, int iovcnt)
{
	if (imsg_composev(&iev->ibuf, type, peerid, fd, iov, iovcnt) == -1)
		return -1;
	imsgev_update(iev);
	return 0;
}

int
imsgev_compose(struct imsgev *iev, uint16_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	if (imsg_compose(&iev->ibuf, type, peerid, fd, data, len) == -1)
		return -1;
	imsgev_update(iev);
	return 0;
}

/*
 * Do the reading and writing an event asks for.  Returns 0 when the caller
 * should go on to take messages, -1 when the peer closed the channel or
 * broke the framing (errno says which; 0 for a clean close).
 */
int
imsgev_io(struct imsgev *iev, short event)
{
	ssize_t	n;

	if (event & EV_WRITE) {
		if (imsgbuf_write(&iev->ibuf) == -1)
			return -1;
		imsgev_update(iev);
	}
	if (event & EV_READ) {
		n = imsgbuf_read(&iev->ibuf);
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (n == 0) {
			errno = 0;
			return -1;
		}
	}
	return 0;
}

/*
 * A child's answer to its parent's heartbeat, from the event loop that
 * would stall if the child were stuck; a full channel skips one (the
 * parent allows ten).
 */
void
imsgev_heartbeat(struct imsgev *iev)
{
	if (imsgev_compose(iev, IMSG_HEARTBEAT, 0, -1, NULL, 0) == -1 &&
	    errno != ENOBUFS)
		fatal("parent channel");
}

void
imsgev_close(struct imsgev *iev)
{
	if (iev->events != 0)
		event_del(&iev->ev);
	iev->events = 0;
	close(iev->ibuf.fd);
	imsgbuf_clear(&iev->ibuf);
}
