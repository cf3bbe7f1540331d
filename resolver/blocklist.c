/*
 * The blocklist table: one arena of entries and an open-addressing index
 * into it.  An entry is
 *
 *	flags (1 byte) | length (1) | name (lower-case wire)
 *
 * and its slot holds its offset and its hash (8 bytes, at a load of at
 * most 0.7), so that a probe for a name not listed, which is most of
 * them, reads the index and never the arena.  The index doubles as it
 * fills, and moves into its new slots a few at each name added rather
 * than all at once: a million-name list being read stalls no query (the
 * resolver reads it between queries).  A lookup hashes each
 * suffix of the query name (keyed SipHash: list contents come from the
 * Internet) and compares at most a few entries: O(labels), no
 * allocation.
 */
#include <sys/types.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "blocklist.h"
#include "log.h"
#include "vpndnsd.h"

#define BL_ENTRY_HDR	2
#define BL_ARENA_MAX	(UINT32_MAX - 1)
#define BL_MAX_LABELS	128
/* moved at each add: the old index is empty before the new one fills */
#define BL_MOVE_STEP	4

/* Names hosts files carry for the host itself, not to block. */
static const char *const hosts_boilerplate[] = {
	"0.0.0.0", "broadcasthost", "ip6-allhosts", "ip6-allnodes",
	"ip6-allrouters", "ip6-localhost", "ip6-localnet", "ip6-loopback",
	"ip6-mcastprefix", "local", "localhost", "localhost.localdomain",
};

void
bltable_init(struct bltable *t)
{
	memset(t, 0, sizeof(*t));
	arc4random_buf(&t->key, sizeof(t->key));
}

void
bltable_free(struct bltable *t)
{
	free(t->arena);
	free(t->slots);
	free(t->old);
	memset(t, 0, sizeof(*t));
}

size_t
bltable_bytes(const struct bltable *t)
{
	return t->acap + t->nslots * sizeof(*t->slots);
}

/* The slot holding 'name', or the empty slot where it would go. */
static size_t
bl_slot(const struct bltable *t, const uint8_t *name, size_t len,
    uint32_t h)
{
	size_t		 i = h & (t->nslots - 1);
	const uint8_t	*e;

	for (; t->slots[i].off != 0; i = (i + 1) & (t->nslots - 1)) {
		if (t->slots[i].hash != h)
			continue;
		e = t->arena + t->slots[i].off - 1;
		if (e[1] == len && memcmp(e + BL_ENTRY_HDR, name, len) == 0)
			break;
	}
	return i;
}

/*
 * In the old index while it is being moved: slots below 'moved' are in
 * the new one already, but still end no probe, so that what lies beyond
 * them is found.  Returns the slot, or -1.
 */
static ssize_t
bl_old_slot(const struct bltable *t, const uint8_t *name, size_t len,
    uint32_t h)
{
	size_t		 i = h & (t->nold - 1);
	const uint8_t	*e;

	for (; t->old[i].off != 0; i = (i + 1) & (t->nold - 1)) {
		if (i < t->moved || t->old[i].hash != h)
			continue;
		e = t->arena + t->old[i].off - 1;
		if (e[1] == len && memcmp(e + BL_ENTRY_HDR, name, len) == 0)
			return i;
	}
	return -1;
}

/*
 * Move up to 'n' more slots of the old index.  Returns 1 when none is
 * left to move.
 */
int
bltable_settle(struct bltable *t, size_t n)
{
	const struct blslot	*s;
	const uint8_t		*e;

	for (; t->old != NULL && n > 0; n--) {
		s = &t->old[t->moved];
		if (s->off != 0) {
			e = t->arena + s->off - 1;
			t->slots[bl_slot(t, e + BL_ENTRY_HDR, e[1], s->hash)] =
			    *s;
		}
		if (++t->moved == t->nold) {
			free(t->old);
			t->old = NULL;
			t->nold = t->moved = 0;
		}
	}
	return t->old == NULL;
}

static int
bl_grow_slots(struct bltable *t)
{
	struct blslot	*n;
	size_t		 nn = t->nslots ? t->nslots * 2 : 1024;

	/* BL_MOVE_STEP sees to it that this is a formality */
	(void)bltable_settle(t, SIZE_MAX);
	if ((n = calloc(nn, sizeof(*n))) == NULL)
		return -1;
	t->old = t->slots;
	t->nold = t->nslots;
	t->moved = 0;
	t->slots = n;
	t->nslots = nn;
	if (t->old == NULL)
		t->nold = 0;
	return 0;
}

/*
 * Add a name (lower-case wire form) with 'flags', or add the flags to it.
 * Returns 1 for a new name, 0 for a known one, -1 when out of memory.
 */
int
bltable_add(struct bltable *t, const uint8_t *name, size_t len,
    uint8_t flags)
{
	uint32_t	 h;
	size_t		 i, need, ncap;
	ssize_t		 o;
	uint8_t		*e;

	if (len == 0 || len > DNS_MAX_NAME)
		return -1;
	(void)bltable_settle(t, BL_MOVE_STEP);
	if ((t->count + 1) * 10 > t->nslots * 7 && bl_grow_slots(t) == -1)
		return -1;
	h = siphash(&t->key, name, len);
	i = bl_slot(t, name, len, h);
	if (t->slots[i].off != 0) {
		t->arena[t->slots[i].off - 1] |= flags;
		return 0;
	}
	if (t->old != NULL && (o = bl_old_slot(t, name, len, h)) != -1) {
		t->arena[t->old[o].off - 1] |= flags;
		return 0;
	}
	need = BL_ENTRY_HDR + len;
	if (t->alen + need > BL_ARENA_MAX)
		return -1;
	if (t->alen + need > t->acap) {
		ncap = t->acap ? t->acap * 2 : 64 * 1024;
		while (ncap < t->alen + need)
			ncap *= 2;
		if ((e = realloc(t->arena, ncap)) == NULL)
			return -1;
		t->arena = e;
		t->acap = ncap;
	}
	e = t->arena + t->alen;
	e[0] = flags;
	e[1] = len;
	memcpy(e + BL_ENTRY_HDR, name, len);
	t->slots[i].off = t->alen + 1;
	t->slots[i].hash = h;
	t->alen += need;
	t->count++;
	return 1;
}

/*
 * The index whole (bltable_settle, in slices, lets a caller spare the
 * rest of its loop the last of the moving), and what the arena's doubling
 * left unused given back.
 */
void
bltable_finish(struct bltable *t)
{
	uint8_t	*a;

	(void)bltable_settle(t, SIZE_MAX);
	if (t->alen > 0 && t->alen < t->acap &&
	    (a = realloc(t->arena, t->alen)) != NULL) {
		t->arena = a;
		t->acap = t->alen;
	}
}

/*
 * Is the name (lower-case wire form) blocked?  Every suffix is looked up:
 * an allowed one wins whatever else is listed; otherwise the longest
 * blocked suffix is returned (its wire form, its length in *matchlen).
 * The suffixes' slots are all fetched before the first is read, so that
 * their cache misses overlap.
 */
const uint8_t *
bltable_match(const struct bltable *t, const uint8_t *name, size_t len,
    size_t *matchlen)
{
	uint32_t	 h[BL_MAX_LABELS];
	size_t		 off[BL_MAX_LABELS], n = 0, i, o;
	const uint8_t	*e, *block = NULL;

	if (t->count == 0)
		return NULL;
	for (o = 0; o < len && name[o] != 0 && n < BL_MAX_LABELS;
	    o += 1 + name[o]) {
		off[n] = o;
		h[n] = siphash(&t->key, name + o, len - o);
		__builtin_prefetch(&t->slots[h[n] & (t->nslots - 1)]);
		n++;
	}
	for (i = 0; i < n; i++) {
		o = bl_slot(t, name + off[i], len - off[i], h[i]);
		if (t->slots[o].off == 0)
			continue;
		e = t->arena + t->slots[o].off - 1;
		if (e[0] & BL_ALLOW)
			return NULL;
		if (block == NULL && ((e[0] & BL_BLOCK) ||
		    ((e[0] & BL_BLOCK_BELOW) && i > 0))) {
			block = e + BL_ENTRY_HDR;
			*matchlen = e[1];
		}
	}
	return block;
}

/*
 * A domain name as lists write it (any case, a trailing dot or not) to
 * lower-case wire form.  Labels of letters, digits, '-' and '_' (IDNs as
 * punycode), 1 to 63 long, at most 253 characters in all.
 */
int
bl_name_wire(const char *s, size_t len, uint8_t *out, size_t *outlen)
{
	size_t	i, label = 0, o = 1;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return -1;
			out[o - label - 1] = label;
			label = 0;
			o++;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return -1;
		if (++label > 63)
			return -1;
		out[o++] = tolower((unsigned char)s[i]);
	}
	if (label == 0)
		return -1;
	out[o - label - 1] = label;
	out[o++] = 0;
	*outlen = o;
	return 0;
}

static int
bl_boilerplate(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(hosts_boilerplate) /
	    sizeof(hosts_boilerplate[0]); i++)
		if (strcasecmp(s, hosts_boilerplate[i]) == 0)
			return 1;
	return 0;
}

static int
bl_add_name(struct bltable *t, const char *s, size_t len, uint8_t flags,
    size_t *added)
{
	uint8_t	wire[DNS_MAX_NAME];
	size_t	wlen;
	int	rc;

	if (bl_name_wire(s, len, wire, &wlen) == -1)
		return -1;
	if ((rc = bltable_add(t, wire, wlen, flags)) == -1)
		fatalx("blocklist: out of memory");
	*added += rc;
	return 0;
}

/* An IPv4 or IPv6 address: the first field of a hosts file line. */
static int
is_address(const char *s)
{
	struct in6_addr	a;

	return inet_pton(AF_INET, s, &a) == 1 ||
	    inet_pton(AF_INET6, s, &a) == 1;
}

/* "||name^" or "@@||name^": the name, and its flags; -1 for the rest. */
static int
bl_adblock(char *s, char **name, uint8_t *flags)
{
	char	*e;

	*flags = BL_BLOCK;
	if (strncmp(s, "@@", 2) == 0) {
		*flags = BL_ALLOW;
		s += 2;
	}
	if (strncmp(s, "||", 2) != 0)
		return -1;
	s += 2;
	if ((e = strchr(s, '^')) != NULL) {
		if (e[1] != '\0')
			return -1;	/* modifiers: not a DNS rule */
		*e = '\0';
	}
	if (strncmp(s, "*.", 2) == 0 && *flags == BL_BLOCK) {
		*flags = BL_BLOCK_BELOW;
		s += 2;
	}
	*name = s;
	return 0;
}

/*
 * One line of a list file, NUL-terminated, its newline gone: a comment
 * ('#', '!') or blank, a plain name, "*.name", an adblock rule, or a
 * hosts file line ("0.0.0.0 name [name ...]").  The names it holds go into
 * the table; *added counts the new ones.  BAD when any part of it is not
 * one of those.
 */
enum bl_line
bl_parse_line(struct bltable *t, char *line, size_t len, size_t *added)
{
	char	*p, *tok, *name;
	uint8_t	 flags;
	int	 bad = 0, n = 0;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	p = line + strspn(line, " \t");
	if (*p == '\0' || *p == '!')
		return BL_LINE_EMPTY;
	if (*p == '|' || *p == '@') {
		p[strcspn(p, " \t")] = '\0';
		if (bl_adblock(p, &name, &flags) == -1 ||
		    bl_add_name(t, name, strlen(name), flags, added) == -1)
			return BL_LINE_BAD;
		return BL_LINE_OK;
	}
	tok = strtok(p, " \t");
	if (is_address(tok)) {
		while ((tok = strtok(NULL, " \t")) != NULL) {
			n++;
			if (bl_boilerplate(tok))
				continue;
			if (bl_add_name(t, tok, strlen(tok), BL_BLOCK, added) ==
			    -1)
				bad = 1;
		}
		return bad || n == 0 ? BL_LINE_BAD : BL_LINE_OK;
	}
	if (strtok(NULL, " \t") != NULL)
		return BL_LINE_BAD;	/* two words, and no address first */
	flags = BL_BLOCK;
	if (strncmp(tok, "*.", 2) == 0) {
		flags = BL_BLOCK_BELOW;
		tok += 2;
	}
	if (bl_add_name(t, tok, strlen(tok), flags, added) == -1)
		return BL_LINE_BAD;
	return BL_LINE_OK;
}
