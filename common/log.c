#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <paths.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Where a process's lines go (log.h). */
enum log_to {
	LOG_TO_STDERR,		/* -d */
	LOG_TO_SYSLOG,		/* the parent */
	LOG_TO_PARENT		/* a child: relayed by the parent */
};

#define LOG_HELD_MAX	32	/* a child's lines before its relay is up */

static enum log_to	 log_to = LOG_TO_STDERR;
static int		 log_facility = LOG_DAEMON;
static int		 log_verbose;
static const char	*log_name;	/* NULL: the parent, unprefixed */
static int		 syslog_fd = -1;
static unsigned long	 syslog_lost;	/* syslog busy: dropped, not told */
static void		(*relay_send)(int, const char *);
static void		(*relay_flush)(void);
static struct {
	int	pri;
	char	msg[256];
}			 held[LOG_HELD_MAX];
static int		 nheld;

void
log_init(int debug, int facility)
{
	log_to = debug ? LOG_TO_STDERR : LOG_TO_SYSLOG;
	log_facility = facility;
	/* Load the time zone now: after chroot /etc/localtime is gone. */
	tzset();
}

/* A child: its lines go to the parent, once log_relay() says how. */
void
log_procinit(const char *name)
{
	log_name = name;
	if (log_to == LOG_TO_SYSLOG)
		log_to = LOG_TO_PARENT;
}

const char *
log_procname(void)
{
	return log_name ? log_name : "parent";
}

/*
 * A child's way to the parent: 'send' queues a line without waiting,
 * 'flush' tries once to write what is queued (before exit).  The lines
 * held until now go first.
 */
void
log_relay(void (*send)(int, const char *), void (*flush)(void))
{
	int	i;

	relay_send = send;
	relay_flush = flush;
	if (log_to != LOG_TO_PARENT)
		return;
	for (i = 0; i < nheld; i++)
		relay_send(held[i].pri, held[i].msg);
	nheld = 0;
}

static int
syslog_connect(void)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, _PATH_LOG, sizeof(sun.sun_path));
	if ((syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) ==
	    -1)
		return -1;
	if (connect(syslog_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(syslog_fd);
		syslog_fd = -1;
		return -1;
	}
	return 0;
}

/*
 * One line to syslog, as syslog(3) would write it, tagged with the
 * parent's pid.  A send that fails (syslogd restarted: its socket is a
 * new one) is tried once more on a new connection; a busy syslogd
 * (EAGAIN) costs the line, counted and told with the next.  Returns -1
 * when no syslog socket answers.
 */
static int
syslog_line(int pri, const char *prefix, const char *msg)
{
	char		line[1400], ts[32];
	struct tm	tm;
	time_t		now = time(NULL);
	int		n, try;

	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %T", &tm);
	n = snprintf(line, sizeof(line), "<%d>%s vpndnsd[%ld]: %s%s%s",
	    (pri & LOG_PRIMASK) | log_facility, ts, (long)getpid(),
	    prefix ? prefix : "", prefix ? ": " : "", msg);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	for (try = 0; try < 2; try++) {
		if (syslog_fd == -1 && syslog_connect() == -1)
			return -1;
		if (send(syslog_fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
			return 0;
		if (errno == EAGAIN || errno == ENOBUFS) {
			syslog_lost++;
			return 0;
		}
		close(syslog_fd);
		syslog_fd = -1;
	}
	return -1;
}

/* A line of this process, or of a child ('prefix', its name). */
static void
log_write(int pri, const char *prefix, const char *msg)
{
	char	lost[64];

	if (log_to == LOG_TO_SYSLOG) {
		if (syslog_lost > 0) {
			snprintf(lost, sizeof(lost), "%lu log lines lost: "
			    "syslog was busy", syslog_lost);
			syslog_lost = 0;
			(void)syslog_line(LOG_WARNING, NULL, lost);
		}
		if (syslog_line(pri, prefix, msg) == 0)
			return;
	}
	/* one write a line: processes share the terminal */
	fprintf(stderr, "%s%s%s\n", prefix ? prefix : "", prefix ? ": " : "",
	    msg);
}

static void
log_emit(int pri, const char *msg)
{
	if (log_to != LOG_TO_PARENT) {
		log_write(pri, log_name, msg);
		return;
	}
	if (relay_send != NULL)
		relay_send(pri, msg);
	else if (nheld < LOG_HELD_MAX) {
		held[nheld].pri = pri;
		strlcpy(held[nheld].msg, msg, sizeof(held[nheld].msg));
		nheld++;
	}
}

/* The parent: a line a child sent it. */
void
log_relayed(int pri, const char *child, const char *msg)
{
	log_write(pri, child, msg);
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(pri, msg);
}

static void
vlog_errno(int pri, int saved, const char *fmt, va_list ap)
{
	char	msg[1024];
	size_t	n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	log_emit(pri, msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/*
 * For lines a client can cause: at most one a second per call site, which
 * keeps its 'last' time.  Returns 1 when the caller may log.
 */
int
log_ratelimit(long long *last)
{
	struct timespec	ts;
	long long	now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now - *last < 1000)
		return 0;
	*last = now;
	return 1;
}

/*
 * A child's last line must reach the parent: one try to write what is
 * queued; lines never relayed (it dies before its channel is up) go to
 * stderr, the parent's.
 */
static void
log_fatal_flush(void)
{
	int	i;

	if (log_to != LOG_TO_PARENT)
		return;
	if (relay_flush != NULL)
		relay_flush();
	for (i = 0; i < nheld; i++)
		fprintf(stderr, "%s: %s\n", log_procname(), held[i].msg);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	log_fatal_flush();
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	log_fatal_flush();
	exit(1);
}
