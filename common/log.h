/*
 * Logging: syslog normally, stderr when running in the foreground (-d).
 * Every process calls log_init() before it chroots, so the syslog socket is
 * already open when the child can no longer see /dev/log.
 */
#ifndef VPNDNSD_LOG_H
#define VPNDNSD_LOG_H

#include <stdarg.h>
#include <syslog.h>

void	log_init(int, int);
void	log_procinit(const char *);
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
