/*
 * The match rules, in file order: the first whose client prefixes and
 * name suffixes both fit the query decides what happens to a name that is
 * not local data.  A rule without prefixes fits every client, one without
 * suffixes every name.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dname.h"
#include "imsg.h"
#include "dnsmsg.h"
#include "log.h"
#include "resolver.h"

struct suffix {
	uint8_t		name[DNS_MAX_NAME];
	size_t		len;
};

struct policy {
	struct rule	*rules;
	size_t		 nrules;
};

struct policy *
policy_new(void)
{
	struct policy	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	return p;
}

void
policy_free(struct policy *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nrules; i++) {
		free(p->rules[i].from);
		free(p->rules[i].query);
		free(p->rules[i].block);
	}
	free(p->rules);
	free(p);
}

/* IMSG_RECONF_MATCH: the fixed part, the prefixes, then the suffixes. */
/*
 * A rule from IMSG_RECONF_MATCH, added at the end.  A forwarding rule's
 * group is named, for the caller to find (groups are upstream.c's).
 */
struct rule *
policy_add(struct policy *p, const struct imsg *imsg)
{
	struct match_msg	 mm;
	struct rule		*r;
	const uint8_t		*d = imsg->data, *end = d + imsg->len;
	struct dname		 dn;
	char			 err[256];
	size_t			 i, n;

	if (imsg->len < sizeof(mm))
		fatalx("short IMSG_RECONF_MATCH");
	memcpy(&mm, d, sizeof(mm));
	d += sizeof(mm);
	if (mm.nfrom > (size_t)(end - d) / sizeof(struct prefix) ||
	    memchr(mm.group, '\0', sizeof(mm.group)) == NULL ||
	    mm.action > MATCH_LOCALONLY)
		fatalx("bad IMSG_RECONF_MATCH");
	p->rules = reallocarray(p->rules, p->nrules + 1, sizeof(*p->rules));
	if (p->rules == NULL)
		fatal("reallocarray");
	r = &p->rules[p->nrules++];
	memset(r, 0, sizeof(*r));
	r->action = mm.action;
	r->line = mm.line;
	r->index = p->nrules;
	strlcpy(r->groupname, mm.group, sizeof(r->groupname));
	if ((r->from = calloc(mm.nfrom, sizeof(*r->from))) == NULL ||
	    (r->query = calloc(mm.nquery, sizeof(*r->query))) == NULL)
		fatal("calloc");
	memcpy(r->from, d, mm.nfrom * sizeof(*r->from));
	r->nfrom = mm.nfrom;
	d += mm.nfrom * sizeof(struct prefix);
	for (i = 0; i < mm.nquery; i++) {
		if ((n = strnlen((const char *)d, end - d)) == (size_t)(end - d))
			fatalx("IMSG_RECONF_MATCH: a name not terminated");
		if (dname_parse((const char *)d, &dn, err, sizeof(err)) == -1)
			fatalx("IMSG_RECONF_MATCH: %s", err);
		memcpy(r->query[i].name, dn.wire, dn.len);
		r->query[i].len = dn.len;
		d += n + 1;
	}
	r->nquery = mm.nquery;
	if (mm.nblock > BL_MAX_LISTS ||
	    (size_t)(end - d) != mm.nblock * BL_NAME_MAX)
		fatalx("IMSG_RECONF_MATCH of the wrong length");
	if ((r->block = calloc(mm.nblock, sizeof(*r->block))) == NULL)
		fatal("calloc");
	for (i = 0; i < mm.nblock; i++, d += BL_NAME_MAX) {
		if (memchr(d, '\0', BL_NAME_MAX) == NULL ||
		    (r->block[i] = blocklist_get((const char *)d)) == NULL)
			fatalx("IMSG_RECONF_MATCH: an unknown blocklist");
	}
	r->nblock = mm.nblock;
	return r;
}

static int
rule_fits(const struct rule *r, const union sockunion *client,
    const uint8_t *lname, size_t len)
{
	size_t	i;

	if (r->nfrom > 0) {
		for (i = 0; i < r->nfrom; i++)
			if (prefix_match(&r->from[i], client))
				break;
		if (i == r->nfrom)
			return 0;
	}
	if (r->nquery > 0) {
		for (i = 0; i < r->nquery; i++)
			if (dnsmsg_name_below(lname, len, r->query[i].name,
			    r->query[i].len))
				break;
		if (i == r->nquery)
			return 0;
	}
	return 1;
}

/* The first rule that fits, or NULL. */
const struct rule *
policy_match(const struct policy *p, const union sockunion *client,
    const uint8_t *lname, size_t len)
{
	size_t	i;

	for (i = 0; i < p->nrules; i++)
		if (rule_fits(&p->rules[i], client, lname, len))
			return &p->rules[i];
	return NULL;
}
