/*
 * wgwatch's OpenVPN status-file parser: the files a real OpenVPN 2.6
 * wrote (regress/vectors/, versions 2 and 3, and version 1, refused), in
 * chunks of every size; every reading caught mid-rewrite (cut short, or
 * a new head on the old tail) kept out; the malformed ones; and what a
 * session source's table tells the resolver as clients come and go,
 * a client missing from one reading kept until the next.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wgwatch.h"
#include "peers.h"
#include "tap.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "r")) == NULL || fseek(f, 0, SEEK_END) == -1 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) == -1 ||
	    (buf = malloc(n + 1)) == NULL ||
	    fread(buf, 1, n, f) != (size_t)n) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The parser's answer for 'text' fed in chunks of 'step'. */
static int
parse(const char *text, size_t len, size_t step, struct wgtable *t,
    char *err, size_t errlen)
{
	void	*st = calloc(1, status_parser.size);
	size_t	 off, n;
	int	 rc;

	status_parser.reset(st);
	wgtable_clear(t);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (status_parser.feed(st, t, (const uint8_t *)text + off, n) ==
		    -1)
			abort();	/* it never spoils: it is incomplete */
	}
	rc = status_parser.take(st, t);
	if (rc == 1 && wgtable_finish(t, 1) == -1)
		rc = -1;
	snprintf(err, errlen, "%s", status_parser.err(st));
	status_parser.release(st);
	free(st);
	return rc;
}

/* The two clients of the captured files, as they must come out. */
static int
both_clients(struct wgtable *t)
{
	struct wgpeer	*bob = peer(t, "Bob's Phone"), *lap = peer(t, "laptop");

	return t->n == 2 && bob != NULL && lap != NULL && bob->connected &&
	    lap->connected && bob->naddrs == 2 && lap->naddrs == 2 &&
	    has_addr(bob, "10.67.0.3") && has_addr(bob, "fd67::1001") &&
	    has_addr(lap, "10.67.0.2") && has_addr(lap, "fd67::1000");
}

static void
test_vectors(void)
{
	struct wgtable	 t = { 0 }, whole = { 0 };
	char		*v2, *v3, *v1, err[128], *cut, *one, *lap;
	size_t		 l2, l3, l1, step, k, lone;
	int		 same = 1, never = 1, rc;

	v3 = slurp("regress/vectors/openvpn-status-v3.txt", &l3);
	v2 = slurp("regress/vectors/openvpn-status-v2.txt", &l2);
	v1 = slurp("regress/vectors/openvpn-status-v1.txt", &l1);
	ok(parse(v3, l3, l3, &t, err, sizeof(err)) == 1 && both_clients(&t),
	    "version 3 (tabs): both clients, their IPv4 and IPv6 addresses");
	ok(peer(&t, "Bob's Phone") != NULL &&
	    peer(&t, "Bob's Phone")->handshake == 1796266839,
	    "the session began at Connected Since (time_t)");
	ok(parse(v2, l2, l2, &whole, err, sizeof(err)) == 1 &&
	    both_clients(&whole), "version 2 (commas): the same");
	ok(parse(v1, l1, l1, &t, err, sizeof(err)) == 0 &&
	    strstr(err, "version 2 or 3") != NULL,
	    "version 1 (no HEADER lines, no virtual addresses) is never "
	    "whole: %s", err);
	for (step = 1; step <= 64; step++)
		if (parse(v3, l3, step, &t, err, sizeof(err)) != 1 ||
		    !both_clients(&t)) {
			same = 0;
			printf("# differs in chunks of %zu bytes\n", step);
		}
	ok(same, "the same whatever the chunks (1 to 64 bytes)");

	/* every reading short of the end: none taken */
	for (k = 0; k < l3; k++)
		if ((rc = parse(v3, k, 7, &t, err, sizeof(err))) != 0) {
			never = 0;
			printf("# cut at %zu: %d\n", k, rc);
		}
	ok(never, "cut anywhere short of its end (%zu places): never taken",
	    l3);

	/*
	 * A rewrite from a file of two clients to one of laptop alone, and
	 * back, caught at every byte: the new head on the old tail (which
	 * ends in END until the ftruncate).  Whatever reading is taken
	 * must hold laptop, which both files list.
	 */
	never = 1;
	lap = strstr(v3, "CLIENT_LIST\tlaptop");
	one = malloc(l3 + 1);
	k = strstr(v3, "CLIENT_LIST\tBob's") - v3;
	memcpy(one, v3, k);
	memcpy(one + k, lap, l3 - (lap - v3));
	lone = k + l3 - (lap - v3);
	cut = malloc(l3 + 1);
	for (k = 1; k < lone; k++) {
		memcpy(cut, v3, l3);
		memcpy(cut, one, k);
		rc = parse(cut, l3, 64, &t, err, sizeof(err));
		if (rc == 1 && peer(&t, "laptop") == NULL) {
			never = 0;
			printf("# two to one, head %zu: laptop lost\n", k);
		}
	}
	for (k = 1; k < l3; k++) {
		memcpy(cut, one, lone);
		memcpy(cut, v3, k);
		rc = parse(cut, k > lone ? k : lone, 64, &t, err, sizeof(err));
		if (rc == 1 && peer(&t, "laptop") == NULL) {
			never = 0;
			printf("# one to two, head %zu: laptop lost\n", k);
		}
	}
	ok(never, "a rewrite caught at every byte, either way: never a "
	    "reading without the client both files list");
	free(cut);
	free(one);
	free(v1);
	free(v2);
	free(v3);
	wgtable_free(&t);
	wgtable_free(&whole);
}

#define HDR	"TITLE\tOpenVPN 2.6\nTIME\tx\t1\nHEADER\tCLIENT_LIST\t" \
		"Common Name\tReal Address\tVirtual Address\t" \
		"Virtual IPv6 Address\tConnected Since (time_t)\n"
#define RTH	"HEADER\tROUTING_TABLE\tVirtual Address\tCommon Name\t" \
		"Real Address\n"
#define CL_A	"CLIENT_LIST\ta\t1.2.3.4:5\t10.0.0.2\t\t100\n"
#define RT_A	"ROUTING_TABLE\t10.0.0.2\ta\t1.2.3.4:5\n"

static int
text(const char *s, struct wgtable *t, char *err)
{
	return parse(s, strlen(s), 5, t, err, 128);
}

static void
test_malformed(void)
{
	static const char	 nul[] = "TITLE\tx\nHEADER\tCLIENT_LIST\t"
				    "Common Name\tVirtual Address\nCLIENT_LIST"
				    "\ta\0b\t10.0.0.2\n" RTH "END\n";
	struct wgtable		 t = { 0 };
	struct wgpeer		*p;
	char			 err[128], *big;

	ok(text(HDR CL_A RTH RT_A "END\n", &t, err) == 1 && t.n == 1 &&
	    t.peers[0].naddrs == 1,
	    "an empty IPv6 column: the IPv4 address only (%s)", err);
	ok(text(HDR RTH "END\n", &t, err) == 1 && t.n == 0,
	    "no client: a whole reading with none");
	ok(text(HDR "CLIENT_LIST\tUNDEF\t1.2.3.4:5\t\t\t100\n" RTH "END\n",
	    &t, err) == 1 && t.n == 0, "a client still UNDEF is none");
	ok(text(HDR CL_A "CLIENT_LIST\ta\t1.2.3.5:5\t10.0.0.9\tfd00::9\t90\n"
	    RTH RT_A "ROUTING_TABLE\t10.0.0.9\ta\t1.2.3.5:5\n"
	    "ROUTING_TABLE\tfd00::9\ta\t1.2.3.5:5\nEND\n", &t, err) == 1 &&
	    t.n == 1 && (p = peer(&t, "a")) != NULL && p->naddrs == 3 &&
	    p->handshake == 90,
	    "one name connected twice (duplicate-cn): one client, every "
	    "address, the earlier start");
	ok(text("TITLE,x\r\nHEADER,CLIENT_LIST,Common Name,Virtual "
	    "Address\r\nCLIENT_LIST,a,10.0.0.2\r\nHEADER,ROUTING_TABLE,"
	    "Common Name,Virtual Address\r\nROUTING_TABLE,a,10.0.0.2\r\n"
	    "END\r\n", &t, err) == 1 && t.n == 1,
	    "CRLF line ends, and the columns the HEADERs name");
	ok(text(HDR CL_A RTH "END\n", &t, err) == 0,
	    "a client's address without its route: mid-rewrite (%s)", err);
	ok(text(HDR RTH RT_A "END\n", &t, err) == 0,
	    "a route to no client listed: mid-rewrite (%s)", err);
	ok(text(HDR CL_A "END\n", &t, err) == 0, "no ROUTING_TABLE (%s)",
	    err);
	ok(text(HDR CL_A RTH RT_A "END\nEND\n", &t, err) == 0,
	    "a line after END: mid-rewrite (%s)", err);
	ok(text(HDR CL_A RTH RT_A "EN", &t, err) == 0,
	    "no END: mid-rewrite (%s)", err);
	ok(text(HDR CL_A RTH RT_A "END", &t, err) == 0,
	    "END without its newline: mid-rewrite (%s)", err);
	ok(text("TITLE\tx\n" CL_A RTH RT_A "END\n", &t, err) == 0,
	    "a client before its HEADER (%s)", err);
	ok(text("TITLE\tx\nHEADER\tCLIENT_LIST\tReal Address\n" RTH "END\n",
	    &t, err) == 0, "a HEADER without a Common Name (%s)", err);
	ok(text(HDR "CLIENT_LIST\ta\t1.2.3.4:5\t10.0.0.300\t\t100\n" RTH
	    "END\n", &t, err) == 0 && text(HDR "CLIENT_LIST\ta\t1.2.3.4:5\t"
	    "10.0.0.2\tzz::1\t100\n" RTH "END\n", &t, err) == 0,
	    "a virtual address that is not one (%s)", err);
	ok(text(HDR "CLIENT_LIST\ta\t1.2.3.4:5\t10.0.0.2\t\t100\textra\n" RTH
	    "END\n", &t, err) == 0 && text(HDR "CLIENT_LIST\ta\t1.2.3.4:5\n"
	    RTH "END\n", &t, err) == 0 && text(HDR CL_A RTH
	    "ROUTING_TABLE\t10.0.0.2\ta\n" "END\n", &t, err) == 0,
	    "a row with more or fewer columns than its HEADER (%s)", err);
	ok(text(HDR "CLIENT_LIST\ta\t1.2.3.4:5\t10.0.0.2\t\t-5\n" RTH RT_A
	    "END\n", &t, err) == 0, "a negative start time (%s)", err);
	ok(parse(nul, sizeof(nul) - 1, 7, &t, err, sizeof(err)) == 0,
	    "a NUL byte in a line (%s)", err);
	big = malloc(6000);
	memset(big, 'x', 6000);
	memcpy(big, "TITLE\tx\n", 8);
	memcpy(big + 5990, "\nEND\n", 6);
	ok(text(big, &t, err) == 0, "a line over 4096 bytes (%s)", err);
	free(big);
	ok(text("OpenVPN CLIENT LIST\nEND\n", &t, err) == 0,
	    "no TITLE line (%s)", err);
	ok(text("", &t, err) == 0, "an empty file (%s)", err);
	wgtable_free(&t);
}

/* Readings of a session source, as wgwatch makes them. */
struct sim {
	struct wgtable		cur, next;
	struct wgthresholds	thr;
	size_t			msgs;
	const struct wgpeer	*last;
	struct wgpeer		seen;
};

static void
sim_cb(const struct wgpeer *p, int gone, void *arg)
{
	struct sim	*s = arg;

	(void)gone;
	s->msgs++;
	s->seen = *p;
}

static size_t
reading(struct sim *s, int64_t now, const char *file)
{
	struct wgpoll	 poll = { now, 1, 1, &s->thr };
	struct wgtable	 tmp;
	char		 err[128];

	if (parse(file, strlen(file), 64, &s->next, err, sizeof(err)) != 1 ||
	    wgtable_keep_ended(&s->cur, &s->next, now,
	    status_parser.grace) == -1)
		abort();
	s->msgs = 0;
	wgtable_diff(&s->cur, &s->next, &poll, sim_cb, s);
	tmp = s->cur;
	s->cur = s->next;
	s->next = tmp;
	wgtable_clear(&s->next);
	return s->msgs;
}

static void
test_sessions(void)
{
#define CL_B(t)	"CLIENT_LIST\tb\t1.2.3.5:5\t10.0.0.3\t\t" t "\n"
#define RT_B	"ROUTING_TABLE\t10.0.0.3\tb\t1.2.3.5:5\n"
	const char	*ab = HDR CL_A CL_B("110") RTH RT_A RT_B "END\n";
	const char	*a = HDR CL_A RTH RT_A "END\n";
	const char	*ab2 = HDR CL_A CL_B("130") RTH RT_A RT_B "END\n";
	struct sim	 s;
	struct wgpeer	*p;

	memset(&s, 0, sizeof(s));
	wgthresholds_clear(&s.thr, 300);
	ok(reading(&s, 1000, ab) == 2, "two clients: both told");
	ok(reading(&s, 1001, ab) == 0 && reading(&s, 1500, ab) == 0,
	    "the same file, even past the threshold: nothing (presence is "
	    "the session, not its age)");
	ok(reading(&s, 1501, a) == 0 && (p = peer(&s.cur, "b")) != NULL &&
	    p->connected, "b missing from one reading: still connected, "
	    "nothing told");
	ok(reading(&s, 1502, a) == 1 && !s.seen.connected &&
	    strcmp(s.seen.key, "b") == 0 && s.seen.naddrs == 1 &&
	    s.seen.told == 1502,
	    "missing from a second: ended, its address kept (its offline "
	    "name), last seen now");
	ok(reading(&s, 1503, a) == 0 && s.cur.n == 2,
	    "an ended client stays, and costs nothing");
	ok(reading(&s, 1504, ab2) == 1 && s.seen.connected &&
	    s.seen.handshake == 130, "back, with its new session: told");
	ok(reading(&s, 1505, a) == 0 && reading(&s, 1506, ab2) == 0,
	    "missing from one reading between two that list it: nothing "
	    "told at all");
	wgtable_free(&s.cur);
	wgtable_free(&s.next);
	wgthresholds_free(&s.thr);
}

static void
test_display(void)
{
	char	out[PEER_DISPLAY_MAX];

	status_parser.display("Bob's Phone", out, sizeof(out));
	ok(strcmp(out, "Bob's Phone") == 0,
	    "a common name is its client's name, as it is");
}

int
main(void)
{
	test_vectors();
	test_malformed();
	test_sessions();
	test_display();
	return tap_done();
}
