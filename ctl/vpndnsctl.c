/*
 * vpndnsctl: talks to a running vpndnsd over its control socket.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "imsg.h"
#include "json.h"
#include "vpndnsd.h"

enum action {
	PLAIN,			/* the request alone */
	LISTING,		/* lines; with -j, JSON objects */
	LOG_VERBOSE,
	LOG_BRIEF,
	FLUSH,
	LOOKUP
};

static const struct command {
	const char	*words[3];
	enum action	 action;
	uint16_t	 type;		/* the request */
	const char	*args;		/* what may follow, for usage */
} commands[] = {
	{ { "reload" },			PLAIN, IMSG_CTL_RELOAD, NULL },
	{ { "log", "verbose" },		LOG_VERBOSE, IMSG_CTL_LOG_VERBOSE, NULL },
	{ { "log", "brief" },		LOG_BRIEF, IMSG_CTL_LOG_VERBOSE, NULL },
	{ { "show", "status" },		PLAIN, IMSG_CTL_SHOW_STATUS, NULL },
	{ { "show", "records" },	LISTING, IMSG_CTL_SHOW_RECORDS, NULL },
	{ { "show", "peers" },		LISTING, IMSG_CTL_SHOW_PEERS, NULL },
	{ { "show", "forwarders" },	LISTING, IMSG_CTL_SHOW_FORWARDERS, NULL },
	{ { "show", "blocklists" },	LISTING, IMSG_CTL_SHOW_BLOCKLISTS, NULL },
	{ { "show", "metrics" },	PLAIN, IMSG_CTL_SHOW_METRICS, NULL },
	{ { "flush" },			FLUSH, IMSG_CTL_FLUSH, "[group | name]" },
	{ { "lookup" },			LOOKUP, IMSG_CTL_LOOKUP,
					    "name [type] [from address]" },
};

static int	json;	/* -j */

struct replies {
	struct ctl_info		info;
	struct frontend_stats	fe;
	struct resolver_stats	res;
	struct source_stats	src[SRC_MAX];
	int			nsrc;
	int			nlines;		/* -j: objects printed */
	int			have_info, have_fe, have_res;
	int			ok;
};

static void
usage(void)
{
	size_t	i, j;

	fprintf(stderr, "usage: vpndnsctl [-j] [-s socket] command\n"
	    "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		fprintf(stderr, "\t");
		for (j = 0; j < 3 && commands[i].words[j]; j++)
			fprintf(stderr, "%s%s", j ? " " : "",
			    commands[i].words[j]);
		if (commands[i].args != NULL)
			fprintf(stderr, " %s", commands[i].args);
		fprintf(stderr, "\n");
	}
	exit(1);
}

/* The command; *nargs says how many words after it are its arguments. */
static const struct command *
parse_command(int argc, char *argv[], int *nargs)
{
	size_t	i;
	int	j;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		for (j = 0; j < argc && j < 3 && commands[i].words[j]; j++)
			if (strcmp(argv[j], commands[i].words[j]) != 0)
				break;
		if (j < 3 && commands[i].words[j] != NULL)
			continue;
		if (j < argc && commands[i].args == NULL)
			continue;
		*nargs = argc - j;
		return &commands[i];
	}
	return NULL;
}

/* lookup NAME [TYPE] [from ADDRESS] */
static void
parse_lookup(int argc, char *argv[], struct ctl_lookup *lk)
{
	int	i = 1;

	memset(lk, 0, sizeof(*lk));
	if (argc < 1 || strlcpy(lk->name, argv[0], sizeof(lk->name)) >=
	    sizeof(lk->name))
		usage();
	lk->qtype = 1;
	if (i < argc && strcmp(argv[i], "from") != 0) {
		if ((lk->qtype = ldns_get_rr_type_by_name(argv[i])) == 0)
			errx(1, "unknown type %s", argv[i]);
		i++;
	}
	if (i < argc) {
		if (strcmp(argv[i], "from") != 0 || i + 2 != argc)
			usage();
		if (inet_pton(AF_INET, argv[i + 1],
		    &lk->from.sin.sin_addr) == 1)
			lk->from.sin.sin_family = AF_INET;
		else if (inet_pton(AF_INET6, argv[i + 1],
		    &lk->from.sin6.sin6_addr) == 1)
			lk->from.sin6.sin6_family = AF_INET6;
		else
			errx(1, "%s is not an address", argv[i + 1]);
	}
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "socket path %s is too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		switch (errno) {
		case ENOENT:
		case ECONNREFUSED:
			errx(1, "vpndnsd is not running: %s: %s", path,
			    strerror(errno));
		case EACCES:
			errx(1, "%s: %s (the socket is root's)", path,
			    strerror(errno));
		default:
			errx(1, "cannot reach vpndnsd at %s: %s", path,
			    strerror(errno));
		}
	}
	return fd;
}

static void
print_uptime(time_t started)
{
	long long	up = time(NULL) - started;

	if (up < 0)
		up = 0;
	printf("vpndnsd up %lldd %02lld:%02lld:%02lld\n", up / 86400,
	    up / 3600 % 24, up / 60 % 60, up % 60);
}

/* How a source was read, or why not: the status line and JSON. */
static const char *
source_state(const struct source_stats *w)
{
	static const char	*fmts[SRC_FMTS] = {
		[SRC_FMT_NONE] = "not found",
		[SRC_FMT_UAPI] = "userspace",
		[SRC_FMT_NETLINK] = "kernel",
		[SRC_FMT_VICI] = "connected",
		[SRC_FMT_STATUS] = "read",
	};

	if (w->format != SRC_FMT_NONE && w->format < SRC_FMTS)
		return fmts[w->format];
	return w->kind == SRC_IPSEC ? "not connected" : w->kind ==
	    SRC_OPENVPN ? "not read" : "not found";
}

static void
print_source(const struct source_stats *w)
{
	printf("%s %s: %s", src_kind_name(w->kind), w->name, source_state(w));
	if (w->error != 0)
		printf(" (%s)", strerror(w->error));
	printf(", %u peers, ", w->peers);
	if (w->kind == SRC_IPSEC)
		printf("%llu reads (%llu failed)",
		    (unsigned long long)w->polls,
		    (unsigned long long)w->failures);
	else
		printf("%llu polls (%llu failed%s), last %.1f ms, max %.1f ms",
		    (unsigned long long)w->polls,
		    (unsigned long long)w->failures, w->incomplete ?
		    ", some mid-rewrite" : "", w->last_usec / 1000.0,
		    w->max_usec / 1000.0);
	printf(", %llu changes sent\n", (unsigned long long)w->changes);
}

/* Counters of one table as lines of "word N, word N", a line each. */
static void
print_fields(const struct stat_field *f, const void *st)
{
	const struct stat_field	*line = NULL;

	for (; f->field != NULL; f++) {
		if (line == NULL || strcmp(line->line, f->line) != 0) {
			printf("%s%-9s ", line == NULL ? "" : "\n", f->line);
			line = f;
		} else
			printf(", ");
		printf("%s %llu", f->word, (unsigned long long)
		    *(const uint64_t *)((const char *)st + f->off));
	}
	if (line != NULL)
		printf("\n");
}

static void
print_status(const struct replies *r)
{
	int	i;

	if (r->have_info) {
		printf("version   %s\n", r->info.version);
		printf("config    %s\n", r->info.conffile);
		print_uptime(r->info.started);
		printf("pid       parent %ld, frontend %ld, resolver %ld, "
		    "wgwatch %ld\n", (long)r->info.pid[PROC_PARENT],
		    (long)r->info.pid[PROC_FRONTEND],
		    (long)r->info.pid[PROC_RESOLVER],
		    (long)r->info.pid[PROC_WGWATCH]);
	}
	if (r->have_fe)
		print_fields(frontend_stat_fields, &r->fe);
	if (r->have_res) {
		printf("resolver  queries %llu, noerror %llu, nxdomain %llu, "
		    "refused %llu, servfail %llu, truncated %llu, "
		    "dropped %llu\n",
		    (unsigned long long)r->res.queries,
		    (unsigned long long)r->res.noerror,
		    (unsigned long long)r->res.nxdomain,
		    (unsigned long long)r->res.refused,
		    (unsigned long long)r->res.servfail,
		    (unsigned long long)r->res.truncated,
		    (unsigned long long)r->res.dropped);
		printf("local     %llu domains, %llu records, %llu peers\n",
		    (unsigned long long)r->res.domains,
		    (unsigned long long)r->res.records,
		    (unsigned long long)r->res.peers);
		printf("cache     hits %llu, misses %llu, %llu entries, %llu "
		    "bytes; forwarded %llu\n",
		    (unsigned long long)r->res.cache_hits,
		    (unsigned long long)r->res.cache_misses,
		    (unsigned long long)r->res.cache_entries,
		    (unsigned long long)r->res.cache_bytes,
		    (unsigned long long)r->res.forwarded);
		printf("blocked   %llu\n", (unsigned long long)r->res.blocked);
	}
	for (i = 0; i < r->nsrc; i++)
		print_source(&r->src[i]);
}


static void
json_fields(struct json *j, const char *name, const void *st,
    const struct stat_field *f)
{
	json_object(j, name);
	for (; f->field != NULL; f++)
		json_uint(j, f->field,
		    *(const uint64_t *)((const char *)st + f->off));
	json_close(j);
}

/* show status for scripts: one JSON object. */
static void
print_status_json(const struct replies *r)
{
	static char	buf[65536];
	const struct source_stats	*w;
	struct json			 j;
	int				 i;
	uint32_t			 k;

	json_init(&j, buf, sizeof(buf));
	json_object(&j, NULL);
	json_str(&j, "version", r->have_info ? r->info.version : "");
	json_str(&j, "config", r->have_info ? r->info.conffile : "");
	json_int(&j, "started", r->have_info ? (long long)r->info.started : 0);
	if (r->have_info) {
		json_object(&j, "pid");
		json_int(&j, "parent", r->info.pid[PROC_PARENT]);
		json_int(&j, "frontend", r->info.pid[PROC_FRONTEND]);
		json_int(&j, "resolver", r->info.pid[PROC_RESOLVER]);
		json_int(&j, "wgwatch", r->info.pid[PROC_WGWATCH]);
		json_close(&j);
	}
	if (r->have_fe)
		json_fields(&j, "frontend", &r->fe, frontend_stat_fields);
	if (r->have_res)
		json_fields(&j, "resolver", &r->res, resolver_stat_fields);
	/* an array per kind; a WireGuard source is its "interface" */
	for (k = 0; k < SRC_KINDS; k++) {
		json_array(&j, src_kind_name(k));
		for (i = 0; i < r->nsrc; i++) {
			w = &r->src[i];
			if (w->kind != k)
				continue;
			json_object(&j, NULL);
			json_str(&j, k == SRC_WIREGUARD ? "interface" : "name",
			    w->name);
			json_str(&j, "kind", k != SRC_WIREGUARD ?
			    source_state(w) : w->format == SRC_FMT_UAPI ?
			    "userspace" : w->format == SRC_FMT_NETLINK ?
			    "kernel" : "none");
			json_int(&j, "error", w->error);
			json_uint(&j, "peers", w->peers);
			json_uint(&j, "polls", w->polls);
			json_uint(&j, "failures", w->failures);
			json_uint(&j, "incomplete", w->incomplete);
			json_uint(&j, "changes", w->changes);
			json_uint(&j, "last_usec", w->last_usec);
			json_uint(&j, "max_usec", w->max_usec);
			json_close(&j);
		}
		json_close(&j);
	}
	json_close(&j);
	if (json_end(&j) == -1)
		errx(1, "the status is too long to print as JSON");
	printf("%s\n", buf);
}

#define COPY_REPLY(dst, flag) do {					\
	if (imsg->len != sizeof(dst))					\
		errx(1, "bad reply %u of %zu bytes", imsg->hdr.type,	\
		    imsg->len);						\
	memcpy(&(dst), imsg->data, sizeof(dst));			\
	(flag) = 1;							\
} while (0)

/* Returns 1 at the end of the replies. */
static int
handle_reply(const struct imsg *imsg, struct replies *r)
{
	struct ctl_result	res;

	switch (imsg->hdr.type) {
	case IMSG_CTL_INFO:
		COPY_REPLY(r->info, r->have_info);
		r->info.conffile[sizeof(r->info.conffile) - 1] = '\0';
		r->info.version[sizeof(r->info.version) - 1] = '\0';
		break;
	case IMSG_CTL_FRONTEND_STATS:
		COPY_REPLY(r->fe, r->have_fe);
		break;
	case IMSG_CTL_RESOLVER_STATS:
		COPY_REPLY(r->res, r->have_res);
		break;
	case IMSG_CTL_SOURCE_STATS:
		if (r->nsrc == SRC_MAX)
			errx(1, "too many sources in the reply");
		if (imsg->len != sizeof(r->src[0]))
			errx(1, "bad source reply");
		memcpy(&r->src[r->nsrc], imsg->data, sizeof(r->src[0]));
		r->src[r->nsrc].name[sizeof(r->src[0].name) - 1] = '\0';
		r->nsrc++;
		break;
	case IMSG_CTL_TEXT:
		if (imsg->len == 0 || imsg->data[imsg->len - 1] != '\0')
			errx(1, "bad text reply");
		/* with -j, the lines are objects of one array */
		if (json)
			printf("%s%s", r->nlines++ ? ",\n  " : "[\n  ",
			    (const char *)imsg->data);
		else
			printf("%s\n", (const char *)imsg->data);
		break;
	case IMSG_CTL_RESULT:
		if (imsg->len != sizeof(res))
			errx(1, "bad result reply");
		memcpy(&res, imsg->data, sizeof(res));
		res.msg[sizeof(res.msg) - 1] = '\0';
		if (res.ok)
			printf("%s\n", res.msg);
		else
			fprintf(stderr, "vpndnsctl: %s\n", res.msg);
		r->ok = res.ok;
		break;
	case IMSG_CTL_END:
		return 1;
	default:
		errx(1, "unexpected reply %u", imsg->hdr.type);
	}
	return 0;
}

static int
run(int fd, const struct command *cmd, int argc, char *argv[])
{
	struct imsgbuf		ibuf;
	struct imsg		imsg;
	struct replies		r;
	struct ctl_lookup	lk;
	char			arg[DNAME_TEXT_MAX];
	uint32_t		flag;
	ssize_t			n;
	int			v, done = 0, rc = -1;

	memset(&r, 0, sizeof(r));
	r.ok = 1;
	imsgbuf_init(&ibuf, fd, 0, IMSG_MAX_SIZE);
	switch (cmd->action) {
	case PLAIN:
		rc = imsg_compose(&ibuf, cmd->type, 0, -1, NULL, 0);
		break;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		v = cmd->action == LOG_VERBOSE;
		rc = imsg_compose(&ibuf, cmd->type, 0, -1, &v, sizeof(v));
		break;
	case LISTING:
		flag = json;
		rc = imsg_compose(&ibuf, cmd->type, 0, -1, &flag,
		    sizeof(flag));
		break;
	case FLUSH:
		memset(arg, 0, sizeof(arg));
		if (argc > 1 || (argc == 1 && strlcpy(arg, argv[0],
		    sizeof(arg)) >= sizeof(arg)))
			usage();
		rc = imsg_compose(&ibuf, cmd->type, 0, -1, arg, sizeof(arg));
		break;
	case LOOKUP:
		parse_lookup(argc, argv, &lk);
		rc = imsg_compose(&ibuf, cmd->type, 0, -1, &lk, sizeof(lk));
		break;
	}
	if (rc == -1 || imsgbuf_write(&ibuf) == -1)
		err(1, "write");
	while (!done) {
		if ((n = imsgbuf_read(&ibuf)) == -1)
			err(1, "read");
		if (n == 0)
			errx(1, "vpndnsd closed the connection");
		while (!done && (rc = imsg_get(&ibuf, &imsg)) > 0)
			done = handle_reply(&imsg, &r);
		if (rc == -1)
			errx(1, "bad reply from vpndnsd");
	}
	if (cmd->action == LISTING && json)
		printf("%s]\n", r.nlines ? "\n" : "[");
	if (cmd->type == IMSG_CTL_SHOW_STATUS && json)
		print_status_json(&r);
	else if (cmd->type == IMSG_CTL_SHOW_STATUS)
		print_status(&r);
	imsgbuf_clear(&ibuf);
	return r.ok ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	const struct command	*cmd;
	const char		*sockpath = VPNDNSD_SOCKET;
	int			 ch, nargs;

	while ((ch = getopt(argc, argv, "js:")) != -1) {
		switch (ch) {
		case 's':
			sockpath = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 || (cmd = parse_command(argc, argv, &nargs)) == NULL)
		usage();
	if (json && cmd->type != IMSG_CTL_SHOW_STATUS && cmd->action != LISTING)
		errx(1, "-j: only show status, peers, forwarders, blocklists "
		    "and records have a JSON form (show metrics is Prometheus "
		    "text)");
	return run(ctl_connect(sockpath), cmd, nargs, argv + argc - nargs);
}
