/*
 * vpndnsd: the parent process.  It reads the configuration, opens the
 * sockets, re-executes itself once per child (each child then locks itself
 * into an empty chroot as an unprivileged user under seccomp), hands the
 * children their descriptors and configuration, and watches over them.
 * It never reads a byte from the network.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "frontend.h"
#include "imsgev.h"
#include "log.h"
#include "logrelay.h"
#include "parent.h"
#include "resolver.h"
#include "wgwatch.h"

#define SHUTDOWN_WAIT_MS	2000

struct child {
	const char	*name;
	const char	*flag;
	pid_t		 pid;
	struct imsgev	 iev;
	int		 up;
	struct timespec	 answered;	/* its latest heartbeat */
};

static struct {
	struct vpndnsd_conf	*conf;
	const char		*conffile;
	const char		*sockpath;
	char			 exe[PATH_MAX];
	struct sockaddr_un	 notify;	/* systemd's; family 0: none */
	socklen_t		 notifylen;
	time_t			 started;
	int			 debug;
	int			 verbose;
	int			 pidfd;
	int			 ctlfd;
	struct child		 child[PROC_MAX];
	struct event		 ev_sighup, ev_sigterm, ev_sigint, ev_sigchld;
	struct event		 ev_heartbeat;
} parent = {
	.child = {
		[PROC_FRONTEND] = { .name = "frontend", .flag = "-F" },
		[PROC_RESOLVER] = { .name = "resolver", .flag = "-R" },
		[PROC_WGWATCH] = { .name = "wgwatch", .flag = "-W" },
	},
};

static void	parent_dispatch_child(int, short, void *);
static void	parent_send_config(struct vpndnsd_conf *);
static void	parent_shutdown(int) __attribute__((__noreturn__));

static void
usage(void)
{
	fprintf(stderr, "usage: vpndnsd [-dnv] [-f file] [-s socket]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char	*conffile = VPNDNSD_CONF, *sockpath = VPNDNSD_SOCKET;
	const char	*user = NULL, *root = NULL;
	int		 ch, debug = 0, noaction = 0, verbose = 0;
	enum proc_id	 proc = PROC_PARENT;

	setproctitle_init(argc, argv, environ);
	while ((ch = getopt(argc, argv, "C:df:FnRs:u:vW")) != -1) {
		switch (ch) {
		case 'C':
			root = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'F':
			proc = PROC_FRONTEND;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'R':
			proc = PROC_RESOLVER;
			break;
		case 's':
			sockpath = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'W':
			proc = PROC_WGWATCH;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (proc != PROC_PARENT) {
		/* a child, re-executed by the parent with its channel on 3 */
		if (user == NULL || root == NULL)
			errx(1, "children are started by vpndnsd itself");
		if (proc == PROC_FRONTEND)
			frontend_main(debug, verbose, user, root);
		if (proc == PROC_WGWATCH)
			wgwatch_main(debug, verbose, user, root);
		resolver_main(debug, verbose, user, root);
	}
	if (noaction) {
		struct vpndnsd_conf *conf;

		log_init(1, LOG_DAEMON);
		if ((conf = parse_config(conffile)) == NULL)
			exit(1);
		/* -nv: the configuration too, its secrets masked */
		if (verbose)
			print_config(stdout, conf);
		fprintf(stderr, "configuration OK\n");
		config_free(conf);
		exit(0);
	}
	parent.conffile = conffile;
	parent.sockpath = sockpath;
	/* daemon(3) moves to /: reloads need the path from there */
	if ((conffile = realpath(conffile, NULL)) == NULL)
		err(1, "%s", parent.conffile);
	parent.conffile = conffile;
	if (sockpath[0] != '/')
		errx(1, "the control socket path must be absolute: %s",
		    sockpath);
	parent.debug = debug;
	parent.verbose = verbose;
	parent_main(debug, verbose, conffile, sockpath);
}

/*
 * The chroot of the children must be an empty directory only root can
 * write to; it is made when missing (its parent must exist).
 */
static void
parent_check_chroot(const char *path)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;

	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		fatal("cannot create the chroot directory %s", path);
	if (lstat(path, &sb) == -1)
		fatal("chroot directory %s", path);
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != 0 ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH)))
		fatalx("chroot directory %s must be a directory owned by "
		    "root and writable by root only", path);
	if ((d = opendir(path)) == NULL)
		fatal("chroot directory %s", path);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			fatalx("chroot directory %s must be empty (it holds "
			    "\"%s\")", path, de->d_name);
	closedir(d);
}

/* One vpndnsd per pidfile: the lock lives as long as the parent. */
static void
parent_lock_pidfile(const char *path)
{
	char	buf[32];
	ssize_t	n;

	if ((parent.pidfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644))
	    == -1)
		fatal("pidfile %s", path);
	if (flock(parent.pidfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			fatal("lock %s", path);
		n = pread(parent.pidfd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fatalx("vpndnsd is already running (pid %s, pidfile %s)",
		    buf[0] ? buf : "unknown", path);
	}
}

static void
parent_write_pidfile(void)
{
	char	buf[32];
	int	len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(parent.pidfd, 0) == -1 ||
	    pwrite(parent.pidfd, buf, len, 0) != len)
		fatal("pidfile %s", parent.conf->pidfile);
}

/*
 * UDP answers never leave in fragments (RFC 9715): DF set, the path MTU
 * ignored, so a forged "fragmentation needed" cannot make us fragment.
 * Our answers fit 1232 bytes, so nothing is lost on a working path; a
 * DF datagram also gets IP id 0 instead of a draw from the global pool.
 */
static void
parent_udp_options(int fd, const union sockunion *su)
{
	int	on = 1, probe4 = IP_PMTUDISC_PROBE, probe6 = IPV6_PMTUDISC_PROBE;

	if (su->sa.sa_family == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe4,
		    sizeof(probe4)) == -1)
			fatal("IP_MTU_DISCOVER");
	} else if (setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe6,
	    sizeof(probe6)) == -1 || setsockopt(fd, IPPROTO_IPV6,
	    IPV6_DONTFRAG, &on, sizeof(on)) == -1)
		fatal("IPV6_MTU_DISCOVER");
	/* wildcard sockets must learn each query's destination */
	if (!sockunion_is_wildcard(su))
		return;
	if (su->sa.sa_family == AF_INET && setsockopt(fd, IPPROTO_IP,
	    IP_PKTINFO, &on, sizeof(on)) == -1)
		fatal("IP_PKTINFO");
	if (su->sa.sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_RECVPKTINFO, &on, sizeof(on)) == -1)
		fatal("IPV6_RECVPKTINFO");
}

/*
 * A tunnel's address appears after we start (wg-quick, OpenVPN): bound
 * with IP_FREEBIND, the socket answers once it is added.  Said once, as
 * it may also be a typing error.
 */
static int
parent_freebind(int fd, const union sockunion *su, int say)
{
	int	on = 1;

	if (setsockopt(fd, su->sa.sa_family == AF_INET ? IPPROTO_IP :
	    IPPROTO_IPV6, su->sa.sa_family == AF_INET ? IP_FREEBIND :
	    IPV6_FREEBIND, &on, sizeof(on)) == -1 ||
	    bind(fd, &su->sa, sockunion_len(su)) == -1)
		return -1;
	if (say)
		log_warnx("listen on %s: no interface has this address yet; "
		    "it is answered once one has", sockunion_ntop(su));
	return 0;
}

static int
parent_open_listener(const union sockunion *su, int type)
{
	int	fd, on = 1, rcvbuf = 4 * 1024 * 1024, sndbuf = TCP_SNDBUF;

	if ((fd = socket(su->sa.sa_family, type | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		fatal("socket for %s", sockunion_ntop(su));
	if (su->sa.sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		fatal("IPV6_V6ONLY");
	if (type == SOCK_STREAM) {
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == -1)
			fatal("SO_REUSEADDR");
		/*
		 * Inherited by every connection: what a client does not
		 * read waits in the frontend's bounded queues, not in
		 * megabytes of autotuned kernel buffer per connection.
		 */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    sizeof(sndbuf)) == -1)
			fatal("SO_SNDBUF");
	} else {
		/* room for a burst while the frontend is busy */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		    sizeof(rcvbuf)) == -1)
			log_warn("SO_RCVBUFFORCE on %s", sockunion_ntop(su));
		parent_udp_options(fd, su);
	}
	if (bind(fd, &su->sa, sockunion_len(su)) == -1 &&
	    (errno != EADDRNOTAVAIL ||
	    parent_freebind(fd, su, type == SOCK_DGRAM) == -1))
		fatal("cannot listen on %s (%s)", sockunion_ntop(su),
		    type == SOCK_STREAM ? "tcp" : "udp");
	/* room for a burst of connections while the frontend is busy */
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN) == -1)
		fatal("listen on %s", sockunion_ntop(su));
	return fd;
}

static int
parent_open_control(const char *path)
{
	struct sockaddr_un	sun;
	struct stat		sb;
	mode_t			old;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("control socket path %s is too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("socket");
	/* a live socket means another daemon; a dead one is left over */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("control socket %s is in use by another process", path);
	close(fd);
	if (lstat(path, &sb) == 0 && !S_ISSOCK(sb.st_mode))
		fatalx("%s exists and is not a socket: not replacing it",
		    path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("socket");
	if (unlink(path) == -1 && errno != ENOENT)
		fatal("unlink %s", path);
	old = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", path);
	umask(old);
	if (chmod(path, 0600) == -1)
		fatal("chmod %s", path);
	if (listen(fd, 16) == -1)
		fatal("listen %s", path);
	return fd;
}

static void
parent_exe_path(void)
{
	ssize_t	n;

	n = readlink("/proc/self/exe", parent.exe, sizeof(parent.exe) - 1);
	if (n == -1)
		fatal("readlink /proc/self/exe");
	parent.exe[n] = '\0';
}

/*
 * Fork and re-execute ourselves as child 'p', its channel on fd 3 and
 * nothing else open but stdin, stdout and stderr: a fresh address space
 * layout, no inherited descriptors.
 */
static void
parent_start_child(enum proc_id p)
{
	struct child	*c = &parent.child[p];
	char		*argv[12];
	int		 sp[2], argc = 0, i;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	switch (c->pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		if (sp[1] == PARENT_CHANNEL_FD) {
			if (fcntl(sp[1], F_SETFD, 0) == -1)
				_exit(1);
		} else if (dup2(sp[1], PARENT_CHANNEL_FD) == -1)
			_exit(1);
		closefrom(PARENT_CHANNEL_FD + 1);
		argv[argc++] = parent.exe;
		argv[argc++] = (char *)c->flag;
		argv[argc++] = "-u";
		argv[argc++] = parent.conf->user;
		argv[argc++] = "-C";
		argv[argc++] = parent.conf->chroot;
		if (parent.debug)
			argv[argc++] = "-d";
		for (i = 0; i < parent.verbose && i < 2; i++)
			argv[argc++] = "-v";
		argv[argc] = NULL;
		execv(parent.exe, argv);
		_exit(127);
	}
	close(sp[1]);
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	imsgev_init(&c->iev, sp[0], IMSGBUF_FDS_SEND, CHANNEL_WMAX, parent_dispatch_child, c);
	c->up = 1;
	clock_gettime(CLOCK_MONOTONIC, &c->answered);
}

/*
 * A child stopped (SIGSTOP from a process of its user) or stuck stops
 * answering, unlike one that dies, without a word: after
 * HEARTBEAT_TIMEOUT seconds the daemon goes down all the same, for the
 * service manager to start it again.
 */
static void
parent_heartbeat(int fd, short event, void *arg)
{
	struct timeval	 tv = { HEARTBEAT_INTERVAL, 0 };
	struct timespec	 now;
	struct child	*c;
	int		 p;

	(void)fd;
	(void)event;
	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (p = PROC_FRONTEND; p < PROC_MAX; p++) {
		c = &parent.child[p];
		if (c->pid <= 0 || !c->up)
			continue;
		if (now.tv_sec - c->answered.tv_sec > HEARTBEAT_TIMEOUT) {
			log_warnx("%s (pid %ld) has not answered for %d s: "
			    "stopped or stuck; shutting down", c->name,
			    (long)c->pid, HEARTBEAT_TIMEOUT);
			/* a stopped process would not act on SIGTERM */
			kill(c->pid, SIGKILL);
			parent_shutdown(1);
		}
		if (imsgev_compose(&c->iev, IMSG_HEARTBEAT, 0, -1, NULL, 0) ==
		    -1 && errno != ENOBUFS)
			fatal("%s channel", c->name);
	}
	evtimer_add(&parent.ev_heartbeat, &tv);
}

/*
 * Queue a message for a child.  The parent may queue a whole large
 * configuration at once, so when the channel is full it waits for the
 * child to drain it rather than fail.
 */
static void
parent_compose(enum proc_id p, uint16_t type, uint32_t peerid, int fd,
    const struct iovec *iov, int iovcnt)
{
	struct child	*c = &parent.child[p];
	struct pollfd	 pfd;

	while (imsg_composev(&c->iev.ibuf, type, peerid, fd, iov, iovcnt) ==
	    -1) {
		if (errno != ENOBUFS)
			fatal("compose message %u for the %s", type, c->name);
		pfd.fd = c->iev.ibuf.fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 1000) == -1 && errno != EINTR)
			fatal("poll");
		if (imsgbuf_write(&c->iev.ibuf) == -1)
			fatal("%s channel", c->name);
	}
	imsgev_update(&c->iev);
}

static void
parent_send(enum proc_id p, uint16_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct iovec	iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	parent_compose(p, type, peerid, fd, &iov, len ? 1 : 0);
}

static void
parent_send_record(const struct record_conf *r)
{
	struct record_msg	rm;
	struct iovec		iov[3];

	memset(&rm, 0, sizeof(rm));
	rm.type = r->type;
	rm.ttl = r->ttl;
	rm.namelen = strlen(r->name) + 1;
	rm.rdlen = strlen(r->rdata) + 1;
	iov[0].iov_base = &rm;
	iov[0].iov_len = sizeof(rm);
	iov[1].iov_base = r->name;
	iov[1].iov_len = rm.namelen;
	iov[2].iov_base = r->rdata;
	iov[2].iov_len = rm.rdlen;
	parent_compose(PROC_RESOLVER, IMSG_RECONF_RECORD, 0, -1, iov, 3);
}

/* A declared domain's threshold (the parser saw that it is declared). */
static uint32_t
domain_threshold(const struct vpndnsd_conf *conf, const char *name)
{
	const struct domain_conf	*d;

	TAILQ_FOREACH(d, &conf->domains, entry)
		if (strcmp(d->name, name) == 0)
			return d->threshold;
	fatalx("domain \"%s\" is not declared", name);
}

static void
source_msg(const struct vpndnsd_conf *conf, const struct source_conf *w,
    struct source_msg *sm)
{
	memset(sm, 0, sizeof(*sm));
	strlcpy(sm->name, w->name, sizeof(sm->name));
	strlcpy(sm->domain, w->domain, sizeof(sm->domain));
	sm->kind = w->kind;
	sm->interval = w->interval;
	sm->threshold = domain_threshold(conf, w->domain);
}

/*
 * wgwatch's share of a source: its settings, then the thresholds of
 * its peers named in a domain whose threshold is not the source's.
 */
static void
parent_send_wgwatch(const struct vpndnsd_conf *conf,
    const struct source_conf *w)
{
	const struct peer_conf	*p;
	struct source_msg	 sm;
	struct threshold_msg	 tm;

	source_msg(conf, w, &sm);
	parent_send(PROC_WGWATCH, IMSG_RECONF_SOURCE, 0, -1, &sm, sizeof(sm));
	TAILQ_FOREACH(p, &w->peers, entry) {
		if (p->domain[0] == '\0')
			continue;
		memset(&tm, 0, sizeof(tm));
		tm.threshold = domain_threshold(conf, p->domain);
		if (tm.threshold == sm.threshold)
			continue;
		strlcpy(tm.source, w->name, sizeof(tm.source));
		strlcpy(tm.key, p->key, sizeof(tm.key));
		parent_send(PROC_WGWATCH, IMSG_RECONF_THRESHOLD, 0, -1, &tm,
		    sizeof(tm));
	}
}

static void
parent_send_peername(const struct source_conf *w, const struct peer_conf *p)
{
	struct peername_msg	pm;

	memset(&pm, 0, sizeof(pm));
	strlcpy(pm.source, w->name, sizeof(pm.source));
	strlcpy(pm.key, p->key, sizeof(pm.key));
	strlcpy(pm.name, p->name, sizeof(pm.name));
	strlcpy(pm.display, p->display, sizeof(pm.display));
	strlcpy(pm.domain, p->domain[0] ? p->domain : w->domain,
	    sizeof(pm.domain));
	parent_send(PROC_RESOLVER, IMSG_RECONF_PEERNAME, 0, -1, &pm,
	    sizeof(pm));
}

/*
 * A blocklist: its settings, its allowed names, and the files the parser
 * opened, passed as descriptors (the resolver reads them; list files come
 * from the Internet and are not for root to parse).  A file already
 * passed at an earlier reload is opened again.
 */
static void
parent_send_blocklist(struct blocklist_conf *b)
{
	struct blocklist_msg	bm;
	struct blockitem_msg	bi;
	size_t			i;
	int			fd;

	memset(&bm, 0, sizeof(bm));
	strlcpy(bm.name, b->name, sizeof(bm.name));
	bm.answer = b->answer;
	bm.addr = b->addr;
	parent_send(PROC_RESOLVER, IMSG_RECONF_BLOCKLIST, 0, -1, &bm,
	    sizeof(bm));
	for (i = 0; i < b->nallows; i++) {
		memset(&bi, 0, sizeof(bi));
		strlcpy(bi.list, b->name, sizeof(bi.list));
		strlcpy(bi.text, b->allows[i], sizeof(bi.text));
		parent_send(PROC_RESOLVER, IMSG_RECONF_BLOCKALLOW, 0, -1, &bi,
		    sizeof(bi));
	}
	for (i = 0; i < b->nfiles; i++) {
		memset(&bi, 0, sizeof(bi));
		strlcpy(bi.list, b->name, sizeof(bi.list));
		strlcpy(bi.text, b->files[i], sizeof(bi.text));
		if ((fd = b->fds[i]) == -1 &&
		    (fd = open(b->files[i], O_RDONLY | O_CLOEXEC)) == -1) {
			log_warn("blocklist \"%s\": %s", b->name, b->files[i]);
			continue;
		}
		b->fds[i] = -1;		/* the channel's now */
		parent_send(PROC_RESOLVER, IMSG_RECONF_BLOCKFILE, 0, fd, &bi,
		    sizeof(bi));
	}
}

/* The parser made sure a rule fits in one message. */
static void
parent_send_match(const struct match_conf *m)
{
	struct match_msg	 mm;
	size_t			 i, n = 0;
	struct iovec		*v;

	memset(&mm, 0, sizeof(mm));
	mm.action = m->action;
	mm.line = m->line;
	mm.nfrom = m->nfrom;
	mm.nquery = m->nquery;
	mm.nblock = m->nblock;
	strlcpy(mm.group, m->group, sizeof(mm.group));
	if ((v = calloc(3 + m->nquery, sizeof(*v))) == NULL)
		fatal("calloc");
	v[n].iov_base = &mm;
	v[n++].iov_len = sizeof(mm);
	v[n].iov_base = m->from;
	v[n++].iov_len = m->nfrom * sizeof(*m->from);
	for (i = 0; i < m->nquery; i++) {
		v[n].iov_base = m->query[i];
		v[n++].iov_len = strlen(m->query[i]) + 1;
	}
	v[n].iov_base = m->block;
	v[n++].iov_len = m->nblock * BL_NAME_MAX;
	parent_compose(PROC_RESOLVER, IMSG_RECONF_MATCH, 0, -1, v, n);
	free(v);
}

/* The relays' channel (relay_send_fn): they hold no pointer to ours. */
static void
parent_to_wgwatch(uint16_t type, const struct iovec *iov, int iovcnt)
{
	parent_compose(PROC_WGWATCH, type, 0, -1, iov, iovcnt);
}

/* The relay of each kind of source (enum src_kind). */
static const struct relay *const relays[SRC_KINDS] = {
	[SRC_WIREGUARD] = &wg_relay,
	[SRC_IPSEC] = &vici_relay,
	[SRC_OPENVPN] = &ovpn_relay,
};

static void
parent_relays_reconf(const struct vpndnsd_conf *conf)
{
	int	k;

	for (k = 0; k < SRC_KINDS; k++)
		relays[k]->reconf(conf, parent_to_wgwatch);
}

static void
parent_send_domain(const struct domain_conf *d)
{
	struct domain_msg	dm;

	memset(&dm, 0, sizeof(dm));
	strlcpy(dm.name, d->name, sizeof(dm.name));
	strlcpy(dm.nameserver, d->nameserver, sizeof(dm.nameserver));
	strlcpy(dm.hostmaster, d->hostmaster, sizeof(dm.hostmaster));
	dm.ttl = d->ttl;
	dm.negttl = d->negttl;
	dm.threshold = d->threshold;
	dm.offline_names = d->offline_names;
	parent_send(PROC_RESOLVER, IMSG_RECONF_DOMAIN, 0, -1, &dm, sizeof(dm));
}

/*
 * A forwarder; with its CA file open when a server speaks TLS (the
 * resolver reads it: its chroot has none), libtls's default store unless
 * tls-ca names one.
 */
static void
parent_send_forwarder(const struct forwarder_conf *f)
{
	struct forwarder_msg	fm;
	const char		*ca;
	int			 fd = -1;

	memset(&fm, 0, sizeof(fm));
	strlcpy(fm.name, f->name, sizeof(fm.name));
	memcpy(fm.servers, f->servers, sizeof(fm.servers));
	fm.nservers = f->nservers;
	fm.policy = f->policy;
	fm.timeout_ms = f->timeout_ms;
	fm.cache_size = f->cache_size;
	fm.cache_min_ttl = f->cache_min_ttl;
	fm.cache_max_ttl = f->cache_max_ttl;
	fm.serve_stale = f->serve_stale;
	if (forwarder_has_tls(f)) {
		ca = f->tls_ca[0] != '\0' ? f->tls_ca :
		    tls_default_ca_cert_file();
		if ((fd = open(ca, O_RDONLY | O_CLOEXEC)) == -1)
			log_warn("forwarder \"%s\": tls-ca %s", f->name, ca);
	}
	parent_send(PROC_RESOLVER, IMSG_RECONF_FORWARDER, 0, fd, &fm,
	    sizeof(fm));
}

/* The configuration, as one transaction each child swaps in at its end. */
static void
parent_send_config(struct vpndnsd_conf *conf)
{
	const struct domain_conf	*d;
	const struct record_conf	*r;
	const struct source_conf	*w;
	const struct peer_conf		*p;
	const struct forwarder_conf	*f;
	const struct match_conf		*m;
	struct blocklist_conf		*b;
	struct source_msg		 sm;
	struct prefix_msg		 pm;
	size_t				 i;
	uint32_t			 l;

	parent_send(PROC_FRONTEND, IMSG_RECONF_CONF, 0, -1, &conf->main,
	    sizeof(conf->main));
	for (l = 0; l < PLIST_MAX; l++)
		for (i = 0; i < conf->lists[l].n; i++) {
			pm.list = l;
			pm.p = conf->lists[l].p[i];
			parent_send(PROC_FRONTEND, IMSG_RECONF_PREFIX, 0, -1,
			    &pm, sizeof(pm));
		}
	parent_send(PROC_FRONTEND, IMSG_RECONF_END, 0, -1, NULL, 0);

	parent_send(PROC_RESOLVER, IMSG_RECONF_CONF, 0, -1, &conf->main,
	    sizeof(conf->main));
	TAILQ_FOREACH(d, &conf->domains, entry)
		parent_send_domain(d);
	TAILQ_FOREACH(r, &conf->records, entry)
		parent_send_record(r);
	TAILQ_FOREACH(w, &conf->sources, entry) {
		source_msg(conf, w, &sm);
		parent_send(PROC_RESOLVER, IMSG_RECONF_SOURCE, 0, -1, &sm,
		    sizeof(sm));
		TAILQ_FOREACH(p, &w->peers, entry)
			parent_send_peername(w, p);
	}
	TAILQ_FOREACH(f, &conf->forwarders, entry)
		parent_send_forwarder(f);
	TAILQ_FOREACH(b, &conf->blocklists, entry)
		parent_send_blocklist(b);
	TAILQ_FOREACH(m, &conf->matches, entry)
		parent_send_match(m);
	parent_send(PROC_RESOLVER, IMSG_RECONF_XFR, 0, -1, &conf->xfr,
	    sizeof(conf->xfr));
	for (i = 0; i < conf->nupdates; i++)
		parent_send(PROC_RESOLVER, IMSG_RECONF_UPDATE, 0, -1,
		    &conf->updates[i], sizeof(conf->updates[i]));
	parent_send(PROC_RESOLVER, IMSG_RECONF_END, 0, -1, NULL, 0);

	parent_send(PROC_WGWATCH, IMSG_RECONF_CONF, 0, -1, &conf->main,
	    sizeof(conf->main));
	TAILQ_FOREACH(w, &conf->sources, entry)
		parent_send_wgwatch(conf, w);
	parent_send(PROC_WGWATCH, IMSG_RECONF_END, 0, -1, NULL, 0);
}

static int
listens_equal(const struct vpndnsd_conf *a, const struct vpndnsd_conf *b)
{
	const struct listen_conf	*la, *lb;

	for (la = TAILQ_FIRST(&a->listens), lb = TAILQ_FIRST(&b->listens);
	    la != NULL && lb != NULL;
	    la = TAILQ_NEXT(la, entry), lb = TAILQ_NEXT(lb, entry))
		if (memcmp(&la->addr, &lb->addr, sizeof(la->addr)) != 0)
			return 0;
	return la == NULL && lb == NULL;
}

/*
 * Re-read the configuration.  A broken file changes nothing; settings that
 * only apply at start-up are kept, with a warning.  Returns 0 on success;
 * on failure 'err' says why.
 */
static int
parent_reload(char *err, size_t errlen)
{
	struct vpndnsd_conf	*nconf, *conf = parent.conf;

	log_info("reloading %s", parent.conffile);
	if ((nconf = parse_config(parent.conffile)) == NULL) {
		snprintf(err, errlen, "%s", parse_lasterror()[0] ?
		    parse_lasterror() : "configuration error");
		log_warnx("reload failed, the running configuration stays: "
		    "%s", err);
		return -1;
	}
	if (strcmp(nconf->user, conf->user) != 0 ||
	    strcmp(nconf->chroot, conf->chroot) != 0 ||
	    strcmp(nconf->pidfile, conf->pidfile) != 0 ||
	    !listens_equal(nconf, conf) ||
	    memcmp(&nconf->metrics, &conf->metrics, sizeof(conf->metrics)) != 0)
		log_warnx("user, chroot, pidfile and listen changes take "
		    "effect at the next start");
	config_clear_data(conf);
	conf->main = nconf->main;
	memcpy(conf->lists, nconf->lists, sizeof(conf->lists));
	conf->acl_set = nconf->acl_set;
	memset(nconf->lists, 0, sizeof(nconf->lists));
	TAILQ_CONCAT(&conf->domains, &nconf->domains, entry);
	TAILQ_CONCAT(&conf->records, &nconf->records, entry);
	TAILQ_CONCAT(&conf->sources, &nconf->sources, entry);
	TAILQ_CONCAT(&conf->forwarders, &nconf->forwarders, entry);
	TAILQ_CONCAT(&conf->blocklists, &nconf->blocklists, entry);
	TAILQ_CONCAT(&conf->matches, &nconf->matches, entry);
	config_free(nconf);
	parent_relays_reconf(conf);
	parent_send_config(conf);
	log_info("configuration reloaded");
	return 0;
}

static void
parent_ctl_reload(uint32_t peerid)
{
	struct ctl_result	r;

	memset(&r, 0, sizeof(r));
	r.ok = parent_reload(r.msg, sizeof(r.msg)) == 0;
	if (r.ok)
		strlcpy(r.msg, "configuration reloaded", sizeof(r.msg));
	parent_send(PROC_FRONTEND, IMSG_CTL_RESULT, peerid, -1, &r,
	    sizeof(r));
	parent_send(PROC_FRONTEND, IMSG_CTL_END, peerid, -1, NULL, 0);
}

/* wgwatch asks for a poll of a source: its relay reads it. */
static void
parent_dispatch_wgwatch(const struct imsg *imsg)
{
	const struct source_conf	*w;
	struct source_ref		 m;
	struct relaybuf			*gone;

	if (imsg->hdr.type != IMSG_SRC_POLL || imsg->len != sizeof(m))
		fatalx("unexpected message %u from wgwatch", imsg->hdr.type);
	memcpy(&m, imsg->data, sizeof(m));
	if (memchr(m.name, '\0', sizeof(m.name)) == NULL)
		fatalx("IMSG_SRC_POLL with an unterminated name");
	TAILQ_FOREACH(w, &parent.conf->sources, entry)
		if (strcmp(w->name, m.name) == 0)
			break;
	if (w == NULL) {
		/* asked before wgwatch heard of a reload that removed it */
		if ((gone = calloc(1, sizeof(*gone))) == NULL)
			fatal("calloc");
		relay_start(gone, parent_to_wgwatch, m.name, SRC_FMT_NONE);
		relay_end(gone, ENOENT);
		free(gone);
		return;
	}
	if (relays[w->kind]->poll == NULL)
		fatalx("wgwatch polls %s \"%s\", which relays unasked",
		    src_kind_name(w->kind), m.name);
	relays[w->kind]->poll(w);
}

/*
 * A child's dnstap stream: the children's socket(2) is AF_UNIX-less and
 * their chroot holds no path, so the parent connects to the collector
 * and passes the socket on, or the reason it could not; it reads
 * nothing from it (the child speaks Frame Streams).
 */
static void
parent_dnstap_open(enum proc_id p)
{
	struct sockaddr_un	sun;
	int			fd, err = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, parent.conf->main.dnstap, sizeof(sun.sun_path));
	if (sun.sun_path[0] == '\0')
		err = ENOENT;
	else if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		err = errno;
	else if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		err = errno;
		close(fd);
	}
	parent_send(p, IMSG_DNSTAP_FD, 0, err ? -1 : fd, &err, sizeof(err));
}

static void
parent_dispatch_child(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct child	*c = iev->data;
	struct imsg	 imsg;
	int		 n, v;

	(void)fd;
	if (imsgev_io(iev, event) == -1) {
		/* it is dying: SIGCHLD tells how */
		if (errno != 0)
			log_warn("%s channel", c->name);
		event_del(&iev->ev);
		iev->events = 0;
		c->up = 0;
		return;
	}
	while ((n = imsg_get(&iev->ibuf, &imsg)) > 0) {
		if (imsg.fd != -1)
			fatalx("the %s passed a descriptor", c->name);
		if (imsg.hdr.type == IMSG_LOG) {
			logrelay_recv(&imsg, c->name);
			continue;
		}
		if (imsg.hdr.type == IMSG_HEARTBEAT) {
			if (imsg.len != 0)
				fatalx("bad IMSG_HEARTBEAT from the %s",
				    c->name);
			clock_gettime(CLOCK_MONOTONIC, &c->answered);
			continue;
		}
		if (imsg.hdr.type == IMSG_DNSTAP_OPEN &&
		    c != &parent.child[PROC_WGWATCH]) {
			if (imsg.len != 0)
				fatalx("bad IMSG_DNSTAP_OPEN");
			parent_dnstap_open(c - parent.child);
			continue;
		}
		if (c == &parent.child[PROC_WGWATCH]) {
			parent_dispatch_wgwatch(&imsg);
			continue;
		}
		if (c != &parent.child[PROC_FRONTEND])
			fatalx("unexpected message %u from the %s",
			    imsg.hdr.type, c->name);
		switch (imsg.hdr.type) {
		case IMSG_CTL_RELOAD:
			parent_ctl_reload(imsg.hdr.peerid);
			break;
		case IMSG_CTL_LOG_VERBOSE:
			if (imsg.len != sizeof(v))
				fatalx("bad IMSG_CTL_LOG_VERBOSE");
			memcpy(&v, imsg.data, sizeof(v));
			log_setverbose(v);
			parent_send(PROC_WGWATCH, IMSG_CTL_LOG_VERBOSE, 0, -1,
			    &v, sizeof(v));
			break;
		default:
			fatalx("unexpected message %u from the %s",
			    imsg.hdr.type, c->name);
		}
	}
	if (n == -1)
		fatal("%s channel", c->name);
	imsgev_update(iev);
}

static void
log_child_exit(const char *name, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		log_warnx("%s (pid %ld) was killed by signal %d (%s)%s", name,
		    (long)pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WTERMSIG(status) == SIGSYS ?
		    ": a system call outside its seccomp filter" : "");
	else
		log_warnx("%s (pid %ld) exited with status %d", name,
		    (long)pid, WEXITSTATUS(status));
}

/* A child that dies takes the daemon down: fail closed. */
static void
parent_sigchld(void)
{
	pid_t	pid;
	int	status, p, died = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (p = PROC_FRONTEND; p < PROC_MAX; p++)
			if (parent.child[p].pid == pid) {
				/* its last words first */
				logrelay_drain(&parent.child[p].iev.ibuf,
				    parent.child[p].name);
				log_child_exit(parent.child[p].name, pid,
				    status);
				parent.child[p].pid = 0;
				died = 1;
			}
	if (died) {
		log_warnx("a child process died: shutting down");
		parent_shutdown(1);
	}
}

static void
parent_sig(int sig, short event, void *arg)
{
	char	err[512];

	(void)event;
	(void)arg;
	switch (sig) {
	case SIGHUP:
		parent_reload(err, sizeof(err));
		break;
	case SIGTERM:
	case SIGINT:
		log_info("terminating on signal %d", sig);
		parent_shutdown(0);
	case SIGCHLD:
		parent_sigchld();
		break;
	}
}

/*
 * Once asked to stop, a child's exit is ours, whatever its status (one
 * that sees its peer go first exits 1), and so are SIGTERM and SIGKILL;
 * another signal (SIGSYS, SIGSEGV) is its own end, to be told.
 */
static int
stopped_by_us(int status)
{
	return WIFEXITED(status) || (WIFSIGNALED(status) &&
	    (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGKILL));
}

/* Stop the children (asking first, then not), clean up, exit. */
static void
parent_shutdown(int rc)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	pid_t		 pid;
	int		 p, status, waited, left;

	/* a child already dead died on its own: say how, then ask the rest */
	for (p = PROC_FRONTEND; p < PROC_MAX; p++)
		if (parent.child[p].pid > 0 && waitpid(parent.child[p].pid,
		    &status, WNOHANG) == parent.child[p].pid) {
			log_child_exit(parent.child[p].name,
			    parent.child[p].pid, status);
			parent.child[p].pid = 0;
		}
	for (p = PROC_FRONTEND; p < PROC_MAX; p++)
		if (parent.child[p].pid > 0)
			kill(parent.child[p].pid, SIGTERM);
	for (waited = 0; ; waited += 10) {
		left = 0;
		for (p = PROC_FRONTEND; p < PROC_MAX; p++) {
			if (parent.child[p].pid <= 0)
				continue;
			pid = waitpid(parent.child[p].pid, &status, WNOHANG);
			if (pid == parent.child[p].pid && !stopped_by_us(status))
				log_child_exit(parent.child[p].name, pid, status);
			if (pid == parent.child[p].pid ||
			    (pid == -1 && errno == ECHILD))
				parent.child[p].pid = 0;
			else if (waited >= SHUTDOWN_WAIT_MS)
				kill(parent.child[p].pid, SIGKILL);
			else
				left = 1;
		}
		if (!left || waited > SHUTDOWN_WAIT_MS + 1000)
			break;
		nanosleep(&ts, NULL);
	}
	for (p = PROC_FRONTEND; p < PROC_MAX; p++)
		logrelay_drain(&parent.child[p].iev.ibuf, parent.child[p].name);
	unlink(parent.sockpath);
	unlink(parent.conf->pidfile);
	log_info("terminated");
	exit(rc);
}

static void
parent_setup_signals(void)
{
	signal_set(&parent.ev_sighup, SIGHUP, parent_sig, NULL);
	signal_set(&parent.ev_sigterm, SIGTERM, parent_sig, NULL);
	signal_set(&parent.ev_sigint, SIGINT, parent_sig, NULL);
	signal_set(&parent.ev_sigchld, SIGCHLD, parent_sig, NULL);
	if (signal_add(&parent.ev_sighup, NULL) == -1 ||
	    signal_add(&parent.ev_sigterm, NULL) == -1 ||
	    signal_add(&parent.ev_sigint, NULL) == -1 ||
	    signal_add(&parent.ev_sigchld, NULL) == -1)
		fatal("signal_add");
	signal(SIGPIPE, SIG_IGN);
}

/* A channel between two children, each told who is at the other end. */
static void
parent_pair(enum proc_id a, enum proc_id b)
{
	int	sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	parent_send(a, IMSG_SOCKET_PEER, 0, sp[0], &b, sizeof(b));
	parent_send(b, IMSG_SOCKET_PEER, 0, sp[1], &a, sizeof(a));
}

/* Hand out the sockets, the peer channels and the configuration. */
static void
parent_setup_children(void)
{
	struct startup_msg	 sm;
	struct listen_conf	*l;
	struct listen_msg	 lm;

	parent_pair(PROC_FRONTEND, PROC_RESOLVER);
	parent_pair(PROC_WGWATCH, PROC_RESOLVER);

	memset(&sm, 0, sizeof(sm));
	sm.started = parent.started;
	sm.pid[PROC_PARENT] = getpid();
	sm.pid[PROC_FRONTEND] = parent.child[PROC_FRONTEND].pid;
	sm.pid[PROC_RESOLVER] = parent.child[PROC_RESOLVER].pid;
	sm.pid[PROC_WGWATCH] = parent.child[PROC_WGWATCH].pid;
	strlcpy(sm.conffile, parent.conffile, sizeof(sm.conffile));
	parent_send(PROC_FRONTEND, IMSG_STARTUP, 0, -1, &sm, sizeof(sm));

	parent_send_config(parent.conf);

	TAILQ_FOREACH(l, &parent.conf->listens, entry) {
		memset(&lm, 0, sizeof(lm));
		lm.addr = l->addr;
		parent_send(PROC_FRONTEND, IMSG_LISTEN_UDP, 0, l->udpfd, &lm,
		    sizeof(lm));
		parent_send(PROC_FRONTEND, IMSG_LISTEN_TCP, 0, l->tcpfd, &lm,
		    sizeof(lm));
		l->udpfd = l->tcpfd = -1;	/* the frontend's now */
	}
	parent_send(PROC_FRONTEND, IMSG_CONTROL_FD, 0, parent.ctlfd, NULL, 0);
	if (parent.conf->metricsfd != -1)
		parent_send(PROC_FRONTEND, IMSG_METRICS_FD, 0,
		    parent.conf->metricsfd, NULL, 0);
	parent.conf->metricsfd = -1;
}

/*
 * systemd's readiness protocol (sd_notify(3)) without libsystemd: the
 * socket is taken from the environment at once and the variable removed,
 * so that no child can speak to the service manager; READY=1 goes out
 * once the children have their sockets and configuration.
 */
static void
parent_notify_take(void)
{
	const char	*path = getenv("NOTIFY_SOCKET");
	size_t		 len;

	if (path == NULL)
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof(parent.notify.sun_path))
		log_warnx("NOTIFY_SOCKET \"%s\" is not a socket address: "
		    "systemd will not hear that we are ready", path);
	else {
		parent.notify.sun_family = AF_UNIX;
		memcpy(parent.notify.sun_path, path, len);
		if (path[0] == '@')
			parent.notify.sun_path[0] = '\0';	/* abstract */
		parent.notifylen = offsetof(struct sockaddr_un, sun_path) + len;
	}
	unsetenv("NOTIFY_SOCKET");
}

static void
parent_notify(const char *state)
{
	char	msg[64];
	int	fd, len;

	if (parent.notify.sun_family == 0)
		return;
	len = snprintf(msg, sizeof(msg), "%s\nMAINPID=%ld", state,
	    (long)getpid());
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    sendto(fd, msg, len, 0, (struct sockaddr *)&parent.notify,
	    parent.notifylen) != len)
		log_warn("telling systemd %s", state);
	if (fd != -1)
		close(fd);
}

/* A daemon's standard input and output go nowhere. */
static int
parent_devnull(void)
{
	int	fd;

	if ((fd = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1)
		return -1;
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

void
parent_main(int debug, int verbose, const char *conffile,
    const char *sockpath)
{
	struct vpndnsd_conf	*conf;
	struct listen_conf	*l;

	log_init(1, LOG_DAEMON);
	log_setverbose(verbose);
	parent_notify_take();
	if ((conf = parse_config(conffile)) == NULL)
		exit(1);
	parent.conf = conf;
	if (geteuid() != 0)
		errx(1, "need root privileges");
	if (getpwnam(conf->user) == NULL)
		errx(1, "user \"%s\" does not exist: create it (useradd "
		    "--system --no-create-home --shell /usr/sbin/nologin %s) "
		    "or set another with \"user\" in %s", conf->user,
		    conf->user, conffile);
	parent_check_chroot(conf->chroot);
	parent_exe_path();
	parent_lock_pidfile(conf->pidfile);
	TAILQ_FOREACH(l, &conf->listens, entry) {
		l->udpfd = parent_open_listener(&l->addr, SOCK_DGRAM);
		l->tcpfd = parent_open_listener(&l->addr, SOCK_STREAM);
	}
	conf->metricsfd = conf->metrics.sa.sa_family != 0 ?
	    parent_open_listener(&conf->metrics, SOCK_STREAM) : -1;
	/* last: nothing after it fails, so it is not left behind */
	parent.ctlfd = parent_open_control(sockpath);

	/* stderr stays: where lines go when no syslog socket answers */
	if (!debug && (daemon(0, 1) == -1 || parent_devnull() == -1))
		fatal("daemon");
	log_init(debug, LOG_DAEMON);
	parent_write_pidfile();
	parent.started = time(NULL);
	setproctitle("parent");

	event_init();
	parent_setup_signals();
	parent_start_child(PROC_FRONTEND);
	parent_start_child(PROC_RESOLVER);
	parent_start_child(PROC_WGWATCH);
	parent_relays_reconf(conf);
	parent_setup_children();
	evtimer_set(&parent.ev_heartbeat, parent_heartbeat, NULL);
	parent_heartbeat(-1, 0, NULL);
	log_info("vpndnsd %s started", VPNDNSD_VERSION);
	parent_notify("READY=1");

	event_dispatch();
	fatalx("event loop ended");
}
