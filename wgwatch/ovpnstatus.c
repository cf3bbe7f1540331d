/*
 * An OpenVPN server's status file ("status FILE N"), as the parent read
 * it: versions 2 (commas) and 3 (tabs), told apart by the separator of
 * their first line, TITLE; each names its columns in HEADER lines, and
 * CLIENT_LIST rows are read by the HEADER before them:
 *
 *	TITLE,OpenVPN 2.6.14 ...
 *	TIME,2026-12-03 03:00:46,1796266846
 *	HEADER,CLIENT_LIST,Common Name,Real Address,Virtual Address,
 *	    Virtual IPv6 Address,...,Connected Since (time_t),...
 *	CLIENT_LIST,Bob's Phone,203.0.113.3:35970,10.67.0.3,fd67::1001,...
 *	HEADER,ROUTING_TABLE,...
 *	ROUTING_TABLE,...
 *	GLOBAL_STATS,...
 *	END
 *
 * OpenVPN rewrites the file in place (a write(2) a line, then
 * ftruncate), so a reading may hold a new head and the old tail, or
 * stop short.  The old tail ends in END until the ftruncate, and its
 * lines are whole more often than not, so neither END nor lines that
 * parse prove a reading whole: CLIENT_LIST and ROUTING_TABLE must also
 * agree (each client's virtual addresses routed to it, each route's
 * client listed), which a head and a tail of two rewrites do not when
 * a client came or went between them.  Only a reading whose first line
 * is TITLE, whose last is its one END, whose every line is whole and
 * parses, and whose two tables agree is taken; anything else keeps the
 * last reading (take: 0) and is read again.  Version 1 (no HEADER
 * lines, no virtual addresses) is never whole.
 * A client is known by its common name; its addresses are the virtual
 * ones, its session began at "Connected Since (time_t)".  A row whose
 * name is still UNDEF (not authenticated yet) is no client.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "wgwatch.h"

#define STATUS_LINE_MAX		4096
#define STATUS_FIELDS_MAX	32

/* A virtual address and the common name it belongs to. */
struct route {
	char		 cn[PEER_KEY_MAX];
	char		 addr[64];
};

struct routes {
	struct route	*v;
	size_t		 n;
	size_t		 cap;
};

struct status {
	char		 line[STATUS_LINE_MAX];
	size_t		 len;
	size_t		 lines;
	char		 sep;		/* ',' (2) or '\t' (3) */
	int		 ended;		/* END was its last line so far */
	int		 bad;		/* not whole: 'err' says why */
	/* CLIENT_LIST's columns, from its HEADER; -1: none */
	int		 ncols;
	int		 cn, v4, v6, since;
	/* ROUTING_TABLE's */
	int		 rt_ncols;
	int		 rt_addr, rt_cn;
	/* what each table says, to compare at the end */
	struct routes	 clients;	/* CLIENT_LIST: addresses */
	struct routes	 routed;	/* ROUTING_TABLE */
	char		 err[128];
};

static void
status_reset(void *st)
{
	struct status	*s = st;
	struct routes	 c = s->clients, r = s->routed;

	memset(s, 0, sizeof(*s));
	s->ncols = s->rt_ncols = -1;
	/* the arrays' memory is kept from reading to reading */
	s->clients = c;
	s->clients.n = 0;
	s->routed = r;
	s->routed.n = 0;
}

static void
status_release(void *st)
{
	struct status	*s = st;

	free(s->clients.v);
	free(s->routed.v);
	memset(&s->clients, 0, sizeof(s->clients));
	memset(&s->routed, 0, sizeof(s->routed));
}

static int
route_add(struct routes *r, const char *cn, const char *addr)
{
	struct route	*v;
	size_t		 ncap;

	if (r->n == 4 * (size_t)SRC_MAX_PEERS)
		return -1;
	if (r->n == r->cap) {
		ncap = r->cap ? r->cap * 2 : 64;
		if ((v = reallocarray(r->v, ncap, sizeof(*v))) == NULL)
			fatal("reallocarray");
		r->v = v;
		r->cap = ncap;
	}
	if (strlcpy(r->v[r->n].cn, cn, sizeof(r->v[0].cn)) >=
	    sizeof(r->v[0].cn) || strlcpy(r->v[r->n].addr, addr,
	    sizeof(r->v[0].addr)) >= sizeof(r->v[0].addr))
		return -1;
	r->n++;
	return 0;
}

static int
route_cmp(const void *a, const void *b)
{
	const struct route	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->cn, y->cn)) != 0)
		return c;
	return strcmp(x->addr, y->addr);
}

static int
cn_cmp(const void *a, const void *b)
{
	return strcmp(((const struct route *)a)->cn,
	    ((const struct route *)b)->cn);
}

/*
 * The two tables agree: every client's virtual address is routed to it,
 * and every route goes to a listed client (a client with no address yet
 * has a row in 'clients' with an empty one).
 */
static int
tables_agree(struct status *s)
{
	size_t	i;

	if (s->routed.n > 0)
		qsort(s->routed.v, s->routed.n, sizeof(struct route),
		    route_cmp);
	if (s->clients.n > 0)
		qsort(s->clients.v, s->clients.n, sizeof(struct route),
		    cn_cmp);
	/* bsearch(3) takes no NULL array, even an empty one */
	for (i = 0; i < s->clients.n; i++)
		if (s->clients.v[i].addr[0] != '\0' && (s->routed.n == 0 ||
		    bsearch(&s->clients.v[i], s->routed.v, s->routed.n,
		    sizeof(struct route), route_cmp) == NULL))
			return 0;
	for (i = 0; i < s->routed.n; i++)
		if (s->clients.n == 0 || bsearch(&s->routed.v[i], s->clients.v,
		    s->clients.n, sizeof(struct route), cn_cmp) == NULL)
			return 0;
	return 1;
}

static int
incomplete(struct status *s, const char *why, size_t line)
{
	if (!s->bad)
		snprintf(s->err, sizeof(s->err), "%s (line %zu)", why, line);
	s->bad = 1;
	return 0;
}

/* The line cut at each separator, in place. */
static int
fields(char *line, char sep, char **f)
{
	int	n = 0;

	for (;;) {
		if (n == STATUS_FIELDS_MAX)
			return -1;
		f[n++] = line;
		if ((line = strchr(line, sep)) == NULL)
			return n;
		*line++ = '\0';
	}
}

/* HEADER,CLIENT_LIST,...: where the columns we read are. */
static int
client_header(struct status *s, char **f, int n)
{
	int	i;

	s->cn = s->v4 = s->v6 = s->since = -1;
	for (i = 2; i < n; i++) {
		if (strcmp(f[i], "Common Name") == 0)
			s->cn = i - 1;
		else if (strcmp(f[i], "Virtual Address") == 0)
			s->v4 = i - 1;
		else if (strcmp(f[i], "Virtual IPv6 Address") == 0)
			s->v6 = i - 1;
		else if (strcmp(f[i], "Connected Since (time_t)") == 0)
			s->since = i - 1;
	}
	if (s->cn == -1 || s->v4 == -1)
		return -1;
	s->ncols = n - 1;
	return 0;
}

static int
vaddr(struct wgpeer *p, const char *text, int af)
{
	struct in6_addr	a;

	if (text[0] == '\0')
		return 0;	/* none of this family */
	if (inet_pton(af, text, &a) != 1)
		return -1;
	wgpeer_add_addr(p, af, &a, af == AF_INET ? 32 : 128);
	return 0;
}

/* HEADER,ROUTING_TABLE,...: the same for the routes. */
static int
route_header(struct status *s, char **f, int n)
{
	int	i;

	s->rt_addr = s->rt_cn = -1;
	for (i = 2; i < n; i++) {
		if (strcmp(f[i], "Virtual Address") == 0)
			s->rt_addr = i - 1;
		else if (strcmp(f[i], "Common Name") == 0)
			s->rt_cn = i - 1;
	}
	if (s->rt_addr == -1 || s->rt_cn == -1)
		return -1;
	s->rt_ncols = n - 1;
	return 0;
}

static int
route_row(struct status *s, char **f, int n)
{
	if (s->rt_ncols == -1 || n != s->rt_ncols || f[s->rt_addr][0] == '\0')
		return -1;
	return route_add(&s->routed, f[s->rt_cn], f[s->rt_addr]);
}

static int
client_row(struct status *s, struct wgtable *t, char **f, int n)
{
	struct wgpeer	*p;
	char		*end;
	long long	 since = 0;

	if (s->ncols == -1 || n != s->ncols)
		return -1;
	if (s->since != -1) {
		since = strtoll(f[s->since], &end, 10);
		if (f[s->since][0] < '0' || f[s->since][0] > '9' ||
		    *end != '\0' || since < 0)
			return -1;
	}
	if (f[s->cn][0] == '\0')
		return -1;
	if (route_add(&s->clients, f[s->cn], f[s->v4]) == -1 ||
	    (s->v6 != -1 && f[s->v6][0] != '\0' &&
	    route_add(&s->clients, f[s->cn], f[s->v6]) == -1))
		return -1;
	if (strcmp(f[s->cn], "UNDEF") == 0)
		return 0;
	if ((p = wgtable_add(t, f[s->cn], strlen(f[s->cn]))) == NULL)
		return -1;
	p->connected = 1;
	p->handshake = since;
	if (vaddr(p, f[s->v4], AF_INET) == -1 ||
	    (s->v6 != -1 && vaddr(p, f[s->v6], AF_INET6) == -1))
		return -1;
	return 0;
}

/* One whole line, NUL-terminated in s->line. */
static void
status_line(struct status *s, struct wgtable *t)
{
	char	*f[STATUS_FIELDS_MAX];
	int	 n;

	s->lines++;
	if (s->ended) {
		incomplete(s, "a line after END", s->lines);
		return;
	}
	if (s->lines == 1) {
		if (strncmp(s->line, "TITLE", 5) != 0 ||
		    (s->line[5] != ',' && s->line[5] != '\t')) {
			incomplete(s, "not a status file of version 2 or 3 "
			    "(no TITLE line)", s->lines);
			return;
		}
		s->sep = s->line[5];
		return;
	}
	if (strcmp(s->line, "END") == 0) {
		s->ended = 1;
		return;
	}
	if ((n = fields(s->line, s->sep, f)) == -1) {
		incomplete(s, "too many fields", s->lines);
		return;
	}
	if (n == 1) {
		incomplete(s, "a line without a separator", s->lines);
		return;
	}
	if (strcmp(f[0], "HEADER") == 0 && strcmp(f[1], "CLIENT_LIST") == 0) {
		if (client_header(s, f, n) == -1)
			incomplete(s, "CLIENT_LIST without a Common Name or "
			    "Virtual Address column", s->lines);
	} else if (strcmp(f[0], "CLIENT_LIST") == 0) {
		if (client_row(s, t, f, n) == -1)
			incomplete(s, "a CLIENT_LIST row that does not "
			    "parse", s->lines);
	} else if (strcmp(f[0], "HEADER") == 0 &&
	    strcmp(f[1], "ROUTING_TABLE") == 0) {
		if (route_header(s, f, n) == -1)
			incomplete(s, "ROUTING_TABLE without a Virtual Address "
			    "or Common Name column", s->lines);
	} else if (strcmp(f[0], "ROUTING_TABLE") == 0) {
		if (route_row(s, f, n) == -1)
			incomplete(s, "a ROUTING_TABLE row that does not "
			    "parse", s->lines);
	}
	/* TIME, GLOBAL_STATS, other HEADERs: not ours */
}

static int
status_feed(void *st, struct wgtable *t, const uint8_t *data, size_t len)
{
	struct status	*s = st;
	const uint8_t	*nl, *end = data + len;
	size_t		 n;

	while (data < end && !s->bad) {
		nl = memchr(data, '\n', end - data);
		n = (nl != NULL ? nl : end) - data;
		if (s->len + n >= sizeof(s->line)) {
			incomplete(s, "a line too long", s->lines + 1);
			break;
		}
		memcpy(s->line + s->len, data, n);
		s->len += n;
		if (nl == NULL)
			break;
		if (memchr(s->line, '\0', s->len) != NULL)
			incomplete(s, "a NUL byte", s->lines + 1);
		else {
			s->line[s->len] = '\0';
			if (s->len > 0 && s->line[s->len - 1] == '\r')
				s->line[s->len - 1] = '\0';
			status_line(s, t);
		}
		s->len = 0;
		data = nl + 1;
	}
	return 0;
}

static int
status_take(void *st, struct wgtable *t)
{
	struct status	*s = st;

	(void)t;
	if (!s->bad && s->len > 0)
		incomplete(s, "a last line without its newline", s->lines + 1);
	if (!s->bad && !s->ended)
		incomplete(s, "no END line: read mid-rewrite", s->lines);
	if (!s->bad && s->rt_ncols == -1)
		incomplete(s, "no ROUTING_TABLE", s->lines);
	if (!s->bad && !tables_agree(s))
		incomplete(s, "CLIENT_LIST and ROUTING_TABLE disagree: read "
		    "mid-rewrite", s->lines);
	return s->bad ? 0 : 1;
}

static const char *
status_err(const void *st)
{
	return ((const struct status *)st)->err;
}

/* A common name is the name its client goes by. */
static void
status_display(const char *key, char *out, size_t len)
{
	strlcpy(out, key, len);
}

const struct parser	status_parser = {
	sizeof(struct status), 1, 1, status_reset, status_feed, status_take,
	status_err, status_release, status_display
};
