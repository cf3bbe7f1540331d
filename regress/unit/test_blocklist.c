/*
 * resolver/blocklist.c: every line format, wildcards, allow exceptions,
 * case and trailing dots, IDN names, the 253-character limit, broken
 * lines, and a table of 200,000 names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocklist.h"
#include "vpndnsd.h"
#include "tap.h"

static struct bltable	t;

static enum bl_line
line(const char *text)
{
	char	buf[BL_LINE_MAX + 1];
	size_t	added = 0;

	strlcpy(buf, text, sizeof(buf));
	return bl_parse_line(&t, buf, strlen(buf), &added);
}

/* The listed name that blocks 'name', as text, or "-" when none does. */
static const char *
blocked(const char *name)
{
	static char	 out[300];
	uint8_t		 wire[DNS_MAX_NAME];
	const uint8_t	*m;
	size_t		 len, mlen, i, o = 0;

	if (bl_name_wire(name, strlen(name), wire, &len) == -1)
		return "(not a name)";
	if ((m = bltable_match(&t, wire, len, &mlen)) == NULL)
		return "-";
	for (i = 0; m[i] != 0; i += 1 + m[i]) {
		memcpy(out + o, m + i + 1, m[i]);
		o += m[i];
		out[o++] = '.';
	}
	out[o] = '\0';
	return out;
}

static void
test_formats(void)
{
	bltable_init(&t);
	ok(line("ads.example") == BL_LINE_OK, "a plain name");
	ok(line("Tracker.Example.") == BL_LINE_OK,
	    "upper case and a trailing dot");
	ok(line("0.0.0.0 hosts1.test hosts2.test # inline comment") ==
	    BL_LINE_OK, "a hosts line of two names and a comment");
	ok(line("127.0.0.1\thosts3.test") == BL_LINE_OK, "127.0.0.1 and a tab");
	ok(line(":: hosts6.test") == BL_LINE_OK, "an IPv6 hosts line");
	ok(line("127.0.0.1 localhost") == BL_LINE_OK &&
	    strcmp(blocked("localhost"), "-") == 0,
	    "hosts boilerplate (localhost) is stepped over, not blocked");
	ok(line("||adblock.test^") == BL_LINE_OK, "an adblock rule");
	ok(line("@@||allowed.ads.example^") == BL_LINE_OK,
	    "an adblock exception");
	ok(line("*.wild.test") == BL_LINE_OK, "a wildcard");
	ok(line("xn--bcher-kva.test") == BL_LINE_OK, "a punycode IDN name");
	ok(line("crlf.test\r") == BL_LINE_OK, "CRLF");
	ok(line("") == BL_LINE_EMPTY && line("   ") == BL_LINE_EMPTY,
	    "blank lines");
	ok(line("# a comment") == BL_LINE_EMPTY &&
	    line("! an adblock comment") == BL_LINE_EMPTY, "comments");

	ok(line("two words") == BL_LINE_BAD, "two names without an address");
	ok(line("bücher.test") == BL_LINE_BAD, "UTF-8: not punycode");
	ok(line("a..b.test") == BL_LINE_BAD, "an empty label");
	ok(line(".leading.test") == BL_LINE_BAD, "a leading dot");
	ok(line("||x.test^$third-party") == BL_LINE_BAD,
	    "an adblock rule with modifiers is not a DNS rule");
	ok(line("|http://x.test/") == BL_LINE_BAD, "a URL rule");
	ok(line("0.0.0.0") == BL_LINE_BAD, "an address alone");
	ok(line("0.0.0.0 good.test bad!name") == BL_LINE_BAD &&
	    strcmp(blocked("good.test"), "good.test.") == 0,
	    "a hosts line with one bad name is bad, its good names count");

	ok(strcmp(blocked("ads.example"), "ads.example.") == 0,
	    "a listed name is blocked");
	ok(strcmp(blocked("a.b.ads.example"), "ads.example.") == 0,
	    "and every name below it");
	ok(strcmp(blocked("ADS.EXAMPLE."), "ads.example.") == 0,
	    "in any case, with or without the trailing dot");
	ok(strcmp(blocked("tracker.example"), "tracker.example.") == 0,
	    "a name listed in upper case");
	ok(strcmp(blocked("notads.example"), "-") == 0,
	    "a name that only ends the same is not below it");
	ok(strcmp(blocked("example"), "-") == 0, "nor is its parent");
	ok(strcmp(blocked("allowed.ads.example"), "-") == 0 &&
	    strcmp(blocked("x.allowed.ads.example"), "-") == 0,
	    "an allowed name, and below it, wins over the block");
	ok(strcmp(blocked("hosts2.test"), "hosts2.test.") == 0 &&
	    strcmp(blocked("hosts6.test"), "hosts6.test.") == 0,
	    "hosts lines' names are blocked");
	ok(strcmp(blocked("wild.test"), "-") == 0,
	    "a wildcard does not block its own name");
	ok(strcmp(blocked("a.wild.test"), "wild.test.") == 0,
	    "a wildcard blocks below");
	ok(strcmp(blocked("crlf.test"), "crlf.test.") == 0, "the CRLF name");
	bltable_free(&t);
}

static void
test_lengths(void)
{
	char	name[300];
	int	i;

	bltable_init(&t);
	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	ok(line(name) == BL_LINE_OK, "a name of 253 characters");
	ok(strcmp(blocked(name), "-") != 0, "is blocked");
	name[253] = 'a';
	name[254] = '\0';
	ok(line(name) == BL_LINE_BAD, "one of 254 is not a name");
	memset(name, 'b', 64);
	strlcpy(name + 64, ".test", 10);
	ok(line(name) == BL_LINE_BAD, "a label of 64 is not");
	for (i = 0; i < 200; i++)
		name[i] = 'x';
	name[200] = '\0';
	ok(line(name) == BL_LINE_BAD, "nor one long label");
	bltable_free(&t);
}

/* Many names: the table grows, every one is found, nothing else is. */
static void
test_many(void)
{
	char	name[64];
	int	i, missing = 0, extra = 0;
	size_t	added = 0, total = 0;

	bltable_init(&t);
	for (i = 0; i < 200000; i++) {
		snprintf(name, sizeof(name), "host%d.zone%d.test", i, i % 97);
		added = 0;
		bl_parse_line(&t, name, strlen(name), &added);
		total += added;
	}
	snprintf(name, sizeof(name), "host7.zone7.test");
	bl_parse_line(&t, name, strlen(name), &added);
	ok(total == 200000 && t.count == 200000,
	    "200000 names, a repeat added once (%zu)", t.count);
	ok(t.old != NULL, "the index is still being moved (%zu of %zu)",
	    t.moved, t.nold);
	bltable_finish(&t);
	ok(t.old == NULL, "and finished, it is whole");
	for (i = 0; i < 200000; i += 7) {
		snprintf(name, sizeof(name), "www.host%d.zone%d.test", i,
		    i % 97);
		if (strcmp(blocked(name), "-") == 0)
			missing++;
		snprintf(name, sizeof(name), "host%d.zone%d.test", i,
		    (i + 1) % 97);
		if (strcmp(blocked(name), "-") != 0)
			extra++;
	}
	ok(missing == 0 && extra == 0, "all found below, none under another "
	    "zone (%d missing, %d extra)", missing, extra);
	ok(bltable_bytes(&t) < 200000 * 48,
	    "%zu bytes: under 48 a name", bltable_bytes(&t));
	bltable_free(&t);
}

int
main(void)
{
	test_formats();
	test_lengths();
	test_many();
	return tap_done();
}
