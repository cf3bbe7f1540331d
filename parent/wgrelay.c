/*
 * WireGuard access, in the parent only.  A generic netlink GET needs
 * CAP_NET_ADMIN in the process that sends it, and a UAPI socket would
 * take "set=1" as readily as "get=1": no child may hold either.  wgwatch
 * asks for a poll; the parent sends the one fixed request, blanks the
 * secrets, and relays the raw reply in chunks for wgwatch to parse.
 *
 * Which access an interface has is found, not configured: its UAPI
 * socket when one answers (wireguard-go, boringtun), else the kernel.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "log.h"
#include "parent.h"

#define WG_UAPI_LINE_MAX	512
#define WG_REPLY_TIMEOUT	2	/* seconds */
#define WG_DUMP_RETRIES		5
#define WG_NL_DUMP_SIZE		32768	/* the kernel fills at most this much */
/* a request: headers and one name attribute (IFNAMSIZ or the family) */
#define NL_REQUEST_MAX		(MNL_NLMSG_HDRLEN + GENL_HDRLEN + 64)

struct wgrelay {
	TAILQ_ENTRY(wgrelay)	 entry;
	char			 ifname[IFNAMSIZ];
	char			 socket[PATH_MAX];
	int			 fd;		/* UAPI connection, or -1 */
	int			 busy;
	struct event		 ev;
	char			 line[WG_UAPI_LINE_MAX];
	size_t			 linelen;
	struct relaybuf		 out;
	int			 present;	/* still configured */
};

static TAILQ_HEAD(, wgrelay)	 relays = TAILQ_HEAD_INITIALIZER(relays);
static struct mnl_socket	*nl;
static uint16_t			 wg_family;
static uint32_t			 nl_seq;

static void	wgrelay_reconf(const struct vpndnsd_conf *, relay_send_fn);
static void	wgrelay_poll(const struct source_conf *);
static void	uapi_read(int, short, void *);

const struct relay	wg_relay = { wgrelay_reconf, wgrelay_poll };

static struct wgrelay *
relay_find(const char *ifname)
{
	struct wgrelay	*r;

	TAILQ_FOREACH(r, &relays, entry)
		if (strcmp(r->ifname, ifname) == 0)
			return r;
	return NULL;
}

static void
relay_close(struct wgrelay *r)
{
	if (r->fd != -1) {
		event_del(&r->ev);
		close(r->fd);
		r->fd = -1;
	}
	r->busy = 0;
	r->linelen = r->out.len = 0;
}

/* Every poll is answered: wgwatch waits for its end. */
static void
relay_cancel(struct wgrelay *r)
{
	if (r->busy)
		relay_end(&r->out, ECANCELED);
	relay_close(r);
}

/* Keep a relay per configured interface; drop the others. */
static void
wgrelay_reconf(const struct vpndnsd_conf *conf, relay_send_fn send)
{
	const struct source_conf	*w;
	struct wgrelay			*r, *next;

	TAILQ_FOREACH(r, &relays, entry)
		r->present = 0;
	TAILQ_FOREACH(w, &conf->sources, entry) {
		if (w->kind != SRC_WIREGUARD)
			continue;
		if ((r = relay_find(w->name)) == NULL) {
			if ((r = calloc(1, sizeof(*r))) == NULL)
				fatal("calloc");
			strlcpy(r->ifname, w->name, sizeof(r->ifname));
			r->fd = -1;
			relay_start(&r->out, send, w->name, SRC_FMT_NONE);
			TAILQ_INSERT_TAIL(&relays, r, entry);
		}
		if (strcmp(r->socket, w->path) != 0) {
			relay_cancel(r);
			strlcpy(r->socket, w->path, sizeof(r->socket));
		}
		r->present = 1;
	}
	TAILQ_FOREACH_SAFE(r, &relays, entry, next)
		if (!r->present) {
			relay_cancel(r);
			TAILQ_REMOVE(&relays, r, entry);
			free(r);
		}
}

static int
uapi_connect(struct wgrelay *r)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, r->socket, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(r->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	return 0;
}

/*
 * Ask for the device on the long-lived UAPI connection, connecting when
 * there is none.  A connection broken since the last poll (wireguard-go
 * restarted) is replaced once.
 */
static int
uapi_request(struct wgrelay *r)
{
	static const char	 req[] = "get=1\n\n";
	struct timeval		 tv = { WG_REPLY_TIMEOUT, 0 };
	int			 attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (r->fd == -1 && uapi_connect(r) == -1)
			return -1;
		if (send(r->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) ==
		    (ssize_t)sizeof(req) - 1)
			break;
		relay_close(r);
	}
	if (r->fd == -1)
		return -1;
	event_set(&r->ev, r->fd, EV_READ | EV_PERSIST, uapi_read, r);
	if (event_add(&r->ev, &tv) == -1)
		fatal("event_add");
	r->busy = 1;
	return 0;
}

static void
uapi_fail(struct wgrelay *r, int error)
{
	relay_close(r);
	relay_end(&r->out, error);
}

/*
 * A whole line: blanked, then into the chunk.  The empty line that ends
 * the reply goes too, so that wgwatch sees the reply whole.  Returns 1 at
 * the end.
 */
static int
uapi_line(struct wgrelay *r, char *line, size_t len)
{
	wg_blank_uapi_line(line, len);
	/* the line and its newline in one chunk: room for it first */
	if (r->out.len + len + 1 > sizeof(r->out.chunk))
		relay_flush(&r->out);
	relay_put(&r->out, line, len);
	relay_put(&r->out, "\n", 1);
	return len == 0;
}

/*
 * The reply, as it comes.  Whole lines are handled where they lie; only a
 * line cut by the end of a read waits in r->line for its rest.
 */
static void
uapi_read(int fd, short event, void *arg)
{
	struct wgrelay	*r = arg;
	char		 buf[64 * 1024], *p, *end, *nl;
	ssize_t		 n;
	int		 done;

	if (event & EV_TIMEOUT) {
		uapi_fail(r, ETIMEDOUT);
		return;
	}
	if ((n = read(fd, buf, sizeof(buf))) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			uapi_fail(r, errno);
		return;
	}
	if (n == 0) {
		uapi_fail(r, EPIPE);
		return;
	}
	for (p = buf, end = buf + n; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL) {
			if (r->linelen + (end - p) > sizeof(r->line)) {
				uapi_fail(r, EPROTO);
				return;
			}
			memcpy(r->line + r->linelen, p, end - p);
			r->linelen += end - p;
			return;
		}
		if (r->linelen > 0) {
			if (r->linelen + (nl - p) > sizeof(r->line)) {
				uapi_fail(r, EPROTO);
				return;
			}
			memcpy(r->line + r->linelen, p, nl - p);
			done = uapi_line(r, r->line, r->linelen + (nl - p));
			r->linelen = 0;
		} else if (nl - p > (ssize_t)sizeof(r->line)) {
			uapi_fail(r, EPROTO);
			return;
		} else
			done = uapi_line(r, p, nl - p);
		if (!done)
			continue;
		/* the end: nothing may follow one reply */
		if (nl + 1 != end) {
			uapi_fail(r, EPROTO);
			return;
		}
		event_del(&r->ev);
		r->busy = 0;
		relay_end(&r->out, 0);
		return;
	}
}

static int
nl_open(void)
{
	struct timeval	tv = { WG_REPLY_TIMEOUT, 0 };

	if (nl != NULL)
		return 0;
	if ((nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1) {
		mnl_socket_close(nl);
		nl = NULL;
		return -1;
	}
	return 0;
}

static int
family_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
		*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int
family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, GENL_HDRLEN, family_attr, data);
}

/*
 * A generic netlink request in 'buf', its header and the room for its
 * one attribute zeroed first: the kernel must get no byte of our stack.
 */
static struct nlmsghdr *
nl_request_new(char *buf, uint16_t type, uint16_t flags, uint32_t seq,
    uint8_t cmd, uint8_t version)
{
	struct nlmsghdr		*nlh;
	struct genlmsghdr	*genl;

	memset(buf, 0, NL_REQUEST_MAX);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/* The wireguard family's id; it exists only while the module is loaded. */
static int
nl_family(void)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	uint32_t		 seq = ++nl_seq;
	ssize_t			 n;
	int			 rc;

	nlh = nl_request_new(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK,
	    seq, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		return -1;
	wg_family = 0;
	do {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) <= 0)
			return -1;
		rc = mnl_cb_run(buf, n, seq, mnl_socket_get_portid(nl),
		    family_cb, &wg_family);
	} while (rc > 0);
	return wg_family != 0 ? 0 : -1;
}

static int
nl_request(struct wgrelay *r, uint32_t seq)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;

	nlh = nl_request_new(buf, wg_family, NLM_F_REQUEST | NLM_F_DUMP, seq,
	    WG_CMD_GET_DEVICE, WG_GENL_VERSION);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, r->ifname);
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1 ? -1 : 0;
}

/*
 * One dump: every message blanked and relayed as it comes.  Returns 0,
 * EINTR when the kernel says the dump was interrupted (the device
 * changed under it), or another errno.
 */
static int
nl_dump_once(struct wgrelay *r)
{
	char			 buf[WG_NL_DUMP_SIZE];
	struct nlmsghdr		*nlh;
	const struct nlmsgerr	*e;
	uint32_t		 seq = ++nl_seq;
	ssize_t			 n;
	int			 len, intr = 0;

	if (nl_request(r, seq) == -1)
		return errno;
	for (;;) {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) <= 0)
			return n == 0 ? EPIPE : errno;
		len = n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* a late reply to another */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = 1;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				relay_flush(&r->out);
				return intr ? EINTR : 0;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
					return EPROTO;
				e = mnl_nlmsg_get_payload(nlh);
				if (e->error == 0)
					continue;	/* an ack: not asked */
				return -e->error;
			}
			if (nlh->nlmsg_type != wg_family ||
			    wg_blank_nlmsg(nlh, nlh->nlmsg_len) == -1)
				return EPROTO;
			/* a message is never cut: wgwatch parses whole ones */
			if (nlh->nlmsg_len > sizeof(r->out.chunk))
				return EMSGSIZE;
			relay_put(&r->out, nlh, nlh->nlmsg_len);
		}
	}
}

/* A kernel interface: the dump, started over while it is interrupted. */
static int
nl_dump(struct wgrelay *r)
{
	int	attempt, rc;

	if (nl_open() == -1 || (wg_family == 0 && nl_family() == -1))
		return ENOENT;		/* no wireguard module */
	for (attempt = 0; attempt < WG_DUMP_RETRIES; attempt++) {
		r->out.len = 0;
		if ((rc = nl_dump_once(r)) == 0)
			return 0;
		if (rc != EINTR) {
			/* a module reloaded since has another family id */
			wg_family = 0;
			return rc == ENODEV ? ENOENT : rc;
		}
		relay_reset(&r->out);
	}
	return EAGAIN;
}

/* wgwatch's request: a poll of one configured interface. */
static void
wgrelay_poll(const struct source_conf *w)
{
	struct wgrelay	*r;
	int		 uapi_errno, rc;

	if ((r = relay_find(w->name)) == NULL)
		fatalx("wireguard %s has no relay", w->name);
	if (r->busy)
		fatalx("wgwatch polls %s twice at once", w->name);
	r->out.format = SRC_FMT_UAPI;
	if (uapi_request(r) == 0)
		return;
	uapi_errno = errno;
	r->out.format = SRC_FMT_NETLINK;
	rc = nl_dump(r);
	if (rc == ENOENT) {
		/* neither: say why the UAPI socket did not answer */
		r->out.format = SRC_FMT_NONE;
		relay_end(&r->out, uapi_errno);
		return;
	}
	relay_end(&r->out, rc);
}
