/*
 * A child's log lines go to the parent over their channel (IMSG_LOG),
 * and the parent writes them to syslog: a chrooted child can neither
 * reach /dev/log nor reconnect to it when syslogd restarts.
 *
 * Until the child's event loop runs, a line is written at once: the
 * descriptor still blocks, and nothing else is written on it yet.  Then
 * it is queued on the channel and never waited for: past LOGRELAY_MAX
 * queued bytes a line is dropped and counted, and the count told when
 * there is room again.  A dying child tries once to write what is queued
 * (log.c, fatal()).
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "imsgev.h"
#include "log.h"
#include "logrelay.h"
#include "vpndnsd.h"

#define LOGRELAY_MAX	(256 * 1024)

static int		 early_fd = -1;
static struct imsgev	*relay;
static unsigned long	 dropped;

static void
relay_iov(struct iovec *iov, struct log_msg *lm, int pri, const char *line)
{
	lm->pri = pri;
	iov[0].iov_base = lm;
	iov[0].iov_len = sizeof(*lm);
	iov[1].iov_base = (void *)(uintptr_t)line;
	iov[1].iov_len = strnlen(line, LOG_LINE_MAX - 1) + 1;
}

/* Before the event loop: the line, written whole. */
static void
early_send(int pri, const char *line)
{
	struct imsgbuf	ibuf;
	struct log_msg	lm;
	struct iovec	iov[2];
	char		cut[LOG_LINE_MAX];

	strlcpy(cut, line, sizeof(cut));
	relay_iov(iov, &lm, pri, cut);
	imsgbuf_init(&ibuf, early_fd, 0, IMSG_MAX_SIZE);
	if (imsg_composev(&ibuf, IMSG_LOG, 0, -1, iov, 2) == 0)
		while (imsgbuf_queued(&ibuf) > 0 &&
		    imsgbuf_write(&ibuf) != -1)
			;
	imsgbuf_clear(&ibuf);
}

static int
queue_line(int pri, const char *line)
{
	struct log_msg	lm;
	struct iovec	iov[2];
	char		cut[LOG_LINE_MAX];

	if (imsgbuf_queued(&relay->ibuf) > LOGRELAY_MAX)
		return -1;
	strlcpy(cut, line, sizeof(cut));
	relay_iov(iov, &lm, pri, cut);
	return imsgev_composev(relay, IMSG_LOG, 0, -1, iov, 2);
}

static void
relay_send(int pri, const char *line)
{
	char	msg[80];

	if (relay == NULL) {
		early_send(pri, line);
		return;
	}
	if (dropped > 0) {
		snprintf(msg, sizeof(msg), "%lu log lines dropped: the "
		    "parent's channel was full", dropped);
		if (queue_line(LOG_WARNING, msg) == -1) {
			dropped++;
			return;
		}
		dropped = 0;
	}
	if (queue_line(pri, line) == -1)
		dropped++;
}

static void
relay_flush(void)
{
	if (relay != NULL)
		(void)imsgbuf_write(&relay->ibuf);
}

void
logrelay_init(int fd)
{
	early_fd = fd;
	log_relay(relay_send, relay_flush);
}

void
logrelay_start(struct imsgev *iev)
{
	relay = iev;
}

/* The parent: a line, its control bytes made harmless, under the name. */
void
logrelay_recv(const struct imsg *imsg, const char *name)
{
	struct log_msg	lm;
	char		line[LOG_LINE_MAX];
	size_t		len, i;

	if (imsg->len <= sizeof(lm) ||
	    (len = imsg->len - sizeof(lm)) > sizeof(line) ||
	    imsg->data[imsg->len - 1] != '\0')
		fatalx("bad IMSG_LOG from the %s", name);
	memcpy(&lm, imsg->data, sizeof(lm));
	memcpy(line, imsg->data + sizeof(lm), len);
	for (i = 0; i + 1 < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	log_relayed(lm.pri, name, line);
}

/*
 * The parent, for a child that died or stopped: its lines still in the
 * channel, the last of them first of all, before its death is told.
 */
void
logrelay_drain(struct imsgbuf *ibuf, const char *name)
{
	struct imsg	imsg;
	ssize_t		n;

	do {
		while (imsg_get(ibuf, &imsg) > 0)
			if (imsg.hdr.type == IMSG_LOG)
				logrelay_recv(&imsg, name);
	} while ((n = imsgbuf_read(ibuf)) > 0);
}
