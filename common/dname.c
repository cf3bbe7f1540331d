/*
 * Domain names as text: labels joined by dots, any case, RFC 1035
 * escapes (\. and \DDD), a trailing dot or not; the root is ".".  What
 * ldns leaves to the caller is checked here once: white space in a
 * label (a typo, not a name), labels over 63 octets, names over 255.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dname.h"
#include "log.h"

/* The text's labels as ldns will read them: their sizes, white space. */
static int
dname_check(const char *in, char *err, size_t errlen)
{
	const char	*p, *start = in;
	size_t		 label = 0, wire = 1;

	for (p = in; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label > 63) {
				snprintf(err, errlen, "\"%s\": the label "
				    "\"%.*s\" is %zu octets, more than 63", in,
				    (int)(p - start), start, label);
				return -1;
			}
			if (label > 0)
				wire += 1 + label;
			if (*p == '\0')
				break;
			label = 0;
			start = p + 1;
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			snprintf(err, errlen, "\"%s\": white space in a label "
			    "(a name is labels joined by dots)", in);
			return -1;
		}
		if (*p == '\\' && isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) &&
		    isdigit((unsigned char)p[3]))
			p += 3;
		else if (*p == '\\' && p[1] != '\0')
			p++;
		label++;
	}
	if (wire > DNS_MAX_NAME) {
		snprintf(err, errlen, "\"%s\" is %zu octets as a name, more "
		    "than %d", in, wire, DNS_MAX_NAME);
		return -1;
	}
	return 0;
}

/* 'text' as a name in lower-case wire form; -1 with why in 'err'. */
int
dname_parse(const char *text, struct dname *out, char *err, size_t errlen)
{
	ldns_rdf	*rdf = NULL;
	ldns_status	 st;
	size_t		 len = strlen(text);
	char		*abs;

	if (len == 0 || (text[0] == '.' && len > 1)) {
		snprintf(err, errlen, "\"%s\" is not a domain name", text);
		return -1;
	}
	if (dname_check(text, err, errlen) == -1)
		return -1;
	/* absolute, whether it ends in a dot or not (an escaped one aside) */
	if (asprintf(&abs, "%s%s", text, text[len - 1] == '.' &&
	    (len < 2 || text[len - 2] != '\\') ? "" : ".") == -1)
		fatal("asprintf");
	st = ldns_str2rdf_dname(&rdf, abs);
	free(abs);
	if (st != LDNS_STATUS_OK) {
		snprintf(err, errlen, "\"%s\" is not a domain name: %s", text,
		    ldns_get_errorstr_by_id(st));
		return -1;
	}
	ldns_dname2canonical(rdf);
	if (ldns_rdf_size(rdf) > DNS_MAX_NAME)
		fatalx("ldns made a name of %zu octets", ldns_rdf_size(rdf));
	out->len = ldns_rdf_size(rdf);
	memcpy(out->wire, ldns_rdf_data(rdf), out->len);
	ldns_rdf_deep_free(rdf);
	return 0;
}

/* The name as canonical text (lower case, a trailing dot, escapes). */
int
dname_text(const struct dname *d, char *out, size_t outlen)
{
	ldns_rdf	*rdf;
	char		*s;
	int		 rc = 0;

	if ((rdf = ldns_dname_new_frm_data(d->len, d->wire)) == NULL ||
	    (s = ldns_rdf2str(rdf)) == NULL)
		fatal("ldns");
	ldns_rdf_deep_free(rdf);
	if (strlcpy(out, s, outlen) >= outlen)
		rc = -1;
	free(s);
	return rc;
}
