#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int		 log_debugmode;
static int		 log_verbose;
static const char	*log_name;	/* NULL: the parent, unprefixed */

void
log_init(int debug, int facility)
{
	log_debugmode = debug;
	/* Load the time zone now: after chroot /etc/localtime is gone. */
	tzset();
	if (!debug)
		openlog("vpndnsd", LOG_PID | LOG_NDELAY, facility);
}

void
log_procinit(const char *name)
{
	log_name = name;
}

const char *
log_procname(void)
{
	return log_name ? log_name : "parent";
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
log_emit(int pri, const char *msg)
{
	if (log_debugmode) {
		/* one write a line: processes share the terminal */
		fprintf(stderr, "%s%s%s\n", log_name ? log_name : "",
		    log_name ? ": " : "", msg);
	} else if (log_name != NULL)
		syslog(pri, "%s: %s", log_name, msg);
	else
		syslog(pri, "%s", msg);
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

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
