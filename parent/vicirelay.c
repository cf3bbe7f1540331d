/*
 * strongSwan, in the parent only: its VICI socket (srwxrwx--- root)
 * would take "terminate" or "load-key" as readily as "list-sas", so no
 * child may hold it.  Per ipsec block the parent keeps one connection
 * and sends on it, once, four fixed requests: registration for the
 * ike-updown, child-updown and list-sa events, then list-sas, which
 * answers with a list-sa event per IKE SA and an empty response.  The
 * registrations come first so that no SA can come up between the list
 * and them unseen, and list-sa's before list-sas so that the list is
 * not lost.  Nothing else is ever sent.
 *
 * Everything charon sends back is relayed as it comes, unread: wgwatch
 * frames and parses it.  VICI events carry identities, addresses and
 * counters, no key material, so nothing is blanked.  A new connection
 * is told first (IMSG_SRC_RESET: what wgwatch knew is void, a list
 * follows), a lost one last (IMSG_SRC_END with its errno); then the
 * parent tries again, 100 ms later, doubling to 5 s, and says so once
 * per change of state, not once per attempt.  wgwatch's poll asks for a
 * resynchronisation: the connection is made again (later each time).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

#define VICI_RETRY_MS		100
#define VICI_RETRY_MAX_MS	5000

/* each: length (big-endian), type, name length, name; no message */
static const char vici_requests[] =
    "\0\0\0\x0c" "\x03" "\x0a" "ike-updown"
    "\0\0\0\x0e" "\x03" "\x0c" "child-updown"
    "\0\0\0\x09" "\x03" "\x07" "list-sa"
    "\0\0\0\x0a" "\x00" "\x08" "list-sas";

struct vicirelay {
	TAILQ_ENTRY(vicirelay)	 entry;
	char			 name[SRC_NAME_MAX];
	char			 path[PATH_MAX];
	int			 fd;		/* -1: not connected */
	struct event		 ev;
	struct event		 retry;
	int			 retry_ms;
	int			 resyncs;	/* wgwatch asked, so far */
	int			 told;		/* the state last logged */
	struct relaybuf		 out;
	int			 present;	/* still configured */
};

static TAILQ_HEAD(, vicirelay)	 vrelays = TAILQ_HEAD_INITIALIZER(vrelays);

static void	vicirelay_reconf(const struct vpndnsd_conf *, relay_send_fn);
static void	vicirelay_poll(const struct source_conf *);
static void	vici_read(int, short, void *);
static void	vici_retry(int, short, void *);

const struct relay	vici_relay = { vicirelay_reconf, vicirelay_poll };

/* told: the state the log last gave */
#define TOLD_NOTHING		-1
#define TOLD_CONNECTED		0	/* else the errno of the failure */

static struct vicirelay *
vici_find(const char *name)
{
	struct vicirelay	*r;

	TAILQ_FOREACH(r, &vrelays, entry)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

static void
vici_close(struct vicirelay *r)
{
	if (r->fd == -1)
		return;
	event_del(&r->ev);
	close(r->fd);
	r->fd = -1;
}

static void
vici_schedule(struct vicirelay *r, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(&r->retry, &tv);
}

/*
 * The connection failed or ended: wgwatch forgets what it knew (when it
 * knew anything), the log says it once, and another attempt comes.
 */
static void
vici_fail(struct vicirelay *r, int error)
{
	vici_close(r);
	if (r->told != error) {
		if (r->told == TOLD_CONNECTED)
			log_warnx("ipsec %s: the connection to charon (%s) "
			    "ended: %s; connecting again", r->name, r->path,
			    error == EPIPE ? "charon closed it" :
			    strerror(error));
		else
			log_warnx("ipsec %s: cannot connect to charon (%s): "
			    "%s; trying again", r->name, r->path,
			    strerror(error));
		relay_end(&r->out, error);
		r->told = error;
	}
	vici_schedule(r, r->retry_ms);
	if ((r->retry_ms *= 2) > VICI_RETRY_MAX_MS)
		r->retry_ms = VICI_RETRY_MAX_MS;
}

static int
vici_connect(struct vicirelay *r)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, r->path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return ENAMETOOLONG;
	if ((r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return errno;
	/* a local socket connects at once, or not at all */
	if (connect(r->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    send(r->fd, vici_requests, sizeof(vici_requests) - 1,
	    MSG_NOSIGNAL) != (ssize_t)sizeof(vici_requests) - 1)
		return errno != 0 ? errno : EIO;
	return 0;
}

static void
vici_retry(int fd, short event, void *arg)
{
	struct vicirelay	*r = arg;
	int			 error;

	(void)fd;
	(void)event;
	vici_close(r);
	errno = 0;
	if ((error = vici_connect(r)) != 0) {
		vici_fail(r, error);
		return;
	}
	event_set(&r->ev, r->fd, EV_READ | EV_PERSIST, vici_read, r);
	if (event_add(&r->ev, NULL) == -1)
		fatal("event_add");
	r->retry_ms = VICI_RETRY_MS;
	/* the list that follows is all wgwatch may know */
	relay_reset(&r->out);
	if (r->told != TOLD_CONNECTED)
		log_info("ipsec %s: connected to charon (%s)", r->name,
		    r->path);
	r->told = TOLD_CONNECTED;
}

static void
vici_read(int fd, short event, void *arg)
{
	struct vicirelay	*r = arg;
	uint8_t			 buf[64 * 1024];
	ssize_t			 n;

	(void)event;
	if ((n = read(fd, buf, sizeof(buf))) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			vici_fail(r, errno);
		return;
	}
	if (n == 0) {
		vici_fail(r, EPIPE);
		return;
	}
	relay_put(&r->out, buf, n);
	relay_flush(&r->out);
}

/*
 * A relay per ipsec block, kept by name; a changed path connects anew.
 * The first attempt waits for the event loop, so that wgwatch has the
 * configuration naming the source before anything about it.
 */
static void
vicirelay_reconf(const struct vpndnsd_conf *conf, relay_send_fn send)
{
	const struct source_conf	*w;
	struct vicirelay		*r, *next;

	TAILQ_FOREACH(r, &vrelays, entry)
		r->present = 0;
	TAILQ_FOREACH(w, &conf->sources, entry) {
		if (w->kind != SRC_IPSEC)
			continue;
		if ((r = vici_find(w->name)) == NULL) {
			if ((r = calloc(1, sizeof(*r))) == NULL)
				fatal("calloc");
			strlcpy(r->name, w->name, sizeof(r->name));
			r->fd = -1;
			r->told = TOLD_NOTHING;
			evtimer_set(&r->retry, vici_retry, r);
			relay_start(&r->out, send, w->name, SRC_FMT_VICI);
			TAILQ_INSERT_TAIL(&vrelays, r, entry);
		}
		if (strcmp(r->path, w->path) != 0) {
			strlcpy(r->path, w->path, sizeof(r->path));
			r->retry_ms = VICI_RETRY_MS;
			r->told = TOLD_NOTHING;
			vici_schedule(r, 0);
		}
		r->present = 1;
	}
	TAILQ_FOREACH_SAFE(r, &vrelays, entry, next)
		if (!r->present) {
			vici_close(r);
			evtimer_del(&r->retry);
			TAILQ_REMOVE(&vrelays, r, entry);
			free(r);
		}
}

/*
 * wgwatch lost its footing (a packet it could not parse): start over,
 * later each time, so that a charon that always says what wgwatch
 * refuses is not asked in a loop.
 */
static void
vicirelay_poll(const struct source_conf *w)
{
	struct vicirelay	*r;

	if ((r = vici_find(w->name)) == NULL)
		fatalx("ipsec %s has no relay", w->name);
	vici_close(r);
	vici_schedule(r, VICI_RETRY_MS << (r->resyncs < 6 ? r->resyncs : 6));
	r->resyncs++;
}
