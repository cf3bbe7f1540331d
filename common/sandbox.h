/*
 * The sandbox every child enters: an empty chroot, an unprivileged user,
 * no capabilities (bounding set included), no new privileges, and a
 * seccomp allow-list of its own.
 */
#ifndef VPNDNSD_SANDBOX_H
#define VPNDNSD_SANDBOX_H

#include <seccomp.h>

scmp_filter_ctx	sandbox_filter_new(const char *, int);
void		sandbox_allow(scmp_filter_ctx, int);
void		sandbox_allow_inet(scmp_filter_ctx);
void		sandbox_allow_bufferevent(scmp_filter_ctx);
void		sandbox_deny_connect(scmp_filter_ctx);
void		sandbox_drop(const char *, const char *);
void		sandbox_load(scmp_filter_ctx);

#endif
