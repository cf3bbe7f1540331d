/*
 * Presence: the names of VPN peers, answered only while the peer is
 * there, whatever VPN it is of (a source's kind is kept for listings
 * only).  A peer whose source knows connections (a "session": IPsec,
 * OpenVPN) is online while it is connected; any other (WireGuard) while
 * its last activity (the later of its latest handshake and the last
 * time wgwatch saw its received bytes grow) is younger than its domain's
 * threshold, decided when the query comes: nothing has to fire when a
 * peer goes stale.
 *
 * For a peer named NAME of source BLOCK in domain SUFFIX:
 *	NAME.SUFFIX		its host addresses, while online (the peers
 *				of every source with that name)
 *	NAME.BLOCK.SUFFIX	the same, that source only
 *	NAME.offline.SUFFIX	its addresses while offline, when the domain
 *				has offline-names
 *	the reverse names	a PTR to NAME.SUFFIX, while online
 * Anything else falls to the local data, which answers NXDOMAIN (or NODATA
 * at BLOCK.SUFFIX and offline.SUFFIX, which it holds as empty names).
 *
 * Two tables: the names, from the configuration, and the peers as their
 * sources report them (through wgwatch), which outlive a reload.  A peer
 * the configuration does not name takes the name its source gives it (an
 * IPsec identity's user, an OpenVPN common name), made a label by
 * slug_label(), unless that name is already taken: such names live and
 * die with their peer.
 */
#include <sys/types.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dname.h"
#include "dnsmsg.h"
#include "imsg.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "resolver.h"
#include "siphash.h"
#include "slug.h"

struct pzone {
	uint8_t		 apex[DNS_MAX_NAME];
	size_t		 apexlen;
	size_t		 index;		/* in pnames.zones */
	uint32_t	 ttl;
	uint32_t	 threshold;
	int		 offline_names;
};

/* A source as the resolver knows it: its domain, its kind for display. */
struct psource {
	char		 name[SRC_NAME_MAX];
	uint32_t	 kind;
	struct pzone	*zone;
};

struct pname;

struct ppeer {
	RB_ENTRY(ppeer)	 entry;
	RB_ENTRY(ppeer)	 byexpiry;	/* while shown online by activity */
	int64_t		 expires;	/* activity + threshold */
	int		 shown;		/* the state its last line told */
	char		 source[SRC_NAME_MAX];
	char		 key[PEER_KEY_MAX];
	char		 display[PEER_DISPLAY_MAX];	/* its source's name */
	int64_t		 handshake;
	int64_t		 activity;
	uint8_t		 session;	/* online while connected */
	uint8_t		 connected;
	uint16_t	 keepalive;
	uint16_t	 naddrs;
	struct peer_addr addrs[PEER_MAX_ADDRS];
	struct pname	*name;
};

struct pname {
	RB_ENTRY(pname)	 bylabel;	/* zone, label, source */
	RB_ENTRY(pname)	 bykey;		/* source, key */
	char		 source[SRC_NAME_MAX];
	char		 key[PEER_KEY_MAX];
	uint8_t		 label[64];
	size_t		 labellen;
	char		 display[PEER_DISPLAY_MAX];
	struct pzone	*zone;
	struct ppeer	*peer;
	int		 dynamic;	/* its peer's source gave it */
};

struct paddr {
	RB_ENTRY(paddr)	 entry;
	struct peer_addr addr;
	struct ppeer	*peer;
};

RB_HEAD(ppeer_tree, ppeer);
RB_HEAD(ppeer_expiry, ppeer);
RB_HEAD(pname_label, pname);
RB_HEAD(pname_key, pname);
RB_HEAD(paddr_tree, paddr);

struct pnames {
	struct pzone		**zones;
	size_t			  nzones;
	struct psource		 *sources;
	size_t			  nsources;
	struct pname_label	  bylabel;
	struct pname_key	  bykey;
	size_t			  count;
};

struct presence {
	struct pnames		*names;
	struct pnames		*nnames;	/* being received */
	struct ppeer_tree	 peers;
	struct paddr_tree	 addrs;
	size_t			 npeers;
	/* a transaction from wgwatch, applied at its end */
	struct peer_msg		*pending;
	uint8_t			*pending_gone;
	size_t			 npending;
	size_t			 cappending;
	char			 txsrc[SRC_NAME_MAX];
	int			 intx;
	/* the peers shown online, by when they go offline unless heard */
	struct ppeer_expiry	 expiry;
	struct event		 expiry_ev;
};

static int
ppeer_cmp(struct ppeer *a, struct ppeer *b)
{
	int	c;

	if ((c = strcmp(a->source, b->source)) != 0)
		return c;
	return strcmp(a->key, b->key);
}

static int
ppeer_expiry_cmp(struct ppeer *a, struct ppeer *b)
{
	if (a->expires != b->expires)
		return a->expires < b->expires ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int
pname_label_cmp(struct pname *a, struct pname *b)
{
	int	c;

	if (a->zone != b->zone)
		return a->zone < b->zone ? -1 : 1;
	if (a->labellen != b->labellen)
		return a->labellen < b->labellen ? -1 : 1;
	if ((c = memcmp(a->label, b->label, a->labellen)) != 0)
		return c;
	return strcmp(a->source, b->source);
}

static int
pname_key_cmp(struct pname *a, struct pname *b)
{
	int	c;

	if ((c = strcmp(a->source, b->source)) != 0)
		return c;
	return strcmp(a->key, b->key);
}

static int
paddr_cmp(struct paddr *a, struct paddr *b)
{
	int	c;

	if ((c = memcmp(&a->addr, &b->addr, sizeof(a->addr))) != 0)
		return c;
	if (a->peer != b->peer)
		return a->peer < b->peer ? -1 : 1;
	return 0;
}

RB_GENERATE_STATIC_UNUSED(ppeer_tree, ppeer, entry, ppeer_cmp)
RB_GENERATE_STATIC_UNUSED(ppeer_expiry, ppeer, byexpiry, ppeer_expiry_cmp)
RB_GENERATE_STATIC_UNUSED(pname_label, pname, bylabel, pname_label_cmp)
RB_GENERATE_STATIC_UNUSED(pname_key, pname, bykey, pname_key_cmp)
RB_GENERATE_STATIC_UNUSED(paddr_tree, paddr, entry, paddr_cmp)

static struct pnames *
pnames_new(void)
{
	struct pnames	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		fatal("calloc");
	RB_INIT(&n->bylabel);
	RB_INIT(&n->bykey);
	return n;
}

static void
pnames_free(struct pnames *n)
{
	struct pname	*p, *next;
	size_t		 i;

	if (n == NULL)
		return;
	RB_FOREACH_SAFE(p, pname_key, &n->bykey, next) {
		RB_REMOVE(pname_key, &n->bykey, p);
		if (p->peer != NULL)
			p->peer->name = NULL;
		free(p);
	}
	for (i = 0; i < n->nzones; i++)
		free(n->zones[i]);
	free(n->zones);
	free(n->sources);
	free(n);
}

static void	expiry_fire(int, short, void *);
static void	format_addrs(const struct ppeer *, char *, size_t);
static void	peer_transition(struct presence *, struct ppeer *, time_t,
		    const char *);

struct presence *
presence_new(void)
{
	struct presence	*pr;

	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		fatal("calloc");
	pr->names = pnames_new();
	RB_INIT(&pr->peers);
	RB_INIT(&pr->addrs);
	RB_INIT(&pr->expiry);
	evtimer_set(&pr->expiry_ev, expiry_fire, pr);
	return pr;
}

/* A reload: domains, then sources and named peers, then presence_end. */
void
presence_begin(struct presence *pr)
{
	pnames_free(pr->nnames);
	pr->nnames = pnames_new();
}

static int
wire_name(const char *text, uint8_t *out, size_t *len)
{
	struct dname	d;
	char		err[256];

	if (dname_parse(text, &d, err, sizeof(err)) == -1)
		return -1;
	*len = d.len;
	memcpy(out, d.wire, d.len);
	return 0;
}

void
presence_add_domain(struct presence *pr, const struct domain_msg *dc)
{
	struct pnames	*n = pr->nnames;
	struct pzone	*z;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		fatal("calloc");
	if (wire_name(dc->name, z->apex, &z->apexlen) == -1)
		fatalx("bad domain \"%s\"", dc->name);
	z->ttl = dc->ttl;
	z->threshold = dc->threshold;
	z->offline_names = dc->offline_names;
	z->index = n->nzones;
	n->zones = reallocarray(n->zones, n->nzones + 1, sizeof(*n->zones));
	if (n->zones == NULL)
		fatal("reallocarray");
	n->zones[n->nzones++] = z;
}

static struct pzone *
zone_exact(const struct pnames *n, const uint8_t *apex, size_t len)
{
	size_t	i;

	for (i = 0; i < n->nzones; i++)
		if (n->zones[i]->apexlen == len &&
		    memcmp(n->zones[i]->apex, apex, len) == 0)
			return n->zones[i];
	return NULL;
}

/* A declared domain by its text. */
static struct pzone *
zone_named(const struct pnames *n, const char *text)
{
	uint8_t		 apex[DNS_MAX_NAME];
	size_t		 apexlen;

	if (wire_name(text, apex, &apexlen) == -1)
		return NULL;
	return zone_exact(n, apex, apexlen);
}

static const struct psource *
source_find(const struct pnames *n, const char *name)
{
	size_t	i;

	for (i = 0; i < n->nsources; i++)
		if (strcmp(n->sources[i].name, name) == 0)
			return &n->sources[i];
	return NULL;
}

void
presence_add_source(struct presence *pr, const struct source_msg *sm)
{
	struct pnames	*n = pr->nnames;
	struct psource	*s;

	if (n->nsources == SRC_MAX || source_find(n, sm->name) != NULL)
		fatalx("source \"%s\" given twice, or too many", sm->name);
	n->sources = reallocarray(n->sources, n->nsources + 1,
	    sizeof(*n->sources));
	if (n->sources == NULL)
		fatal("reallocarray");
	s = &n->sources[n->nsources++];
	memset(s, 0, sizeof(*s));
	strlcpy(s->name, sm->name, sizeof(s->name));
	s->kind = sm->kind;
	if ((s->zone = zone_named(n, sm->domain)) == NULL)
		fatalx("source \"%s\" in an unknown domain", sm->name);
}

void
presence_add_name(struct presence *pr, const struct peername_msg *pm)
{
	struct pnames	*n = pr->nnames;
	struct pname	*p;
	size_t		 len = strlen(pm->name);

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	if (len == 0 || len > 63 || source_find(n, pm->source) == NULL ||
	    (p->zone = zone_named(n, pm->domain)) == NULL)
		fatalx("peer \"%s\" of an unknown source or domain", pm->name);
	strlcpy(p->source, pm->source, sizeof(p->source));
	strlcpy(p->key, pm->key, sizeof(p->key));
	memcpy(p->label, pm->name, len);
	p->labellen = len;
	strlcpy(p->display, pm->display, sizeof(p->display));
	if (RB_INSERT(pname_key, &n->bykey, p) != NULL ||
	    RB_INSERT(pname_label, &n->bylabel, p) != NULL)
		fatalx("peer \"%s\" of %s given twice", pm->name, pm->source);
	n->count++;
}

/* NAME.SUFFIX in wire form; 0 when too long. */
static size_t
name_wire(const struct pname *p, uint8_t *out)
{
	size_t	len = 1 + p->labellen + p->zone->apexlen;

	if (len > DNS_MAX_NAME)
		return 0;
	out[0] = p->labellen;
	memcpy(out + 1, p->label, p->labellen);
	memcpy(out + 1 + p->labellen, p->zone->apex, p->zone->apexlen);
	return len;
}

/*
 * A peer the configuration does not name takes the name its source gives
 * it, unless that makes no label, is taken in its source (a configured
 * peer's, another peer's that folded to the same label: the first keeps
 * it), or is a name the local data already holds (a record, or a name
 * above one: a client must not stand in for a record).  Said once, when
 * the peer comes.
 */
static void
dynamic_name(struct pnames *n, struct ppeer *peer, const struct localdata *ld)
{
	const struct psource	*src;
	struct pname		*p, *o;
	const char		*why;
	char			 label[SLUG_LABEL_MAX + 1];
	uint8_t			 wire[DNS_MAX_NAME];
	size_t			 len;

	if (peer->display[0] == '\0' ||
	    (src = source_find(n, peer->source)) == NULL)
		return;
	if (slug_label(peer->display, label, sizeof(label), &why) == -1) {
		log_info("%s: \"%s\" stays unnamed: %s", peer->source,
		    peer->key, why);
		return;
	}
	len = strlen(label);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	strlcpy(p->source, peer->source, sizeof(p->source));
	strlcpy(p->key, peer->key, sizeof(p->key));
	memcpy(p->label, label, len);
	p->labellen = len;
	strlcpy(p->display, peer->display, sizeof(p->display));
	p->zone = src->zone;
	p->dynamic = 1;
	if (strcmp(label, "offline") == 0 ||
	    (len = name_wire(p, wire)) == 0 ||
	    localdata_has_name(ld, wire, len)) {
		log_warnx("%s: \"%s\" stays unnamed: \"%s\" is a name of "
		    "the local data, or none", peer->source, peer->key, label);
		free(p);
		return;
	}
	if ((o = RB_INSERT(pname_label, &n->bylabel, p)) != NULL) {
		log_warnx("%s: \"%s\" stays unnamed: its label \"%s\" is "
		    "already \"%s\"'s", peer->source, peer->key, label,
		    o->key);
		free(p);
		return;
	}
	if (RB_INSERT(pname_key, &n->bykey, p) != NULL)
		fatalx("a peer named twice");
	n->count++;
	p->peer = peer;
	peer->name = p;
}

static void
name_free(struct pnames *n, struct pname *p)
{
	RB_REMOVE(pname_key, &n->bykey, p);
	RB_REMOVE(pname_label, &n->bylabel, p);
	n->count--;
	free(p);
}

/* The configured name of a peer, if any. */
static struct pname *
name_of(const struct pnames *n, const struct ppeer *peer)
{
	struct pname	key;

	memcpy(key.source, peer->source, sizeof(key.source));
	memcpy(key.key, peer->key, sizeof(key.key));
	return RB_FIND(pname_key, (struct pname_key *)&n->bykey, &key);
}

/*
 * Swap the names in and tie every known peer to its name: the
 * configuration's first, then the sources' own for the others.
 */
void
presence_end(struct presence *pr, const struct localdata *ld)
{
	struct pname	*p;
	struct ppeer	*peer;

	pnames_free(pr->names);
	pr->names = pr->nnames;
	pr->nnames = NULL;
	RB_FOREACH(peer, ppeer_tree, &pr->peers) {
		p = name_of(pr->names, peer);
		peer->name = p;
		if (p != NULL)
			p->peer = peer;
	}
	RB_FOREACH(peer, ppeer_tree, &pr->peers)
		if (peer->name == NULL)
			dynamic_name(pr->names, peer, ld);
	/* names and thresholds may be new: each peer's state, told */
	RB_FOREACH(peer, ppeer_tree, &pr->peers)
		peer_transition(pr, peer, time(NULL), "the configuration");
	log_debug("presence: %zu named peers", pr->names->count);
}

static int
peer_online(const struct ppeer *peer, const struct pzone *z, time_t now)
{
	if (peer->session)
		return peer->connected;
	return peer->activity > 0 &&
	    now - peer->activity < (int64_t)z->threshold;
}

/* Whether a named peer answers now: what a change must be compared on. */
static int
peer_answers(const struct ppeer *peer, time_t now)
{
	return peer->name != NULL && peer_online(peer, peer->name->zone, now);
}

static void
addrs_unlink(struct presence *pr, struct ppeer *peer)
{
	struct paddr	key, *a;
	uint16_t	i;

	for (i = 0; i < peer->naddrs; i++) {
		key.addr = peer->addrs[i];
		key.peer = peer;
		if ((a = RB_FIND(paddr_tree, &pr->addrs, &key)) != NULL) {
			RB_REMOVE(paddr_tree, &pr->addrs, a);
			free(a);
		}
	}
}

static void
addrs_link(struct presence *pr, struct ppeer *peer)
{
	struct paddr	*a;
	uint16_t	 i;

	for (i = 0; i < peer->naddrs; i++) {
		if ((a = calloc(1, sizeof(*a))) == NULL)
			fatal("calloc");
		a->addr = peer->addrs[i];
		a->peer = peer;
		if (RB_INSERT(paddr_tree, &pr->addrs, a) != NULL)
			free(a);
	}
}

/* The wall clock, to the microsecond: when a threshold is crossed. */
static double
wall_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The timer for the first peer shown online to go offline, if any. */
static void
expiry_arm(struct presence *pr)
{
	struct ppeer	*first = RB_MIN(ppeer_expiry, &pr->expiry);
	struct timeval	 tv;
	double		 in;

	evtimer_del(&pr->expiry_ev);
	if (first == NULL)
		return;
	/* just past the second it goes offline in (time(NULL) decides) */
	in = first->expires - wall_now() + 0.01;
	if (in < 0)
		in = 0;
	tv.tv_sec = in;
	tv.tv_usec = (in - tv.tv_sec) * 1e6;
	evtimer_add(&pr->expiry_ev, &tv);
}

static void
peer_line(const struct ppeer *peer, const char *state, const char *why)
{
	char	addrs[PEER_MAX_ADDRS * 48];

	format_addrs(peer, addrs, sizeof(addrs));
	if (why != NULL)
		log_info("peer \"%s\" (%.*s) on %s, %s: %s: %s",
		    peer->name->display, (int)peer->name->labellen,
		    peer->name->label, peer->source, addrs, state, why);
	else
		log_info("peer \"%s\" (%.*s) on %s, %s: %s",
		    peer->name->display, (int)peer->name->labellen,
		    peer->name->label, peer->source, addrs, state);
}

/*
 * One line when a named peer comes online and one when it goes offline,
 * never one per poll: the state its last line told is kept, and a peer
 * shown online by its activity waits in the expiry tree for the moment
 * its activity ages past the threshold, when the timer tells it
 * (presence is decided at query time, so nothing else would notice).  A
 * session's end is a change wgwatch sends.  'why' says what changed
 * when it is not the passing of time.
 */
static void
peer_transition(struct presence *pr, struct ppeer *peer, time_t now,
    const char *why)
{
	char	age[48];
	int	online = peer_answers(peer, now);

	if (peer->shown && !peer->session)
		RB_REMOVE(ppeer_expiry, &pr->expiry, peer);
	if (online && !peer->shown)
		peer_line(peer, "online", NULL);
	else if (!online && peer->shown) {
		if (peer->name != NULL && peer->session && why == NULL)
			why = "disconnected";
		else if (peer->name != NULL && peer->activity > 0) {
			snprintf(age, sizeof(age), "no activity for %lld s",
			    (long long)(now - peer->activity));
			why = age;
		}
		/* a name a reload took away: said with the old one */
		if (peer->name != NULL)
			peer_line(peer, "offline", why);
		else
			log_info("a peer on %s: offline: %s", peer->source,
			    why != NULL ? why : "no longer named");
	}
	peer->shown = online;
	if (online && !peer->session) {
		peer->expires = peer->activity + peer->name->zone->threshold;
		RB_INSERT(ppeer_expiry, &pr->expiry, peer);
	}
	expiry_arm(pr);
}

/* A peer shown online reached its threshold: the ones due, told. */
static void
expiry_fire(int fd, short event, void *arg)
{
	struct presence	*pr = arg;
	struct ppeer	*peer;
	time_t		 now = time(NULL);

	(void)fd;
	(void)event;
	while ((peer = RB_MIN(ppeer_expiry, &pr->expiry)) != NULL &&
	    peer->expires <= now)
		peer_transition(pr, peer, now, NULL);
	expiry_arm(pr);
}

static void
peer_remove(struct presence *pr, struct ppeer *peer, const char *why)
{
	/* gone from its source: no longer answering */
	peer->activity = 0;
	peer->connected = 0;
	peer_transition(pr, peer, 0, why);
	addrs_unlink(pr, peer);
	if (peer->name != NULL && peer->name->dynamic)
		name_free(pr->names, peer->name);
	else if (peer->name != NULL)
		peer->name->peer = NULL;
	RB_REMOVE(ppeer_tree, &pr->peers, peer);
	free(peer);
	pr->npeers--;
}

/*
 * Returns 1 when an answer may change: a new peer, other addresses, or
 * another decision now.  Activity that decides nothing new (wgwatch's
 * quarter-threshold refresh of a peer that keeps talking) changes none.
 */
static int
peer_update(struct presence *pr, const struct peer_msg *m,
    const struct localdata *ld, time_t now)
{
	struct ppeer	key, *peer;
	int		changed = 1, was = 0;

	memcpy(key.source, m->source, sizeof(key.source));
	memcpy(key.key, m->key, sizeof(key.key));
	if ((peer = RB_FIND(ppeer_tree, &pr->peers, &key)) == NULL) {
		if (pr->npeers >= SRC_MAX * (size_t)SRC_MAX_PEERS)
			fatalx("more peers than the sources can hold");
		if ((peer = calloc(1, sizeof(*peer))) == NULL)
			fatal("calloc");
		memcpy(peer->source, m->source, sizeof(peer->source));
		memcpy(peer->key, m->key, sizeof(peer->key));
		memcpy(peer->display, m->display, sizeof(peer->display));
		RB_INSERT(ppeer_tree, &pr->peers, peer);
		pr->npeers++;
		if ((peer->name = name_of(pr->names, peer)) != NULL)
			peer->name->peer = peer;
		else
			dynamic_name(pr->names, peer, ld);
	} else {
		was = peer_answers(peer, now);
		changed = peer->naddrs != m->naddrs || memcmp(peer->addrs,
		    m->addrs, m->naddrs * sizeof(m->addrs[0])) != 0;
		if (changed)
			addrs_unlink(pr, peer);
	}
	peer->handshake = m->handshake;
	peer->activity = m->activity;
	peer->session = m->session;
	peer->connected = m->connected;
	peer->keepalive = m->keepalive;
	if (changed) {
		peer->naddrs = m->naddrs;
		memcpy(peer->addrs, m->addrs, m->naddrs * sizeof(m->addrs[0]));
		addrs_link(pr, peer);
	}
	peer_transition(pr, peer, now, NULL);
	return changed || was != peer_answers(peer, now);
}

static int
peer_gone(struct presence *pr, const struct peer_msg *m)
{
	struct ppeer	key, *peer;
	char		why[SRC_NAME_MAX + 16];

	memcpy(key.source, m->source, sizeof(key.source));
	memcpy(key.key, m->key, sizeof(key.key));
	if ((peer = RB_FIND(ppeer_tree, &pr->peers, &key)) == NULL)
		return 0;
	snprintf(why, sizeof(why), "gone from %s", peer->source);
	peer_remove(pr, peer, why);
	return 1;
}

static int
source_gone(struct presence *pr, const char *source)
{
	struct ppeer	*peer, *next;
	char		 why[SRC_NAME_MAX + 16];
	int		 gone = 0;

	snprintf(why, sizeof(why), "%s is gone", source);
	RB_FOREACH_SAFE(peer, ppeer_tree, &pr->peers, next)
		if (strcmp(peer->source, source) == 0) {
			peer_remove(pr, peer, why);
			gone = 1;
		}
	return gone;
}

static void
source_name(const struct imsg *imsg, char *out)
{
	struct source_ref	m;

	if (imsg->len != sizeof(m))
		fatalx("bad presence message %u", imsg->hdr.type);
	memcpy(&m, imsg->data, sizeof(m));
	if (memchr(m.name, '\0', sizeof(m.name)) == NULL)
		fatalx("presence message with an unterminated name");
	memcpy(out, m.name, SRC_NAME_MAX);
}

static void
pending_add(struct presence *pr, const struct imsg *imsg, int gone)
{
	struct peer_msg	 m;
	size_t		 hdr = offsetof(struct peer_msg, addrs);

	if (!pr->intx || imsg->len < hdr || imsg->len > sizeof(m))
		fatalx("bad peer message");
	memset(&m, 0, sizeof(m));
	memcpy(&m, imsg->data, imsg->len);
	if (m.naddrs > PEER_MAX_ADDRS || m.handshake < 0 || m.activity < 0 ||
	    m.session > 1 || m.connected > 1 ||
	    imsg->len != hdr + m.naddrs * sizeof(m.addrs[0]) ||
	    (gone && m.naddrs != 0) ||
	    memchr(m.key, '\0', sizeof(m.key)) == NULL || m.key[0] == '\0' ||
	    memchr(m.display, '\0', sizeof(m.display)) == NULL ||
	    strncmp(m.source, pr->txsrc, sizeof(m.source)) != 0)
		fatalx("bad peer message");
	if (pr->npending == pr->cappending) {
		if (pr->cappending >= SRC_MAX_PEERS)
			fatalx("a transaction of more than %d peers",
			    SRC_MAX_PEERS);
		pr->cappending = pr->cappending ? pr->cappending * 2 : 64;
		pr->pending = reallocarray(pr->pending, pr->cappending,
		    sizeof(*pr->pending));
		pr->pending_gone = reallocarray(pr->pending_gone,
		    pr->cappending, 1);
		if (pr->pending == NULL || pr->pending_gone == NULL)
			fatal("reallocarray");
	}
	pr->pending[pr->npending] = m;
	pr->pending_gone[pr->npending] = gone;
	pr->npending++;
}

/*
 * Changes from wgwatch: a transaction per source and reading, applied at
 * its end.  Returns 1 when an answer may have changed with it.
 */
int
presence_peers(struct presence *pr, const struct imsg *imsg,
    const struct localdata *ld, time_t now)
{
	char	source[SRC_NAME_MAX];
	size_t	i;
	int	changed = 0;

	switch (imsg->hdr.type) {
	case IMSG_PEERS_START:
		if (pr->intx)
			fatalx("nested presence transaction");
		source_name(imsg, pr->txsrc);
		pr->intx = 1;
		pr->npending = 0;
		break;
	case IMSG_PEER:
	case IMSG_PEER_GONE:
		pending_add(pr, imsg, imsg->hdr.type == IMSG_PEER_GONE);
		break;
	case IMSG_PEERS_DONE:
		source_name(imsg, source);
		if (!pr->intx || strcmp(source, pr->txsrc) != 0)
			fatalx("presence transaction ends out of place");
		for (i = 0; i < pr->npending; i++) {
			if (pr->pending_gone[i])
				changed |= peer_gone(pr, &pr->pending[i]);
			else
				changed |= peer_update(pr, &pr->pending[i],
				    ld, now);
		}
		log_debug("%s: %zu peer changes", pr->txsrc, pr->npending);
		pr->intx = 0;
		pr->npending = 0;
		break;
	case IMSG_SOURCE_GONE:
		if (pr->intx)
			fatalx("source gone mid-transaction");
		source_name(imsg, source);
		changed = source_gone(pr, source);
		log_debug("%s: every peer forgotten", source);
		break;
	}
	return changed;
}

/* Is 'name' NAME.(...).APEX of zone 'z'?  Returns the labels before it. */
static int
relative_labels(const uint8_t *name, size_t len, const struct pzone *z,
    const uint8_t *lab[2], uint8_t lablen[2])
{
	size_t	off = 0;
	int	n = 0;

	while (len - off > z->apexlen) {
		if (name[off] == 0 || n == 2)
			return 0;
		lab[n] = name + off + 1;
		lablen[n] = name[off];
		n++;
		off += 1 + name[off];
	}
	if (len - off != z->apexlen ||
	    memcmp(name + off, z->apex, z->apexlen) != 0)
		return 0;
	return n;
}

static ldns_rr *
addr_rr(const uint8_t *owner, size_t ownerlen, const struct peer_addr *a,
    uint32_t ttl)
{
	ldns_rr		*rr;
	ldns_rdf	*o, *d;

	if ((rr = ldns_rr_new()) == NULL ||
	    (o = ldns_dname_new_frm_data(ownerlen, owner)) == NULL)
		fatal("ldns");
	if (a->af == AF_INET) {
		ldns_rr_set_type(rr, LDNS_RR_TYPE_A);
		d = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, &a->a.v4);
	} else {
		ldns_rr_set_type(rr, LDNS_RR_TYPE_AAAA);
		d = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, &a->a.v6);
	}
	if (d == NULL)
		fatal("ldns_rdf_new_frm_data");
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_push_rdf(rr, d);
	return rr;
}

static void
push_addr(ldns_pkt *pkt, const uint8_t *owner, size_t ownerlen,
    const struct peer_addr *a, uint32_t ttl)
{
	if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER,
	    addr_rr(owner, ownerlen, a, ttl)))
		fatal("ldns_pkt_push_rr");
}

/* The addresses of the peers a name stands for, of the asked type. */
static size_t
push_peer_addrs(ldns_pkt *pkt, const uint8_t *qname, size_t qlen,
    uint16_t qtype, const struct ppeer *peer, uint32_t ttl)
{
	size_t	i, n = 0;
	int	af = qtype == LDNS_RR_TYPE_AAAA ? AF_INET6 : AF_INET;

	for (i = 0; i < peer->naddrs; i++)
		if (peer->addrs[i].af == af) {
			push_addr(pkt, qname, qlen, &peer->addrs[i], ttl);
			n++;
		}
	return n;
}

/*
 * NAME.SUFFIX, NAME.IF.SUFFIX, NAME.offline.SUFFIX.  Returns 1 with the
 * answer (addresses, or NODATA for another type) when the name stands for
 * at least one peer in the state it asks for, else 0.
 */
static int
answer_name(const struct presence *pr, const struct localdata *ld,
    const uint8_t *qname, size_t qlen, uint16_t qtype, time_t now,
    ldns_pkt *pkt)
{
	const struct pnames	*n = pr->names;
	const uint8_t		*lab[2];
	uint8_t			 lablen[2];
	struct pname		 key, *p;
	const struct pzone	*z;
	size_t			 i, matched = 0, records = 0;
	int			 nlab, offline;

	for (i = 0; i < n->nzones; i++) {
		z = n->zones[i];
		if ((nlab = relative_labels(qname, qlen, z, lab, lablen)) == 0)
			continue;
		offline = nlab == 2 && lablen[1] == 7 &&
		    memcmp(lab[1], "offline", 7) == 0;
		if (offline && !z->offline_names)
			return 0;
		memset(&key, 0, sizeof(key));
		key.zone = (struct pzone *)z;
		key.labellen = lablen[0];
		memcpy(key.label, lab[0], lablen[0]);
		for (p = RB_NFIND(pname_label, (struct pname_label *)
		    &n->bylabel, &key); p != NULL && p->zone == z &&
		    p->labellen == key.labellen &&
		    memcmp(p->label, key.label, key.labellen) == 0;
		    p = RB_NEXT(pname_label, &n->bylabel, p)) {
			if (p->peer == NULL)
				continue;
			if (nlab == 2 && !offline &&
			    (strlen(p->source) != lablen[1] ||
			    memcmp(p->source, lab[1], lablen[1]) != 0))
				continue;
			if (peer_online(p->peer, z, now) == offline)
				continue;
			matched++;
			if (qtype == LDNS_RR_TYPE_A ||
			    qtype == LDNS_RR_TYPE_AAAA)
				records += push_peer_addrs(pkt, qname, qlen,
				    qtype, p->peer, z->ttl);
			else if (qtype == LDNS_RR_TYPE_ANY)
				/* RFC 8482: one RRset, the A one */
				records += push_peer_addrs(pkt, qname, qlen,
				    LDNS_RR_TYPE_A, p->peer, z->ttl);
		}
		if (matched == 0)
			return 0;
		ldns_pkt_set_aa(pkt, 1);
		if (records == 0)
			localdata_nodata(ld, qname, qlen, pkt);
		return 1;
	}
	return 0;
}

/* 4.3.2.1.in-addr.arpa. or the 32 nibbles of ip6.arpa., to an address */
static int
reverse_addr(const uint8_t *name, size_t len, struct peer_addr *a)
{
	static const uint8_t	 v4[] = "\7in-addr\4arpa";
	static const uint8_t	 v6[] = "\3ip6\4arpa";
	size_t			 off = 0, i;
	unsigned int		 v;
	int			 nib, labels = 0;

	memset(a, 0, sizeof(*a));
	if (len > sizeof(v4) && memcmp(name + len - sizeof(v4), v4,
	    sizeof(v4)) == 0) {
		a->af = AF_INET;
		for (labels = 0; labels < 4; labels++) {
			if (off >= len || name[off] < 1 || name[off] > 3 ||
			    off + name[off] >= len)
				return -1;
			v = 0;
			for (i = 1; i <= name[off]; i++) {
				if (name[off + i] < '0' || name[off + i] > '9')
					return -1;
				v = v * 10 + name[off + i] - '0';
			}
			if (v > 255 || (name[off] > 1 && name[off + 1] == '0'))
				return -1;
			((uint8_t *)&a->a.v4)[3 - labels] = v;
			off += 1 + name[off];
		}
		return off + sizeof(v4) == len ? 0 : -1;
	}
	if (len == 32 * 2 + sizeof(v6) && memcmp(name + 64, v6,
	    sizeof(v6)) == 0) {
		a->af = AF_INET6;
		for (i = 0; i < 32; i++) {
			if (name[2 * i] != 1)
				return -1;
			v = name[2 * i + 1];
			if (v >= '0' && v <= '9')
				nib = v - '0';
			else if (v >= 'a' && v <= 'f')
				nib = v - 'a' + 10;
			else
				return -1;
			a->a.v6.s6_addr[15 - i / 2] |= i % 2 ? nib << 4 : nib;
		}
		return 0;
	}
	return -1;
}

/* OWNER PTR LABEL.APEX, with the zone's TTL; NULL if too long. */
static ldns_rr *
ptr_rr(const uint8_t *owner, size_t olen, const uint8_t *label,
    size_t labellen, const struct pzone *z)
{
	uint8_t		 target[DNS_MAX_NAME];
	size_t		 tlen = 1 + labellen + z->apexlen;
	ldns_rr		*rr;
	ldns_rdf	*o, *t;

	if (tlen > sizeof(target))
		return NULL;
	target[0] = labellen;
	memcpy(target + 1, label, labellen);
	memcpy(target + 1 + labellen, z->apex, z->apexlen);
	if ((rr = ldns_rr_new()) == NULL ||
	    (o = ldns_dname_new_frm_data(olen, owner)) == NULL ||
	    (t = ldns_dname_new_frm_data(tlen, target)) == NULL)
		fatal("ldns");
	ldns_rr_set_type(rr, LDNS_RR_TYPE_PTR);
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, z->ttl);
	ldns_rr_push_rdf(rr, t);
	return rr;
}

static void
push_ptr(ldns_pkt *pkt, const uint8_t *qname, size_t qlen,
    const struct pname *p)
{
	ldns_rr	*rr;

	if ((rr = ptr_rr(qname, qlen, p->label, p->labellen, p->zone)) !=
	    NULL && !ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr))
		fatal("ldns_pkt_push_rr");
}

static int
answer_ptr(const struct presence *pr, const uint8_t *qname, size_t qlen,
    time_t now, ldns_pkt *pkt)
{
	struct paddr	 key, *a;
	size_t		 n = 0;

	memset(&key, 0, sizeof(key));
	if (reverse_addr(qname, qlen, &key.addr) == -1)
		return 0;
	key.peer = NULL;
	for (a = RB_NFIND(paddr_tree, (struct paddr_tree *)&pr->addrs, &key);
	    a != NULL && memcmp(&a->addr, &key.addr, sizeof(key.addr)) == 0;
	    a = RB_NEXT(paddr_tree, &pr->addrs, a)) {
		if (a->peer->name == NULL ||
		    !peer_online(a->peer, a->peer->name->zone, now))
			continue;
		push_ptr(pkt, qname, qlen, a->peer->name);
		n++;
	}
	if (n > 0)
		ldns_pkt_set_aa(pkt, 1);
	return n > 0;
}

/* Returns 1 when 'pkt' holds a presence answer, 0 to go on. */
int
presence_answer(const struct presence *pr, const struct localdata *ld,
    const uint8_t *qname, size_t qlen, uint16_t qtype, time_t now,
    ldns_pkt *pkt)
{
	if (qtype == LDNS_RR_TYPE_PTR)
		return answer_ptr(pr, qname, qlen, now, pkt);
	return answer_name(pr, ld, qname, qlen, qtype, now, pkt);
}

/*
 * The empty names that hold presence names: BLOCK.SUFFIX and
 * offline.SUFFIX, of each source's domain and of each domain a named
 * peer of it is in.
 */
static void
ents_of(struct localdata *ld, const char *source, const struct pzone *z)
{
	uint8_t	name[DNS_MAX_NAME];
	size_t	len = strlen(source);

	if (1 + len + z->apexlen > sizeof(name))
		return;
	name[0] = len;
	memcpy(name + 1, source, len);
	memcpy(name + 1 + len, z->apex, z->apexlen);
	localdata_add_ent(ld, name, 1 + len + z->apexlen);
	if (z->offline_names) {
		memcpy(name, "\7offline", 8);
		memcpy(name + 8, z->apex, z->apexlen);
		localdata_add_ent(ld, name, 8 + z->apexlen);
	}
}

void
presence_ents(const struct presence *pr, struct localdata *ld)
{
	struct pname	*p;
	size_t		 i;

	for (i = 0; i < pr->names->nsources; i++)
		ents_of(ld, pr->names->sources[i].name,
		    pr->names->sources[i].zone);
	RB_FOREACH(p, pname_key, (struct pname_key *)&pr->names->bykey)
		ents_of(ld, p->source, p->zone);
}

static void
format_name(const struct pname *p, const char *middle, char *out,
    size_t outlen)
{
	ldns_rdf	*apex;
	char		*s;

	apex = ldns_dname_new_frm_data(p->zone->apexlen, p->zone->apex);
	s = apex != NULL ? ldns_rdf2str(apex) : NULL;
	snprintf(out, outlen, "%.*s.%s%s%s", (int)p->labellen, p->label,
	    middle ? middle : "", middle ? "." : "", s ? s : "?");
	free(s);
	ldns_rdf_deep_free(apex);
}

static void
format_addrs(const struct ppeer *peer, char *out, size_t outlen)
{
	char	 a[INET6_ADDRSTRLEN];
	size_t	 i, o = 0;

	out[0] = '\0';
	for (i = 0; i < peer->naddrs && o < outlen; i++) {
		inet_ntop(peer->addrs[i].af, &peer->addrs[i].a, a, sizeof(a));
		o += snprintf(out + o, outlen - o, "%s%s", i ? "," : "", a);
	}
	if (peer->naddrs == 0)
		strlcpy(out, "-", outlen);
}

/* Seconds since 't', -1 for never (0). */
static long long
age(int64_t t, time_t now)
{
	return t == 0 ? -1LL : (long long)(now - t);
}

/* A peer's kind of source, by its name: for listings only. */
static const char *
peer_vpn(const struct presence *pr, const struct ppeer *peer)
{
	const struct psource	*src = source_find(pr->names, peer->source);

	return src != NULL ? src_kind_name(src->kind) : "-";
}

/* The display name: the configuration's, or the source's own. */
static const char *
peer_display(const struct ppeer *peer)
{
	if (peer->name != NULL)
		return peer->name->display;
	return peer->display[0] != '\0' ? peer->display : NULL;
}

/* The JSON form of a peer's line. */
static void
peer_json(const struct ppeer *peer, const char *vpn, const char *label,
    const char *state, const char *n1, const char *n2, time_t now,
    char *line, size_t len)
{
	struct json	j;
	char		a[INET6_ADDRSTRLEN];
	size_t		i;

	json_init(&j, line, len);
	json_object(&j, NULL);
	json_str(&j, "source", peer->source);
	json_str(&j, "vpn", vpn);
	json_str(&j, "name", label);
	json_str(&j, "display_name", peer_display(peer));
	json_str(&j, "key", peer->key);
	json_uint(&j, "session", peer->session);
	json_array(&j, "addresses");
	for (i = 0; i < peer->naddrs; i++) {
		inet_ntop(peer->addrs[i].af, &peer->addrs[i].a, a, sizeof(a));
		json_str(&j, NULL, a);
	}
	json_close(&j);
	json_int(&j, "handshake_age", age(peer->handshake, now));
	json_int(&j, "activity_age", age(peer->activity, now));
	json_uint(&j, "keepalive", peer->keepalive);
	json_str(&j, "state", state);
	json_array(&j, "names");
	if (n1[0] != '\0')
		json_str(&j, NULL, n1);
	if (n2[0] != '\0')
		json_str(&j, NULL, n2);
	json_close(&j);
	json_close(&j);
	if (json_end(&j) == -1)
		strlcpy(line, "{\"error\": \"a peer too long to show\"}", len);
}

/* An age for the table: "12s", or "never". */
static void
format_age(int64_t t, time_t now, char *out, size_t len)
{
	if (t == 0)
		strlcpy(out, "never", len);
	else
		snprintf(out, len, "%llds", age(t, now));
}

/* show peers' table: its header and its rows */
#define PEER_COLS	"%-8s %-9s %-16s %-19s %-24s %-7s %-7s %-4s %-8s %s%s%s %s"
#define PEER_KEY_SHOWN	16	/* a longer key is cut, with "..." */

/*
 * A table for vpndnsctl show peers, a row per peer: its source and the
 * source's kind, name, key (its start), addresses, the ages of its
 * handshake (a session's start) and its last activity, the gateway's
 * keepalive to it, its state, the names that answer now, and its
 * display name; with 'json', the same as a JSON object (the whole key,
 * ages -1 for never).
 */
int
presence_dump(const struct presence *pr, time_t now, int json,
    int (*cb)(const char *, void *), void *arg)
{
	struct ppeer		*peer;
	const struct pname	*p;
	const char		*label, *state, *vpn, *display;
	char			 key[PEER_KEY_SHOWN + 4];
	char			 addrs[PEER_MAX_ADDRS * 48];
	char			 hs[32], act[32], ka[16];
	/* label[] is zero-filled past its 63 bytes at most: a C string */
	char			 n1[DNAME_TEXT_MAX + 80], n2[sizeof(n1)];
	char			 line[8192];	/* the JSON form: peer_json() */
	int			 online;

	snprintf(line, sizeof(line), PEER_COLS, "source", "vpn", "name",
	    "key", "addresses", "hs-age", "act-age", "ka", "state", "names",
	    "", "", "display-name");
	if (!json && cb(line, arg) == -1)
		return -1;
	RB_FOREACH(peer, ppeer_tree, (struct ppeer_tree *)&pr->peers) {
		p = peer->name;
		vpn = peer_vpn(pr, peer);
		online = peer_answers(peer, now);
		label = p != NULL ? (const char *)p->label : "-";
		state = p == NULL ? "unnamed" : online ? "online" : "offline";
		n1[0] = n2[0] = '\0';
		if (p != NULL && online) {
			format_name(p, NULL, n1, sizeof(n1));
			format_name(p, peer->source, n2, sizeof(n2));
		} else if (p != NULL && p->zone->offline_names)
			format_name(p, "offline", n1, sizeof(n1));
		if (json) {
			peer_json(peer, vpn, label, state, n1, n2, now, line,
			    sizeof(line));
			if (cb(line, arg) == -1)
				return -1;
			continue;
		}
		if (strlen(peer->key) > PEER_KEY_SHOWN + 3)
			snprintf(key, sizeof(key), "%.*s...", PEER_KEY_SHOWN,
			    peer->key);
		else
			strlcpy(key, peer->key, sizeof(key));
		display = peer_display(peer);
		format_addrs(peer, addrs, sizeof(addrs));
		format_age(peer->handshake, now, hs, sizeof(hs));
		format_age(peer->activity, now, act, sizeof(act));
		if (peer->keepalive == 0)
			strlcpy(ka, "-", sizeof(ka));
		else
			snprintf(ka, sizeof(ka), "%us", peer->keepalive);
		snprintf(line, sizeof(line), PEER_COLS, peer->source, vpn,
		    label, key, addrs, hs, act, ka, state, n1[0] ? n1 : "-",
		    n2[0] ? " " : "", n2, display != NULL ? display : "-");
		if (cb(line, arg) == -1)
			return -1;
	}
	return 0;
}

size_t
presence_npeers(const struct presence *pr)
{
	return pr->npeers;
}

/* Peers per source, online, offline, or without a name. */
void
presence_metrics(const struct presence *pr, time_t now, struct metrics *m)
{
	static const char	*state[] = { "offline", "online", "unnamed" };
	struct {
		char		 source[SRC_NAME_MAX];
		const char	*vpn;
		uint64_t	 n[3];
	}			 srcs[SRC_MAX];
	struct ppeer		*peer;
	char			 l[METRICS_LINE_MAX];
	size_t			 nsrcs = 0, i, k;

	memset(srcs, 0, sizeof(srcs));
	RB_FOREACH(peer, ppeer_tree, (struct ppeer_tree *)&pr->peers) {
		for (i = 0; i < nsrcs; i++)
			if (strcmp(srcs[i].source, peer->source) == 0)
				break;
		if (i == nsrcs) {
			if (nsrcs == SRC_MAX)
				continue;	/* the parser allows no more */
			strlcpy(srcs[nsrcs].source, peer->source,
			    sizeof(srcs[0].source));
			srcs[nsrcs++].vpn = peer_vpn(pr, peer);
		}
		srcs[i].n[peer->name == NULL ? 2 :
		    peer_online(peer, peer->name->zone, now)]++;
	}
	metric_help(m, "vpndnsd_peers", "gauge",
	    "Peers by source and presence.");
	for (i = 0; i < nsrcs; i++)
		for (k = 0; k < 3; k++) {
			l[0] = '\0';
			metric_label(l, sizeof(l), "source", srcs[i].source);
			metric_label(l, sizeof(l), "vpn", srcs[i].vpn);
			metric_label(l, sizeof(l), "state", state[k]);
			metric_u64(m, "vpndnsd_peers", l, srcs[i].n[k]);
		}
}

/* Every name of the zone at 'apex', in label order, to 'cb'. */
static void
zone_each(const struct presence *pr, const uint8_t *apex, size_t apexlen,
    void (*cb)(const struct pname *, void *), void *arg)
{
	const struct pnames	*n = pr->names;
	struct pname		 key, *p;
	struct pzone		*z;

	if ((z = zone_exact(n, apex, apexlen)) == NULL)
		return;
	memset(&key, 0, sizeof(key));
	key.zone = z;
	for (p = RB_NFIND(pname_label, (struct pname_label *)&n->bylabel,
	    &key); p != NULL && p->zone == z;
	    p = RB_NEXT(pname_label, &n->bylabel, p))
		cb(p, arg);
}

struct answering {
	time_t	  now;
	void	(*cb)(const struct pname *, int, void *);
	void	 *arg;
};

static void
answering_one(const struct pname *p, void *arg)
{
	struct answering	*a = arg;
	int			 online;

	if (p->peer == NULL)
		return;
	online = peer_online(p->peer, p->zone, a->now);
	if (online || p->zone->offline_names)
		a->cb(p, online, a->arg);
}

/*
 * A zone's presence names as a transfer serves them: every peer that
 * answers now, in label order, to 'cb' with whether it is online.
 */
static void
zone_names(const struct presence *pr, const uint8_t *apex, size_t apexlen,
    time_t now, void (*cb)(const struct pname *, int, void *), void *arg)
{
	struct answering	a = { now, cb, arg };

	zone_each(pr, apex, apexlen, answering_one, &a);
}

void
precs_push(struct precs *r, const struct prec *e)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		if ((r->v = reallocarray(r->v, r->cap, sizeof(*e))) == NULL)
			fatal("reallocarray");
	}
	r->v[r->n++] = *e;
}

/* A record at one of the name's owners, zeroed: compared as bytes. */
static void
prec_init(struct prec *e, const struct pname *p, uint8_t kind)
{
	memset(e, 0, sizeof(*e));
	e->labellen = p->labellen;
	memcpy(e->label, p->label, p->labellen);
	if (kind == PREC_SOURCE)
		memcpy(e->source, p->source, sizeof(e->source));
	e->kind = kind;
	e->zone = p->zone->index;
}

static void
prec_addr(struct prec *e, const struct peer_addr *a)
{
	e->addr.af = a->af;
	memcpy(&e->addr.a, &a->a, a->af == AF_INET ? 4 : 16);
}

/* Where a zone's records go: pushed onto a snapshot, or hashed. */
struct emitter {
	void	(*emit)(const struct prec *, void *);
	void	 *arg;
};

/* The records of a peer's names: NAME and NAME.IF, or NAME.offline. */
static void
zone_collect(const struct pname *p, int online, void *arg)
{
	const struct emitter	*em = arg;
	struct prec		 e;
	size_t			 i, k;
	uint8_t			 kinds[2] = { PREC_NAME, PREC_SOURCE };

	if (!online)
		kinds[0] = PREC_OFFLINE;
	for (k = 0; k < (online ? 2u : 1u); k++)
		for (i = 0; i < p->peer->naddrs; i++) {
			prec_init(&e, p, kinds[k]);
			prec_addr(&e, &p->peer->addrs[i]);
			em->emit(&e, em->arg);
		}
}

/* 4.3.2.1.in-addr.arpa. or ip6.arpa.'s 32 nibbles; returns the length. */
static size_t
reverse_name(const struct peer_addr *a, uint8_t *out)
{
	static const char	 hex[] = "0123456789abcdef";
	const uint8_t		*b = (const uint8_t *)&a->a;
	size_t			 len = 0;
	int			 i;

	if (a->af == AF_INET) {
		for (i = 3; i >= 0; i--) {
			out[len] = snprintf((char *)out + len + 1, 4, "%u",
			    b[i]);
			len += 1 + out[len];
		}
		memcpy(out + len, "\7in-addr\4arpa", 14);
		return len + 14;
	}
	for (i = 15; i >= 0; i--) {
		out[len++] = 1;
		out[len++] = hex[b[i] & 0xf];
		out[len++] = 1;
		out[len++] = hex[b[i] >> 4];
	}
	memcpy(out + len, "\3ip6\4arpa", 10);
	return len + 10;
}

/*
 * The PTR records under 'apex' (a reverse domain): each address of an
 * online peer that falls in it, to its NAME.SUFFIX; or with 'owners',
 * every named peer's address in it, online or not (what a resync clears).
 */
static void
zone_ptrs(const struct presence *pr, const uint8_t *apex, size_t apexlen,
    time_t now, int owners, const struct emitter *em)
{
	static const uint8_t	 v4[] = "\7in-addr\4arpa", v6[] = "\3ip6\4arpa";
	struct paddr		*a;
	struct prec		 e;
	uint8_t			 rev[DNS_MAX_NAME];

	if (!dnsmsg_name_below(v4, sizeof(v4), apex, apexlen) &&
	    !dnsmsg_name_below(apex, apexlen, v4, sizeof(v4)) &&
	    !dnsmsg_name_below(v6, sizeof(v6), apex, apexlen) &&
	    !dnsmsg_name_below(apex, apexlen, v6, sizeof(v6)))
		return;		/* not a reverse domain, nor above one */
	RB_FOREACH(a, paddr_tree, (struct paddr_tree *)&pr->addrs) {
		if (a->peer->name == NULL || (!owners &&
		    !peer_online(a->peer, a->peer->name->zone, now)) ||
		    !dnsmsg_name_below(rev, reverse_name(&a->addr, rev), apex,
		    apexlen))
			continue;
		prec_init(&e, a->peer->name, PREC_PTR);
		prec_addr(&e, &a->addr);
		em->emit(&e, em->arg);
	}
}

static void
zone_precs(const struct presence *pr, const uint8_t *apex, size_t apexlen,
    time_t now, void (*emit)(const struct prec *, void *), void *arg)
{
	struct emitter	em = { emit, arg };

	zone_names(pr, apex, apexlen, now, zone_collect, &em);
	zone_ptrs(pr, apex, apexlen, now, 0, &em);
}

static void
emit_push(const struct prec *e, void *arg)
{
	precs_push(arg, e);
}

static int
prec_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct prec));
}

/*
 * The presence records of the domain at 'apex' now, sorted: what a
 * transfer holds of them, and what the journal compares.
 */
void
presence_records(const struct presence *pr, const uint8_t *apex,
    size_t apexlen, time_t now, struct precs *out)
{
	out->n = 0;
	zone_precs(pr, apex, apexlen, now, emit_push, out);
	if (out->n > 0)
		qsort(out->v, out->n, sizeof(out->v[0]), prec_cmp);
}

static void
owners_one(const struct pname *p, void *arg)
{
	const struct emitter	*em = arg;
	struct prec		 e;
	uint8_t			 k;

	for (k = PREC_NAME; k <= (p->zone->offline_names ? PREC_OFFLINE :
	    PREC_SOURCE); k++) {
		prec_init(&e, p, k);
		em->emit(&e, em->arg);
	}
}

/*
 * Every owner name the configuration can give the domain's peers (each a
 * record without an address), and every reverse name of theirs in it (a
 * PTR record with its address): what a full resync of a primary clears.
 */
void
presence_owners(const struct presence *pr, const uint8_t *apex,
    size_t apexlen, struct precs *out)
{
	struct emitter	em = { emit_push, out };

	out->n = 0;
	zone_each(pr, apex, apexlen, owners_one, &em);
	zone_ptrs(pr, apex, apexlen, 0, 1, &em);
}

/* A snapshot's record as ldns has it: NAME.[IF.|offline.]APEX A/AAAA,
 * or the address's reverse name PTR NAME.SUFFIX. */
ldns_rr *
presence_rr(const struct presence *pr, const uint8_t *apex, size_t apexlen,
    const struct prec *e)
{
	const struct pzone	*z = zone_exact(pr->names, apex, apexlen);
	const char		*middle = e->kind == PREC_SOURCE ? e->source :
				    e->kind == PREC_OFFLINE ? "offline" : "";
	uint8_t			 owner[DNS_MAX_NAME];
	size_t			 len = 1 + e->labellen, mlen = strlen(middle);

	if (e->kind == PREC_PTR)
		return e->zone >= pr->names->nzones ? NULL :
		    ptr_rr(owner, reverse_name(&e->addr, owner), e->label,
		    e->labellen, pr->names->zones[e->zone]);
	if (z == NULL || len + (mlen ? 1 + mlen : 0) + apexlen > sizeof(owner))
		return NULL;
	owner[0] = e->labellen;
	memcpy(owner + 1, e->label, e->labellen);
	if (mlen > 0) {
		owner[len] = mlen;
		memcpy(owner + len + 1, middle, mlen);
		len += 1 + mlen;
	}
	memcpy(owner + len, apex, apexlen);
	return addr_rr(owner, len + apexlen, &e->addr, z->ttl);
}

static void
emit_hash(const struct prec *e, void *arg)
{
	static const struct siphash_key	k = { 0x76706e646e73, 0x78667231 };
	uint64_t			*h = arg;

	*h = *h * 31 + siphash(&k, e, sizeof(*e));
}

/*
 * What the domain's presence records hash to now: when it changes, so
 * must the serial (a handshake ages past the threshold with no event).
 */
uint64_t
presence_digest(const struct presence *pr, const uint8_t *apex,
    size_t apexlen, time_t now)
{
	uint64_t	h = 0;

	zone_precs(pr, apex, apexlen, now, emit_hash, &h);
	return h;
}
