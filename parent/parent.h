/* The parent process: configuration, sockets, children. */
#ifndef VPNDNSD_PARENT_H
#define VPNDNSD_PARENT_H

#include <sys/uio.h>

#include <stdio.h>

#include "vpndnsd.h"

/* parse.y */
struct vpndnsd_conf	*parse_config(const char *);
const char		*parse_lasterror(void);
int			 forwarder_has_tls(const struct forwarder_conf *);

/* wgnames.c */
typedef void	(*wgnames_err_fn)(const char *, int, const char *);
/* add(arg, key in base64, display name, its label, file, line) */
typedef int	(*wgnames_add_fn)(void *, const char *, const char *,
		    const char *, const char *, int);
int		 wgnames_read(const char *, wgnames_add_fn, wgnames_err_fn,
		    void *);

/* wgblank.c */
void			 wg_blank_uapi_line(char *, size_t);
struct nlmsghdr;
int			 wg_blank_nlmsg(struct nlmsghdr *, size_t);

/*
 * A presence source in the parent: one file each (wgrelay.c,
 * vicirelay.c, ovpnrelay.c) behind this interface.  A relay holds the
 * privileged handle (a WireGuard UAPI socket or generic netlink, the
 * VICI socket, the root-only status file), sends it only fixed,
 * read-only requests, blanks what is secret, and hands the bytes to the
 * 'send' it was given (relay.c frames them for wgwatch): it parses
 * nothing, and never calls parent.c.
 *  reconf	the configured sources of its kind (kept by name across
 *		reloads; the others are closed)
 *  poll	wgwatch asks for a reading of one of them; NULL for a
 *		source that relays without being asked (VICI events)
 */
typedef void	(*relay_send_fn)(uint16_t, const struct iovec *, int);

struct relay {
	void	(*reconf)(const struct vpndnsd_conf *, relay_send_fn);
	void	(*poll)(const struct source_conf *);
};

extern const struct relay	wg_relay, vici_relay, ovpn_relay;

/* relay.c: what the relays send, chunked for the channel */
#define RELAY_CHUNK		(32 * 1024)
struct relaybuf {
	relay_send_fn	 send;
	char		 name[SRC_NAME_MAX];
	uint8_t		 format;		/* enum src_format */
	uint8_t		 chunk[RELAY_CHUNK];
	size_t		 len;
};
void			 relay_start(struct relaybuf *, relay_send_fn,
			    const char *, enum src_format);
void			 relay_put(struct relaybuf *, const void *, size_t);
void			 relay_flush(struct relaybuf *);
void			 relay_end(struct relaybuf *, int);
void			 relay_reset(struct relaybuf *);

/* printconf.c: TSIG secrets print as SECRET_MASK */
#define SECRET_MASK		"********"
void			 print_config(FILE *, const struct vpndnsd_conf *);

/* parent.c */
void			 parent_main(int, int, const char *, const char *)
			    __attribute__((__noreturn__));

#endif
