/*
 * Logging.  In the foreground (-d), every process writes its lines to
 * stderr.  Otherwise the parent writes to syslog (its own client: it
 * reconnects when syslogd restarts, and falls back to stderr when no
 * syslog socket answers), and the children, chrooted where /dev/log
 * cannot be reached, send theirs to the parent (logrelay.c).
 */
#ifndef VPNDNSD_LOG_H
#define VPNDNSD_LOG_H

#include <stdarg.h>
#include <syslog.h>

void	log_init(int, int);
void	log_procinit(const char *);
void	log_relay(void (*)(int, const char *), void (*)(void));
void	log_relayed(int, const char *, const char *);
const char *log_procname(void);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
int	log_ratelimit(long long *);
void	fatal(const char *, ...)
	    __attribute__((__format__(printf, 1, 2), __noreturn__));
void	fatalx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2), __noreturn__));

#endif
