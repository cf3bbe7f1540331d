/*
 * Peer names from a wg-quick style configuration file ("names from").
 * A [Peer] section is named by whichever of the common conventions its
 * tools wrote:
 *
 *	### begin laptop ###		PiVPN, above [Peer]
 *	# Client: laptop (id)		wg-easy, above [Peer]
 *	# Name:   laptop		wireguard-ui, in the block above [Peer]
 *	# Name = laptop			inside [Peer], or right above it
 *
 * A comment naming the next peer must be in the comment lines right
 * above its [Peer] header; the last such name counts.
 *
 * Only the name and the PublicKey matter; everything else is left alone.
 * A section without a name is skipped: such peers are still tracked,
 * just not named.  A name is a display name ("Bob's Phone"): its label
 * is slug_label()'s, the rule every name source follows.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "vpndnsd.h"
#include "parent.h"
#include "slug.h"

#define LINE_MAX_LEN	4096

struct section {
	char	name[LINE_MAX_LEN + 1];
	int	nameline;
	uint8_t	key[WG_KEY_LEN];
	int	haskey;
	int	badkey;		/* reported already */
	int	line;		/* of the [Peer] header */
};

struct reader {
	const char		*path;
	int			 lineno;
	int			 errors;
	wgnames_err_fn		 err;
	wgnames_add_fn		 add;
	void			*arg;
	int			 inpeer;
	struct section		 peer;
	char			 pending[LINE_MAX_LEN + 1];
	int			 pendingline;
};

static void
reader_error(struct reader *r, int line, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
reader_error(struct reader *r, int line, const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->err(r->path, line, msg);
	r->errors++;
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* A name comment above [Peer]: the last one before the header counts. */
static void
set_pending(struct reader *r, const char *name)
{
	strlcpy(r->pending, name, sizeof(r->pending));
	r->pendingline = r->lineno;
}

static void
finish_peer(struct reader *r)
{
	char		 label[SLUG_LABEL_MAX + 1], key[WG_KEY_B64 + 1];
	const char	*why;

	if (!r->inpeer)
		return;
	r->inpeer = 0;
	if (!r->peer.haskey) {
		reader_error(r, r->peer.line, "[Peer] has no PublicKey");
		return;
	}
	if (r->peer.name[0] == '\0' || r->peer.badkey)
		return;
	if (strlen(r->peer.name) >= PEER_DISPLAY_MAX) {
		reader_error(r, r->peer.nameline, "peer name \"%.40s...\" is "
		    "longer than %d bytes", r->peer.name, PEER_DISPLAY_MAX - 1);
		return;
	}
	if (slug_label(r->peer.name, label, sizeof(label), &why) == -1) {
		reader_error(r, r->peer.nameline, "peer name \"%s\": %s",
		    r->peer.name, why);
		return;
	}
	/* the canonical form, whatever padding the file's has */
	wg_key_encode(r->peer.key, key);
	if (r->add(r->arg, key, r->peer.name, label, r->path,
	    r->peer.nameline) == -1)
		r->errors++;
}

/* "# Client: NAME (id)", "# Name: NAME" or "# Name = NAME" */
static void
comment(struct reader *r, char *s)
{
	char	*v, *p;

	s = trim(s + 1);
	if (strncasecmp(s, "client:", 7) == 0) {
		v = trim(s + 7);
		if ((p = strstr(v, " (")) != NULL)
			*p = '\0';
		set_pending(r, trim(v));
	} else if (strncasecmp(s, "name", 4) == 0) {
		v = trim(s + 4);
		if (*v == ':')
			set_pending(r, trim(v + 1));
		else if (*v == '=' && r->inpeer && r->peer.name[0] == '\0') {
			/* inside [Peer]: the first one names it */
			strlcpy(r->peer.name, trim(v + 1),
			    sizeof(r->peer.name));
			r->peer.nameline = r->lineno;
		} else if (*v == '=' && !r->inpeer)
			set_pending(r, trim(v + 1));
	}
}

/* "### begin NAME ###" */
static void
pivpn(struct reader *r, char *s)
{
	char	*v, *e;

	v = trim(s + 3);
	if (strncmp(v, "begin ", 6) != 0)
		return;
	v = trim(v + 6);
	if ((e = strstr(v, "###")) != NULL)
		*e = '\0';
	set_pending(r, trim(v));
}

static void
section(struct reader *r, const char *s)
{
	finish_peer(r);
	if (strcasecmp(s, "[Peer]") != 0) {
		r->pending[0] = '\0';
		return;
	}
	memset(&r->peer, 0, sizeof(r->peer));
	r->inpeer = 1;
	r->peer.line = r->lineno;
	if (r->pending[0] != '\0') {
		strlcpy(r->peer.name, r->pending, sizeof(r->peer.name));
		r->peer.nameline = r->pendingline;
		r->pending[0] = '\0';
	}
}

static void
keyvalue(struct reader *r, char *s)
{
	char	*eq, *k, *v;

	/* a name comment belongs to the [Peer] right below it */
	r->pending[0] = '\0';
	if (!r->inpeer || (eq = strchr(s, '=')) == NULL)
		return;
	*eq = '\0';
	k = trim(s);
	v = trim(eq + 1);
	if (strcasecmp(k, "PublicKey") != 0)
		return;
	if (r->peer.haskey) {
		reader_error(r, r->lineno, "[Peer] has a second PublicKey");
		return;
	}
	r->peer.haskey = 1;
	if (!wg_key_decode(v, r->peer.key)) {
		reader_error(r, r->lineno, "PublicKey \"%s\" is not a base64 "
		    "WireGuard key", v);
		r->peer.badkey = 1;
	}
}

/*
 * Read 'path'; call 'add' for every named peer and 'err' for every
 * problem, with the file's own name and line.  Returns the error count,
 * or -1 when the file cannot be read at all.
 */
int
wgnames_read(const char *path, wgnames_add_fn add, wgnames_err_fn err,
    void *arg)
{
	struct reader	 r;
	FILE		*f;
	char		 line[LINE_MAX_LEN + 2], *s;
	size_t		 len;

	memset(&r, 0, sizeof(r));
	r.path = path;
	r.add = add;
	r.err = err;
	r.arg = arg;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		r.lineno++;
		len = strlen(line);
		if (len > LINE_MAX_LEN) {
			reader_error(&r, r.lineno, "line longer than %d bytes",
			    LINE_MAX_LEN);
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		s = trim(line);
		if (strncmp(s, "###", 3) == 0)
			pivpn(&r, s);
		else if (*s == '#')
			comment(&r, s);
		else if (*s == '[')
			section(&r, s);
		else if (*s != '\0')
			keyvalue(&r, s);
	}
	if (ferror(f))
		reader_error(&r, r.lineno, "read error: %s", strerror(errno));
	finish_peer(&r);
	fclose(f);
	return r.errors;
}
