/*
 * qlat: latency percentiles at a fixed offered load.
 *
 *	qlat ADDR PORT QPS SECONDS NAME...
 *
 * sends A queries for the names in turn, QPS a second, paced by the
 * clock, from one UDP socket; matches replies by id (a name with "%u"
 * in it is a new name each time: the query's number, counted on from a
 * random start, goes there); prints
 *
 *	sent N answered N p50 US p99 US p999 US
 *
 * A query unanswered after a second counts as lost.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t
make_query(uint8_t *buf, uint16_t id, const char *name)
{
	size_t		 len = 12;
	const char	*p = name, *dot;

	memset(buf, 0, 12);
	buf[0] = id >> 8;
	buf[1] = id & 0xff;
	buf[2] = 0x01;		/* RD */
	buf[5] = 1;
	while (*p != '\0') {
		dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || len + l + 6 > 300)
			errx(1, "bad name %s", name);
		buf[len++] = l;
		memcpy(buf + len, p, l);
		len += l;
		p += l + (dot ? 1 : 0);
	}
	buf[len++] = 0;
	buf[len++] = 0;
	buf[len++] = 1;		/* A */
	buf[len++] = 0;
	buf[len++] = 1;		/* IN */
	return len;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	uint64_t		*sent_at, *lat, start, next, interval, t;
	uint8_t			 buf[512];
	char			 name[256];
	const char		*fmt;
	size_t			 total, nsent = 0, nlat = 0, len;
	int			 s, qps, secs, nnames, n;
	uint16_t		 id;
	unsigned int		 base;

	if (argc < 6)
		errx(1, "usage: qlat addr port qps seconds name ...");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1)
		errx(1, "bad address %s", argv[1]);
	qps = atoi(argv[3]);
	secs = atoi(argv[4]);
	nnames = argc - 5;
	if (qps <= 0 || secs <= 0)
		errx(1, "bad rate");
	total = (size_t)qps * secs;
	if ((sent_at = calloc(65536, sizeof(*sent_at))) == NULL ||
	    (lat = calloc(total, sizeof(*lat))) == NULL)
		err(1, "calloc");
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "socket");
	base = (unsigned int)now_ns() % 1000000000U;
	interval = 1000000000ULL / qps;
	start = next = now_ns();
	pfd.fd = s;
	pfd.events = POLLIN;
	while (nsent < total || now_ns() < next + 1000000000ULL) {
		t = now_ns();
		while (nsent < total && t >= next) {
			id = nsent & 0xffff;
			fmt = argv[5 + nsent % nnames];
			if (strstr(fmt, "%u") != NULL)
				snprintf(name, sizeof(name), fmt,
				    base + (unsigned int)nsent);
			else
				snprintf(name, sizeof(name), "%s", fmt);
			len = make_query(buf, id, name);
			sent_at[id] = now_ns();
			if (send(s, buf, len, 0) == -1 && errno != EAGAIN)
				err(1, "send");
			nsent++;
			next += interval;
		}
		for (;;) {
			n = recv(s, buf, sizeof(buf), 0);
			if (n < 12)
				break;
			id = buf[0] << 8 | buf[1];
			if (sent_at[id] != 0 && nlat < total) {
				lat[nlat++] = now_ns() - sent_at[id];
				sent_at[id] = 0;
			}
		}
		if (nsent < total && next > now_ns() + 50000)
			poll(&pfd, 1, 0);
		else if (nsent >= total)
			poll(&pfd, 1, 10);
	}
	(void)start;
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("sent %zu answered %zu p50 %llu p99 %llu p999 %llu\n", nsent,
	    nlat, nlat ? (unsigned long long)lat[nlat / 2] / 1000 : 0,
	    nlat ? (unsigned long long)lat[nlat * 99 / 100] / 1000 : 0,
	    nlat ? (unsigned long long)lat[nlat * 999 / 1000] / 1000 : 0);
	return 0;
}
