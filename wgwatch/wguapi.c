/*
 * The UAPI reply of a userspace WireGuard (wireguard-go, boringtun):
 * "key=value" lines, device keys first, then per peer a public_key line
 * followed by that peer's keys, one allowed_ip line per prefix, "errno=N"
 * and an empty line to end.  Keys are 64 lower-case hex digits; a peer
 * is known by its key in base64, as wg(8) and the configuration write
 * it.
 *
 * The reply arrives in chunks cut anywhere; lines are put back together
 * here.  Unknown keys are stepped over; a line that is not "key=value",
 * longer than WG_LINE_MAX, or a value that does not parse spoils the
 * whole reply.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wgwatch.h"

void
wguapi_reset(struct wguapi *u)
{
	memset(u, 0, sizeof(*u));
}

/* A lower-case hex digit's value plus one; 0 for anything else. */
static const uint8_t hexval1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

/* A table, not branches: a poll decodes 10,000s of keys. */
static int
parse_key(const char *v, size_t len, uint8_t *key)
{
	const uint8_t	*h = (const uint8_t *)v;
	uint8_t		 hi, lo;
	size_t		 i;

	if (len != 2 * WG_KEY_LEN)
		return -1;
	for (i = 0; i < WG_KEY_LEN; i++) {
		hi = hexval1[h[2 * i]];
		lo = hexval1[h[2 * i + 1]];
		if (hi == 0 || lo == 0)
			return -1;
		key[i] = (hi - 1) << 4 | (lo - 1);
	}
	return 0;
}

/* Digits only, a value no larger than 'max' (checked before it grows). */
static int
parse_num(const char *v, size_t len, uint64_t max, uint64_t *n)
{
	size_t		i;
	unsigned int	d;

	if (len == 0)
		return -1;
	*n = 0;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		d = v[i] - '0';
		if (*n > (max - d) / 10)
			return -1;
		*n = *n * 10 + d;
	}
	return 0;
}

/* "10.0.0.2/32" or "fd00::2/128" */
static int
parse_allowed_ip(const char *v, size_t len, struct wgpeer *p)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct in6_addr	 a;
	unsigned long	 plen;
	int		 af;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) == NULL)
		return -1;
	*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &a) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, buf, &a) == 1)
		af = AF_INET6;
	else
		return -1;
	if (*slash < '0' || *slash > '9')
		return -1;
	plen = strtoul(slash, &end, 10);
	if (*end != '\0' || plen > (af == AF_INET ? 32UL : 128UL))
		return -1;
	wgpeer_add_addr(p, af, &a, plen);
	return 0;
}

static int
fail(struct wguapi *u, const char *what, const char *line, size_t len)
{
	snprintf(u->err, sizeof(u->err), "%s: \"%.*s\"", what,
	    (int)(len > 60 ? 60 : len), line);
	return -1;
}

static int
uapi_line(struct wguapi *u, struct wgtable *t, const char *line,
    size_t len)
{
	const char	*eq, *v;
	size_t		 klen, vlen;
	uint8_t		 key[WG_KEY_LEN];
	char		 b64[WG_KEY_B64 + 1];
	uint64_t	 n;

	if ((eq = memchr(line, '=', len)) == NULL)
		return fail(u, "not key=value", line, len);
	klen = eq - line;
	v = eq + 1;
	vlen = len - klen - 1;
#define IS(k)	(klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
	if (IS("public_key")) {
		if (parse_key(v, vlen, key) == -1)
			return fail(u, "bad public_key", line, len);
		wg_key_encode(key, b64);
		if ((u->cur = wgtable_add(t, b64, WG_KEY_B64)) == NULL)
			return fail(u, "too many peers", line, len);
	} else if (IS("last_handshake_time_sec")) {
		if (u->cur == NULL || parse_num(v, vlen, INT64_MAX, &n) == -1)
			return fail(u, "bad last_handshake_time_sec", line,
			    len);
		u->cur->handshake = n;
	} else if (IS("rx_bytes")) {
		if (u->cur == NULL || parse_num(v, vlen, UINT64_MAX,
		    &u->cur->rx_bytes) == -1)
			return fail(u, "bad rx_bytes", line, len);
	} else if (IS("persistent_keepalive_interval")) {
		if (u->cur == NULL || parse_num(v, vlen, UINT16_MAX, &n) == -1)
			return fail(u, "bad persistent_keepalive_interval",
			    line, len);
		u->cur->keepalive = n;
	} else if (IS("allowed_ip")) {
		if (u->cur == NULL || parse_allowed_ip(v, vlen, u->cur) == -1)
			return fail(u, "bad allowed_ip", line, len);
	} else if (IS("errno")) {
		if (vlen != 1 || v[0] != '0')
			return fail(u, "WireGuard refused the request", line,
			    len);
	}
#undef IS
	return 0;
}

/*
 * Returns -1 when the reply is spoilt; u->err says why.  Whole lines are
 * parsed where they lie; only a line cut by the end of a chunk is copied.
 */
int
wguapi_feed(struct wguapi *u, struct wgtable *t, const uint8_t *data,
    size_t len)
{
	const uint8_t	*p = data, *end = data + len, *nl;
	const char	*line;
	size_t		 n;

	while (p < end) {
		if (u->done)
			return fail(u, "data after the end of the reply",
			    (const char *)p, end - p);
		if ((nl = memchr(p, '\n', end - p)) == NULL) {
			if (u->len + (end - p) > sizeof(u->line))
				return fail(u, "line too long", u->line,
				    u->len);
			memcpy(u->line + u->len, p, end - p);
			u->len += end - p;
			return 0;
		}
		n = nl - p;
		if (u->len > 0) {
			if (u->len + n > sizeof(u->line))
				return fail(u, "line too long", u->line,
				    u->len);
			memcpy(u->line + u->len, p, n);
			n += u->len;
			line = u->line;
			u->len = 0;
		} else {
			if (n > sizeof(u->line))
				return fail(u, "line too long",
				    (const char *)p, n);
			line = (const char *)p;
		}
		if (n == 0)
			u->done = 1;
		else if (uapi_line(u, t, line, n) == -1)
			return -1;
		p = nl + 1;
	}
	return 0;
}

static void
uapi_reset(void *st)
{
	wguapi_reset(st);
}

static int
uapi_feed(void *st, struct wgtable *t, const uint8_t *data, size_t len)
{
	return wguapi_feed(st, t, data, len);
}

/* A reply is whole once its empty line came. */
static int
uapi_take(void *st, struct wgtable *t)
{
	struct wguapi	*u = st;

	(void)t;
	if (!u->done) {
		strlcpy(u->err, "the reply was cut short", sizeof(u->err));
		return -1;
	}
	return 1;
}

static const char *
uapi_err(const void *st)
{
	return ((const struct wguapi *)st)->err;
}

const struct parser	uapi_parser = {
	sizeof(struct wguapi), 0, 0, uapi_reset, uapi_feed, uapi_take,
	uapi_err, NULL, NULL
};
