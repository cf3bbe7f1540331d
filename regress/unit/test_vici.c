/*
 * wgwatch's VICI codec and the IKE SAs it keeps: the messages a real
 * strongSwan 5.9.8 sent (regress/vectors/, captured with the lab), in
 * chunks of every size; events that come and go; and what it refuses:
 * truncated and oversized elements and packets, sections nested too
 * deep, lists inside lists; what it steps over: unknown keys, sections
 * and events.  And the name an identity gives its client.
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

/* A byte stream: what charon sent, or what a test builds. */
struct buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

static void
put(struct buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void
put8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void
put16(struct buf *b, uint16_t v)
{
	put8(b, v >> 8);
	put8(b, v);
}

/* The received packets of a capture (JSON lines), their "hex" whole. */
static void
capture(const char *path, struct buf *b)
{
	FILE		*f;
	char		 line[65536], *h, *e;
	unsigned int	 x;

	if ((f = fopen(path, "r")) == NULL) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "\"dir\": \"recv\"") == NULL ||
		    (h = strstr(line, "\"hex\": \"")) == NULL)
			continue;
		for (h += 8, e = strchr(h, '"'); h + 1 < e; h += 2) {
			if (sscanf(h, "%2x", &x) != 1)
				abort();
			put8(b, x);
		}
	}
	fclose(f);
}

/* Messages as charon writes them. */
static void
kv(struct buf *m, const char *k, const char *v)
{
	put8(m, 3);
	put8(m, strlen(k));
	put(m, k, strlen(k));
	put16(m, strlen(v));
	put(m, v, strlen(v));
}

static void
section(struct buf *m, const char *name)
{
	put8(m, 1);
	put8(m, strlen(name));
	put(m, name, strlen(name));
}

static void
end(struct buf *m)
{
	put8(m, 2);
}

static void
list(struct buf *m, const char *name, const char *a, const char *b)
{
	put8(m, 4);
	put8(m, strlen(name));
	put(m, name, strlen(name));
	put8(m, 5);
	put16(m, strlen(a));
	put(m, a, strlen(a));
	if (b != NULL) {
		put8(m, 5);
		put16(m, strlen(b));
		put(m, b, strlen(b));
	}
	put8(m, 6);
}

/* A packet: length, type 7 (EVENT), the name, the message. */
static void
event(struct buf *out, const char *name, const struct buf *m)
{
	uint32_t	len = 2 + strlen(name) + m->len;

	put8(out, len >> 24);
	put8(out, len >> 16);
	put8(out, len >> 8);
	put8(out, len);
	put8(out, 7);
	put8(out, strlen(name));
	put(out, name, strlen(name));
	put(out, m->p, m->len);
}

/* An IKE SA's section, as ike-updown and list-sa carry it. */
static void
sa(struct buf *m, const char *uniqueid, const char *id, const char *state,
    const char *vip4, const char *vip6)
{
	section(m, "rw");
	kv(m, "uniqueid", uniqueid);
	kv(m, "version", "2");
	kv(m, "state", state);
	kv(m, "remote-id", id);
	kv(m, "established", "3");
	if (vip4 != NULL)
		list(m, "remote-vips", vip4, vip6);
	end(m);
}

static void
updown(struct buf *out, const char *name, int up, const char *uniqueid,
    const char *id, const char *vip4)
{
	struct buf	m = { 0 };

	if (up)
		kv(&m, "up", "yes");
	sa(&m, uniqueid, id, up ? "ESTABLISHED" : "DELETING", vip4, NULL);
	event(out, name, &m);
	free(m.p);
}

static const uint8_t	listed[] = { 0, 0, 0, 1, 1 };

struct run {
	void		*st;
	struct wgtable	 t;
	int		 rc;		/* the last take's */
	char		 err[128];
};

static void
run_start(struct run *r)
{
	memset(r, 0, sizeof(*r));
	if ((r->st = calloc(1, vici_parser.size)) == NULL)
		abort();
	vici_parser.reset(r->st);
}

static void
run_end(struct run *r)
{
	vici_parser.release(r->st);
	free(r->st);
	wgtable_free(&r->t);
}

/*
 * Bytes in chunks of 'step', as the parent relays them, each followed by
 * a take as in wgwatch.  Returns -1 when spoilt, else the last take's
 * 1 (a table) or 0; r->t holds the last table taken.
 */
static int
feed(struct run *r, const void *data, size_t len, size_t step)
{
	const uint8_t	*p = data;
	struct wgtable	 t = { 0 };
	size_t		 off, n;
	int		 rc, any = 0;

	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (vici_parser.feed(r->st, &t, p + off, n) == -1 ||
		    (rc = vici_parser.take(r->st, &t)) == -1) {
			snprintf(r->err, sizeof(r->err), "%s",
			    vici_parser.err(r->st));
			wgtable_free(&t);
			return -1;
		}
		if (rc == 1) {
			if (wgtable_finish(&t, 1) == -1)
				abort();
			wgtable_free(&r->t);
			r->t = t;
			memset(&t, 0, sizeof(t));
			any = 1;
		}
	}
	wgtable_free(&t);
	return any;
}

static void
test_captures(void)
{
	struct buf	 ls = { 0 }, ud = { 0 }, sd = { 0 };
	struct run	 r;
	struct wgpeer	*phone, *lap;
	size_t		 step;
	int		 same = 1;

	capture("regress/vectors/vici-list-sas.jsonl", &ls);
	capture("regress/vectors/vici-updown.jsonl", &ud);
	capture("regress/vectors/vici-gw-shutdown.jsonl", &sd);

	run_start(&r);
	ok(feed(&r, ls.p, ls.len, ls.len) == 1 && r.t.n == 2,
	    "list-sas: the two clients, once its response came");
	phone = peer(&r.t, "phone@vpn.test");
	lap = peer(&r.t, "laptop@vpn.test");
	ok(phone != NULL && phone->connected && phone->naddrs == 2 &&
	    has_addr(phone, "10.66.0.11") && has_addr(phone, "fd66::11") &&
	    lap != NULL && has_addr(lap, "10.66.0.10") &&
	    has_addr(lap, "fd66::10"),
	    "each by its remote-id, with its remote-vips (IPv4 and IPv6)");
	ok(feed(&r, listed, sizeof(listed), 5) == 1 && r.t.n == 2 &&
	    feed(&r, "", 0, 1) == 0,
	    "taken once per change: nothing new, nothing taken");
	run_end(&r);
	for (step = 1; step <= 64; step++) {
		run_start(&r);
		if (feed(&r, ls.p, ls.len, step) != 1 || r.t.n != 2 ||
		    peer(&r.t, "phone@vpn.test") == NULL) {
			same = 0;
			printf("# differs in chunks of %zu\n", step);
		}
		run_end(&r);
	}
	ok(same, "the same in chunks of 1 to 64 bytes");
	run_start(&r);
	/* the capture ends with the response and an unregistration's
	 * confirmation: 5 bytes each */
	ok(feed(&r, ls.p, ls.len - 5 - 1, 64) == 0,
	    "before list-sas' answer is whole, nothing is taken");
	run_end(&r);

	/* the events of the capture, one packet at a time after a list */
	run_start(&r);
	feed(&r, listed, sizeof(listed), 5);
	ok(r.t.n == 0 && feed(&r, ud.p, 5 + 5, 64) == 0,
	    "listed with no client; registrations confirmed: no change");
	ud.p += 10;
	ud.len -= 10;
	ok(feed(&r, ud.p, 572, 64) == 1 && r.t.n == 1 &&
	    has_addr(peer(&r.t, "laptop@vpn.test"), "10.66.0.10"),
	    "laptop's ike-updown (up): laptop connected");
	ok(feed(&r, ud.p + 572, 947, 64) == 1 && r.t.n == 1,
	    "its child-updown (up): the same");
	ok(feed(&r, ud.p + 572 + 947, 571 + 946, 64) == 1 && r.t.n == 2,
	    "phone up: two");
	ok(feed(&r, ud.p + 572 + 947 + 571 + 946, 487, 64) == 1 &&
	    r.t.n == 1 && peer(&r.t, "phone@vpn.test") != NULL,
	    "laptop's clean delete (ike-updown without up, DELETING): phone "
	    "alone");
	ok(feed(&r, ud.p + 572 + 947 + 571 + 946 + 487, 898, 64) == 0,
	    "its child-updown (down): nothing changes");
	ok(feed(&r, ud.p + 572 + 947 + 571 + 946 + 487 + 898, 520, 64) ==
	    1 && r.t.n == 0, "phone dropped by DPD (down, still "
	    "ESTABLISHED): none");
	ud.p -= 10;
	ud.len += 10;
	run_end(&r);

	/* charon's shutdown: a down event per SA, after a list of both */
	run_start(&r);
	{
		struct buf	l = { 0 };

		updown(&l, "list-sa", 1, "3", "laptop@vpn.test", "10.66.0.10");
		updown(&l, "list-sa", 1, "4", "phone@vpn.test", "10.66.0.11");
		put(&l, listed, sizeof(listed));
		ok(feed(&r, l.p, l.len, 100) == 1 && r.t.n == 2,
		    "two SAs listed (uniqueids 3 and 4)");
		free(l.p);
	}
	ok(feed(&r, sd.p, sd.len, 77) == 1 && r.t.n == 0,
	    "charon stopping: every SA's down event, none left");
	run_end(&r);
	free(ls.p);
	free(ud.p);
	free(sd.p);
}

static void
test_sessions(void)
{
	struct buf	 b = { 0 }, m = { 0 };
	struct run	 r;
	struct wgpeer	*p;

	run_start(&r);
	put(&b, listed, sizeof(listed));
	updown(&b, "ike-updown", 1, "1", "a@x", "10.0.0.1");
	updown(&b, "ike-updown", 1, "2", "a@x", "10.0.0.2");
	ok(feed(&r, b.p, b.len, b.len) == 1 && r.t.n == 1 &&
	    (p = peer(&r.t, "a@x")) != NULL && p->naddrs == 2,
	    "two IKE SAs of one identity: one client, both addresses");
	b.len = 0;
	updown(&b, "ike-updown", 0, "1", "a@x", "10.0.0.1");
	ok(feed(&r, b.p, b.len, 9) == 1 && r.t.n == 1 &&
	    (p = peer(&r.t, "a@x")) != NULL && p->naddrs == 1 &&
	    has_addr(p, "10.0.0.2"), "one ends: the other's address stays");
	b.len = 0;
	kv(&m, "up", "yes");
	sa(&m, "7", "b@x", "CONNECTING", "10.0.0.7", NULL);
	event(&b, "ike-updown", &m);
	m.len = 0;
	kv(&m, "up", "yes");
	sa(&m, "8", "c@x", "ESTABLISHED", NULL, NULL);
	event(&b, "ike-updown", &m);
	ok(feed(&r, b.p, b.len, 64) == 1 && r.t.n == 1,
	    "an SA not ESTABLISHED, and one without a virtual IP: no client");
	b.len = m.len = 0;
	kv(&m, "up", "yes");
	sa(&m, "9", "d@x", "ESTABLISHED", "10.0.0.9", NULL);
	/* uniqueid after the SA's data: order within a section is free */
	section(&m, "rw2");
	kv(&m, "state", "ESTABLISHED");
	list(&m, "remote-vips", "10.0.0.10", NULL);
	kv(&m, "remote-id", "e@x");
	kv(&m, "uniqueid", "10");
	end(&m);
	event(&b, "child-updown", &m);
	ok(feed(&r, b.p, b.len, 64) == 1 && r.t.n == 3 &&
	    peer(&r.t, "d@x") != NULL && peer(&r.t, "e@x") != NULL,
	    "an up child-updown tells its IKE SAs; keys in any order");
	b.len = m.len = 0;
	sa(&m, "9", "d@x", "ESTABLISHED", "10.0.0.9", NULL);
	event(&b, "child-updown", &m);
	ok(feed(&r, b.p, b.len, 64) == 0,
	    "a down child-updown is not its IKE SA's end");
	run_end(&r);
	free(b.p);
	free(m.p);
}

/* One message in one event, after a list: what the codec says. */
static int
one(const struct buf *m, const char *name, struct run *r)
{
	struct buf	b = { 0 };
	int		rc;

	put(&b, listed, sizeof(listed));
	event(&b, name, m);
	run_start(r);
	rc = feed(r, b.p, b.len, 13);
	free(b.p);
	return rc;
}

static void
test_refused(void)
{
	struct buf	 m = { 0 }, b = { 0 };
	struct run	 r;
	char		 id[400];
	int		 i, rc;

	/* unknown sections, keys and lists, at every depth */
	kv(&m, "up", "yes");
	kv(&m, "future", "x");
	section(&m, "rw");
	kv(&m, "uniqueid", "5");
	section(&m, "child-sas");
	section(&m, "rw-5");
	list(&m, "local-ts", "10.0.0.0/24", "fd00::/64");
	kv(&m, "remote-id", "not@this-level");
	end(&m);
	end(&m);
	kv(&m, "state", "ESTABLISHED");
	kv(&m, "remote-id", "a@x");
	list(&m, "unknown-list", "1", "2");
	list(&m, "remote-vips", "10.0.0.5", "fd00::5");
	end(&m);
	ok(one(&m, "list-sa", &r) == 1 && r.t.n == 1 &&
	    has_addr(peer(&r.t, "a@x"), "fd00::5"),
	    "unknown keys, lists and sections stepped over, at any depth");
	run_end(&r);
	ok(one(&m, "future-event", &r) == 1 && r.t.n == 0,
	    "an event we did not ask for changes nothing");
	run_end(&r);

	m.len = 0;
	for (i = 0; i < 8; i++)
		section(&m, "s");
	for (i = 0; i < 8; i++)
		end(&m);
	ok(one(&m, "future-event", &r) == 1, "sections 8 deep: taken");
	run_end(&r);
	m.len = 0;
	for (i = 0; i < 9; i++)
		section(&m, "s");
	for (i = 0; i < 9; i++)
		end(&m);
	ok(one(&m, "future-event", &r) == -1, "9 deep: refused, in any "
	    "event (%s)", r.err);
	run_end(&r);

	m.len = 0;
	section(&m, "rw");
	ok(one(&m, "list-sa", &r) == -1, "a message that ends inside a "
	    "section (%s)", r.err);
	run_end(&r);
	m.len = 0;
	end(&m);
	ok(one(&m, "list-sa", &r) == -1, "a section end without a start "
	    "(%s)", r.err);
	run_end(&r);
	m.len = 0;
	put8(&m, 4);
	put8(&m, 1);
	put8(&m, 'l');
	put8(&m, 4);
	put8(&m, 1);
	put8(&m, 'm');
	ok(one(&m, "list-sa", &r) == -1, "a list inside a list (%s)", r.err);
	run_end(&r);
	m.len = 0;
	put8(&m, 5);
	put16(&m, 1);
	put8(&m, 'x');
	ok(one(&m, "list-sa", &r) == -1, "a list item outside a list (%s)",
	    r.err);
	run_end(&r);
	m.len = 0;
	put8(&m, 9);
	ok(one(&m, "list-sa", &r) == -1, "an element of unknown type (%s)",
	    r.err);
	run_end(&r);

	/* truncated elements: each length past its packet's end */
	m.len = 0;
	put8(&m, 3);
	put8(&m, 8);
	put(&m, "uniqueid", 8);
	put16(&m, 200);
	put(&m, "12", 2);
	ok(one(&m, "list-sa", &r) == -1, "a value longer than what is left "
	    "(%s)", r.err);
	run_end(&r);
	m.len = 0;
	put8(&m, 1);
	put8(&m, 200);
	put(&m, "rw", 2);
	ok(one(&m, "list-sa", &r) == -1, "a name longer than what is left "
	    "(%s)", r.err);
	run_end(&r);
	m.len = 0;
	put8(&m, 3);
	ok(one(&m, "list-sa", &r) == -1, "an element cut after its type "
	    "(%s)", r.err);
	run_end(&r);

	/* packets */
	run_start(&r);
	ok(feed(&r, "\0\x08\0\x01", 4, 4) == -1, "a packet of 512 KiB + 1 "
	    "(%s)", r.err);
	run_end(&r);
	run_start(&r);
	ok(feed(&r, "\0\0\0\0", 4, 4) == -1, "an empty packet (%s)", r.err);
	run_end(&r);
	run_start(&r);
	ok(feed(&r, "\0\0\0\x01\x02", 5, 5) == -1,
	    "CMD_UNKNOWN: charon has no list-sas (%s)", r.err);
	run_end(&r);
	run_start(&r);
	ok(feed(&r, "\0\0\0\x01\x06", 5, 5) == -1,
	    "EVENT_UNKNOWN: an event charon does not know (%s)", r.err);
	run_end(&r);
	run_start(&r);
	ok(feed(&r, "\0\0\0\x03\x00\x01x", 7, 7) == -1,
	    "a request from charon (%s)", r.err);
	run_end(&r);
	run_start(&r);
	ok(feed(&r, "\0\0\0\x02\x05\x00", 6, 6) == -1,
	    "a confirmation with data (%s)", r.err);
	run_end(&r);

	/* values */
	m.len = 0;
	sa(&m, "x1", "a@x", "ESTABLISHED", "10.0.0.1", NULL);
	ok(one(&m, "list-sa", &r) == -1, "a uniqueid that is not a number "
	    "(%s)", r.err);
	run_end(&r);
	m.len = 0;
	sa(&m, "1", "a@x", "ESTABLISHED", "10.0.0.300", NULL);
	ok(one(&m, "list-sa", &r) == -1, "a virtual IP that is not an "
	    "address (%s)", r.err);
	run_end(&r);
	m.len = 0;
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	sa(&m, "1", id, "ESTABLISHED", "10.0.0.1", NULL);
	ok((rc = one(&m, "list-sa", &r)) == 1 && r.t.n == 0,
	    "an identity of 399 bytes, longer than a key: no client");
	run_end(&r);
	m.len = 0;
	for (i = 0; i < 5; i++)
		sa(&m, "1", "a@x", "ESTABLISHED", "10.0.0.1", NULL);
	ok(one(&m, "list-sa", &r) == -1, "an event of 5 IKE SAs (%s)",
	    r.err);
	run_end(&r);
	free(m.p);
	free(b.p);
}

static void
test_display(void)
{
	static const char	*cases[][2] = {
		{ "phone@vpn.test", "phone" },
		{ "C=XX, O=vpn.test lab, CN=phone@vpn.test", "phone" },
		{ "C=XX, O=lab, CN=Bob's Phone", "Bob's Phone" },
		{ "CN=laptop.vpn.test, O=lab", "laptop" },
		{ "laptop.vpn.test", "laptop" },
		{ "198.51.100.2", "198.51.100.2" },
		{ "fd00::2", "fd00::2" },
		{ "Bob's laptop", "Bob's laptop" },
		{ "J. Smith", "J. Smith" },
		{ "@vpn.test", "@vpn.test" },
	};
	char	out[PEER_DISPLAY_MAX];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vici_parser.display(cases[i][0], out, sizeof(out));
		ok(strcmp(out, cases[i][1]) == 0, "identity \"%s\": name "
		    "\"%s\" (got \"%s\")", cases[i][0], cases[i][1], out);
	}
}

int
main(void)
{
	test_captures();
	test_sessions();
	test_refused();
	test_display();
	return tap_done();
}
