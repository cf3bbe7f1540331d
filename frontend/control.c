/*
 * The control socket, served by the frontend as in OpenBSD's unwind: the
 * parent created it (mode 0600) and passed it down.  Requests are relayed
 * to whichever process holds the answer, and replies come back tagged
 * with the connection's id.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"
#include "log.h"
#include "metrics.h"

#define CONTROL_MAX_CONNS	32
#define CONTROL_WMAX		(4 * 1024 * 1024)

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct imsgev		 iev;
	uint32_t		 id;
};

static TAILQ_HEAD(, ctl_conn)	ctl_conns = TAILQ_HEAD_INITIALIZER(ctl_conns);
static struct event		ctl_ev;
static uint32_t			ctl_nextid = 1;
static unsigned int		ctl_nconns;

static void	control_accept(int, short, void *);
static void	control_dispatch(int, short, void *);

void
control_init(int fd)
{
	event_set(&ctl_ev, fd, EV_READ | EV_PERSIST, control_accept, NULL);
	if (event_add(&ctl_ev, NULL) == -1)
		fatal("event_add");
}

static void
control_close(struct ctl_conn *c)
{
	TAILQ_REMOVE(&ctl_conns, c, entry);
	imsgev_close(&c->iev);
	free(c);
	ctl_nconns--;
}

static void
control_accept(int fd, short event, void *arg)
{
	static long long	 last;
	struct ctl_conn		*c;
	int			 s;

	(void)event;
	(void)arg;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED && log_ratelimit(&last))
			log_warn("control accept");
		return;
	}
	if (ctl_nconns >= CONTROL_MAX_CONNS ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		if (log_ratelimit(&last))
			log_warnx("control connection refused: %u open",
			    ctl_nconns);
		close(s);
		return;
	}
	c->id = ctl_nextid++ & ~HTTP_PEERID;
	imsgev_init(&c->iev, s, 0, CONTROL_WMAX, control_dispatch, c);
	TAILQ_INSERT_TAIL(&ctl_conns, c, entry);
	ctl_nconns++;
}

static int
control_send(struct ctl_conn *c, uint16_t type, const void *data, size_t len)
{
	return imsgev_compose(&c->iev, type, 0, -1, data, len);
}

static int
control_result(struct ctl_conn *c, int ok, const char *msg)
{
	struct ctl_result	r;

	memset(&r, 0, sizeof(r));
	r.ok = ok;
	strlcpy(r.msg, msg, sizeof(r.msg));
	if (control_send(c, IMSG_CTL_RESULT, &r, sizeof(r)) == -1)
		return -1;
	return control_send(c, IMSG_CTL_END, NULL, 0);
}

static int
control_status(struct ctl_conn *c)
{
	struct ctl_info		ci;
	struct frontend_stats	st;

	stats_ctl_info(&ci);
	st = fe_stats;
	if (control_send(c, IMSG_CTL_INFO, &ci, sizeof(ci)) == -1 ||
	    control_send(c, IMSG_CTL_FRONTEND_STATS, &st, sizeof(st)) == -1)
		return -1;
	if (chan_to_resolver(IMSG_CTL_SHOW_STATUS, c->id, NULL, 0)
	    == -1)
		return control_result(c, 0, "the resolver is not reachable");
	return 0;
}

static int
control_line(const char *line, void *arg)
{
	return control_send(arg, IMSG_CTL_TEXT, line, strlen(line) + 1);
}

/* Ours first, then the resolver's and wgwatch's, which end the reply. */
static int
control_metrics(struct ctl_conn *c)
{
	struct metrics	m = { control_line, c, 0 };

	stats_metrics(&m);
	if (m.error)
		return -1;
	if (chan_to_resolver(IMSG_CTL_SHOW_METRICS, c->id, NULL, 0)
	    == -1)
		return control_result(c, 0, "the resolver is not reachable");
	return 0;
}

static int
control_verbose(struct ctl_conn *c, const struct imsg *imsg)
{
	int	v;

	if (imsg->len != sizeof(v))
		return -1;
	memcpy(&v, imsg->data, sizeof(v));
	if (v < 0 || v > 2)
		return -1;
	log_setverbose(v);
	if (chan_to_parent(IMSG_CTL_LOG_VERBOSE, 0, &v,
	    sizeof(v)) == -1 ||
	    chan_to_resolver(IMSG_CTL_LOG_VERBOSE, 0, &v,
	    sizeof(v)) == -1)
		return control_result(c, 0, "cannot reach every process");
	log_info("log level now %s", v ? "verbose" : "brief");
	return control_result(c, 1, v ? "log verbose" : "log brief");
}

/* The ACL and the rate limit are ours: the resolver is told our verdict. */
static int
control_lookup(struct ctl_conn *c, const struct imsg *imsg)
{
	struct ctl_lookup	lk;

	if (imsg->len != sizeof(lk))
		return -1;
	memcpy(&lk, imsg->data, sizeof(lk));
	acl_lookup(&lk);
	if (chan_to_resolver(IMSG_CTL_LOOKUP, c->id, &lk,
	    sizeof(lk)) == -1)
		return control_result(c, 0, "the resolver is not reachable");
	return 0;
}

static int
control_request(struct ctl_conn *c, const struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_CTL_RELOAD:
		if (chan_to_parent(IMSG_CTL_RELOAD, c->id, NULL, 0)
		    == -1)
			return -1;
		return 0;
	case IMSG_CTL_LOG_VERBOSE:
		return control_verbose(c, imsg);
	case IMSG_CTL_SHOW_STATUS:
		return control_status(c);
	case IMSG_CTL_SHOW_METRICS:
		return control_metrics(c);
	case IMSG_CTL_LOOKUP:
		return control_lookup(c, imsg);
	case IMSG_CTL_SHOW_RECORDS:
	case IMSG_CTL_SHOW_PEERS:
	case IMSG_CTL_SHOW_FORWARDERS:
	case IMSG_CTL_SHOW_BLOCKLISTS:
		/* nothing, or the uint32_t that asks for JSON */
		if (imsg->len != 0 && imsg->len != sizeof(uint32_t))
			return -1;
		/* FALLTHROUGH */
	case IMSG_CTL_FLUSH:
		if (imsg->len > IMSG_MAX_SIZE - IMSG_HEADER_SIZE ||
		    chan_to_resolver(imsg->hdr.type, c->id,
		    imsg->data, imsg->len) == -1)
			return control_result(c, 0,
			    "the resolver is not reachable");
		return 0;
	default:
		log_warnx("control: unknown request %u", imsg->hdr.type);
		return -1;
	}
}

static void
control_dispatch(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct ctl_conn	*c = iev->data;
	struct imsg	 imsg;
	int		 n;

	(void)fd;
	if (imsgev_io(iev, event) == -1) {
		control_close(c);
		return;
	}
	while ((n = imsg_get(&iev->ibuf, &imsg)) > 0)
		if (control_request(c, &imsg) == -1) {
			control_close(c);
			return;
		}
	if (n == -1) {
		control_close(c);
		return;
	}
	imsgev_update(iev);
}

/* A reply from another process for the control connection it names. */
void
control_relay(const struct imsg *imsg)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->id == imsg->hdr.peerid)
			break;
	if (c == NULL)
		return;		/* it went away meanwhile */
	if (control_send(c, imsg->hdr.type, imsg->data, imsg->len) == -1)
		control_close(c);
}
