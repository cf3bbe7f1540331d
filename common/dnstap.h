/*
 * dnstap (https://dnstap.info): DNS messages as protobuf:dnstap.Dnstap
 * frames over Frame Streams (bidirectional, a unix socket the parent
 * connects and passes), written by the child that sees them: the
 * frontend its clients' queries and answers, the resolver its queries
 * to forwarders and their answers.  Frames wait in a bounded queue and
 * go out once a pass over the events; a slow or absent collector costs
 * dropped frames (counted), never a wait.
 */
#ifndef VPNDNSD_DNSTAP_H
#define VPNDNSD_DNSTAP_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "vpndnsd.h"

/* Message.Type and SocketProtocol of dnstap.proto */
#define DNSTAP_CLIENT_QUERY		5
#define DNSTAP_CLIENT_RESPONSE		6
#define DNSTAP_FORWARDER_QUERY		7
#define DNSTAP_FORWARDER_RESPONSE	8
#define DNSTAP_UDP			1
#define DNSTAP_TCP			2
#define DNSTAP_DOT			3

#define DNSTAP_CONTENT_TYPE	"protobuf:dnstap.Dnstap"
#define DNSTAP_QUEUE_MAX	(1024 * 1024)	/* bytes of frames waiting */
#define FSTRM_CONTROL_MAX	512		/* a control frame, at most */

/* Frame Streams control frames (fstrm's control.h) */
#define FSTRM_ACCEPT		1
#define FSTRM_START		2
#define FSTRM_STOP		3
#define FSTRM_READY		4
#define FSTRM_FINISH		5

struct imsgev;
struct imsg;
struct metrics;

/* One side of a message: its address and port (family 0: unknown). */
struct dnstap_msg {
	int			 type;		/* DNSTAP_CLIENT_QUERY ... */
	int			 proto;		/* DNSTAP_UDP ... */
	const union sockunion	*query_addr;	/* who asked */
	const union sockunion	*response_addr;	/* who answers */
	uint64_t		 query_us;	/* monotonic, as qlog_now() */
	uint64_t		 response_us;	/* 0: none (a query) */
	const uint8_t		*msg;
	size_t			 len;
};

void	dnstap_init(struct imsgev *, int);
void	dnstap_reconf(const struct reconf_main *);
void	dnstap_socket(const struct imsg *);
int	dnstap_wanted(void);
void	dnstap_log(const struct dnstap_msg *);
void	dnstap_metrics(struct metrics *);

/* The encoders and the control frame parser, for the fuzzer too. */
size_t	dnstap_encode(uint8_t *, size_t, const struct dnstap_msg *,
	    int64_t);
size_t	fstrm_control(uint8_t *, size_t, uint32_t);
ssize_t	fstrm_control_parse(const uint8_t *, size_t, uint32_t *, int *);

#endif
