/*
 * OpenVPN status files, in the parent only: the file of "status FILE N"
 * is root's (mode 0600).  wgwatch asks for a reading every interval; the
 * parent opens the file, reads it to its end and relays the bytes as
 * they are, for wgwatch to parse.  A status file holds no secret
 * (names, addresses, counters), so nothing is blanked.
 *
 * OpenVPN rewrites the file in place, a write(2) a line, so a reading
 * may catch it half rewritten: whether it is whole is wgwatch's to see
 * (the END line), not ours.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

/* Far past a server's: 1,000 clients write about 250 KB. */
#define OVPN_STATUS_MAX		(16 * 1024 * 1024)

static void	ovpnrelay_reconf(const struct vpndnsd_conf *, relay_send_fn);
static void	ovpnrelay_poll(const struct source_conf *);

const struct relay	ovpn_relay = { ovpnrelay_reconf, ovpnrelay_poll };

static relay_send_fn	ovpn_send;

/* Nothing is kept open between readings: the path is all there is. */
static void
ovpnrelay_reconf(const struct vpndnsd_conf *conf, relay_send_fn send)
{
	(void)conf;
	ovpn_send = send;
}

/* The whole file, or why not. */
static int
ovpn_read(const char *path, struct relaybuf *rb)
{
	struct stat	 sb;
	char		 buf[64 * 1024];
	size_t		 total = 0;
	ssize_t		 n;
	int		 fd, error = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return errno;
	if (fstat(fd, &sb) == -1)
		error = errno;
	else if (!S_ISREG(sb.st_mode))
		error = EINVAL;
	while (error == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno != EINTR)
				error = errno;
			continue;
		}
		if ((total += n) > OVPN_STATUS_MAX) {
			error = EFBIG;
			break;
		}
		relay_put(rb, buf, n);
	}
	close(fd);
	return error;
}

static void
ovpnrelay_poll(const struct source_conf *w)
{
	struct relaybuf	*rb;

	/* a chunk's buffer: the parent's stack is not the place */
	if ((rb = calloc(1, sizeof(*rb))) == NULL)
		fatal("calloc");
	relay_start(rb, ovpn_send, w->name, SRC_FMT_STATUS);
	relay_end(rb, ovpn_read(w->path, rb));
	free(rb);
}
