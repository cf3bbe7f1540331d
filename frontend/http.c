/*
 * GET /metrics over HTTP, for Prometheus: the frontend's figures, then
 * the resolver's and wgwatch's, as for "vpndnsctl show metrics".  The
 * reader is as small as the job: one request a connection, its head at
 * most HTTP_HEAD_MAX bytes, nothing but GET (or HEAD) of /metrics
 * served, HTTP_MAX_CONNS at once, the DNS ACL at the door.  The answer is
 * HTTP/1.0 with a length, then the close.  Each connection has
 * HTTP_TIMEOUT seconds from accept to the end of its answer, whatever it
 * sends or reads meanwhile: libevent's timeouts restart with every byte,
 * and a reply that never came from the resolver must not hold a slot.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"
#include "log.h"
#include "metrics.h"

#define HTTP_MAX_CONNS		8
#define HTTP_HEAD_MAX		4096
#define HTTP_TIMEOUT		10		/* seconds, accept to close */
#define HTTP_BODY_MAX		(4 * 1024 * 1024)

struct http_conn {
	TAILQ_ENTRY(http_conn)	 entry;
	struct bufferevent	*bev;
	struct event		 deadline;
	struct evbuffer		*body;	/* the metrics, as they come */
	uint32_t		 id;
	int			 head;	/* HEAD: no body */
	int			 waiting;	/* for the resolver */
};

static TAILQ_HEAD(, http_conn)	http_conns = TAILQ_HEAD_INITIALIZER(http_conns);
static struct event		http_ev;
static uint32_t			http_nextid;
static unsigned int		http_nconns;

static void	http_accept(int, short, void *);
static void	http_eventcb(struct bufferevent *, short, void *);

void
http_init(int fd)
{
	event_set(&http_ev, fd, EV_READ | EV_PERSIST, http_accept, NULL);
	if (event_add(&http_ev, NULL) == -1)
		fatal("event_add");
}

static void
http_free(struct http_conn *c)
{
	evtimer_del(&c->deadline);
	TAILQ_REMOVE(&http_conns, c, entry);
	bufferevent_free(c->bev);
	evbuffer_free(c->body);
	free(c);
	http_nconns--;
}

/* Closed once the reply is out. */
static void
http_sent(struct bufferevent *bev, void *arg)
{
	(void)bev;
	http_free(arg);
}

static void
http_reply(struct http_conn *c, const char *status)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	size_t		 len = evbuffer_get_length(c->body);

	if (strcmp(status, "200 OK") != 0) {
		evbuffer_drain(c->body, len);
		evbuffer_add_printf(c->body, "%s\n", status);
		len = evbuffer_get_length(c->body);
	}
	evbuffer_add_printf(out, "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status,
	    strcmp(status, "200 OK") == 0 ?
	    "text/plain; version=0.0.4; charset=utf-8" : "text/plain", len);
	if (!c->head)
		evbuffer_add_buffer(out, c->body);
	bufferevent_disable(c->bev, EV_READ);
	/* the event callback stays: a failed write frees it too */
	bufferevent_setcb(c->bev, NULL, http_sent, http_eventcb, c);
	bufferevent_enable(c->bev, EV_WRITE);
}

static int
http_line(const char *line, void *arg)
{
	struct http_conn	*c = arg;

	if (evbuffer_get_length(c->body) + strlen(line) + 1 > HTTP_BODY_MAX)
		return -1;
	return evbuffer_add_printf(c->body, "%s\n", line) == -1 ? -1 : 0;
}

/* The request line, once the head is whole: what to answer. */
static void
http_request(struct http_conn *c, const char *line)
{
	struct metrics	m = { http_line, c, 0 };
	const char	*path;

	if (strncmp(line, "GET ", 4) == 0)
		path = line + 4;
	else if (strncmp(line, "HEAD ", 5) == 0) {
		path = line + 5;
		c->head = 1;
	} else {
		http_reply(c, strchr(line, ' ') != NULL ?
		    "405 Method Not Allowed" : "400 Bad Request");
		return;
	}
	if (strcmp(path, "/metrics HTTP/1.0") != 0 &&
	    strcmp(path, "/metrics HTTP/1.1") != 0) {
		http_reply(c, strncmp(path, "/", 1) == 0 ? "404 Not Found" :
		    "400 Bad Request");
		return;
	}
	stats_metrics(&m);
	if (m.error || chan_to_resolver(IMSG_CTL_SHOW_METRICS,
	    HTTP_PEERID | c->id, NULL, 0) == -1) {
		http_reply(c, "503 Service Unavailable");
		return;
	}
	c->waiting = 1;
	bufferevent_disable(c->bev, EV_READ);
}

static void
http_readcb(struct bufferevent *bev, void *arg)
{
	struct http_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 end;
	char			*line;

	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos == -1) {
		if (evbuffer_get_length(in) > HTTP_HEAD_MAX)
			http_reply(c, "400 Bad Request");
		return;
	}
	if (end.pos > HTTP_HEAD_MAX ||
	    (line = evbuffer_readln(in, NULL, EVBUFFER_EOL_CRLF_STRICT)) ==
	    NULL) {
		http_reply(c, "400 Bad Request");
		return;
	}
	http_request(c, line);
	free(line);
}

static void
http_eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	/* a client gone, or a write failed: its reply, if on its way, is not */
	http_free(arg);
}

static void
http_expired(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	http_free(arg);
}

static struct http_conn *
http_new(int s)
{
	struct http_conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	/* the bufferevent takes the socket only when it is made */
	if ((c->body = evbuffer_new()) == NULL ||
	    (c->bev = bufferevent_socket_new(NULL, s, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL) {
		if (c->body != NULL)
			evbuffer_free(c->body);
		free(c);
		return NULL;
	}
	return c;
}

static void
http_accept(int fd, short event, void *arg)
{
	static long long	 last;
	struct http_conn	*c;
	union sockunion		 su;
	struct timeval		 tv = { HTTP_TIMEOUT, 0 };
	socklen_t		 len = sizeof(su);
	const char		*why;
	int			 s;

	(void)event;
	(void)arg;
	if ((s = accept4(fd, &su.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED && log_ratelimit(&last))
			log_warn("metrics accept");
		return;
	}
	(void)sockunion_unmap(&su);
	if ((why = !acl_match(PLIST_ALLOW, &su) ? "not in the ACL" :
	    http_nconns >= HTTP_MAX_CONNS ? "too many open" : NULL) != NULL ||
	    (c = http_new(s)) == NULL) {
		if (log_ratelimit(&last))
			log_warnx("metrics connection from %s refused: %s",
			    sockunion_ntop(&su), why != NULL ? why :
			    "out of memory");
		close(s);
		return;
	}
	c->id = http_nextid++ & ~HTTP_PEERID;
	bufferevent_setcb(c->bev, http_readcb, NULL, http_eventcb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HTTP_HEAD_MAX + 1);
	evtimer_set(&c->deadline, http_expired, c);
	evtimer_add(&c->deadline, &tv);
	bufferevent_enable(c->bev, EV_READ);
	TAILQ_INSERT_TAIL(&http_conns, c, entry);
	http_nconns++;
}

/* The resolver's and wgwatch's lines for a request, then its end. */
void
http_relay(const struct imsg *imsg)
{
	struct http_conn	*c;

	TAILQ_FOREACH(c, &http_conns, entry)
		if (c->waiting && c->id == (imsg->hdr.peerid & ~HTTP_PEERID))
			break;
	if (c == NULL)
		return;		/* it went away meanwhile */
	switch (imsg->hdr.type) {
	case IMSG_CTL_TEXT:
		if (imsg->len == 0 || imsg->data[imsg->len - 1] != '\0')
			fatalx("bad IMSG_CTL_TEXT");
		if (http_line((const char *)imsg->data, c) == -1) {
			c->waiting = 0;
			http_reply(c, "500 Internal Server Error");
		}
		break;
	case IMSG_CTL_END:
		c->waiting = 0;
		http_reply(c, "200 OK");
		break;
	case IMSG_CTL_RESULT:
		break;	/* an error: its END follows */
	default:
		fatalx("unexpected reply %u for metrics", imsg->hdr.type);
	}
}
