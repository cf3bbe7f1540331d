/*
 * JSON for vpndnsctl -j.  Strings are escaped here and nowhere else:
 * quotes, backslashes, every control byte, and bytes that are not UTF-8
 * (a display name from a file, a TXT record's data) as U+FFFD, so that
 * whatever a configuration or a peer holds, the document parses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

/* 's' as a JSON string into 'out'; returns its length, -1 if too long. */
int
json_quote(char *out, size_t len, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 o = 0, n;
	unsigned int		 cp;
	char			 esc[8];

	if (len < 3)
		return -1;
	out[o++] = '"';
	while (*p != '\0') {
		n = utf8_next(p, &cp);
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = *p;
			esc[2] = '\0';
		} else if (*p < 0x20 || *p == 0x7f)
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		else if (n == 0)
			strlcpy(esc, "\\ufffd", sizeof(esc));
		else
			esc[0] = '\0';
		if (esc[0] != '\0') {
			if (o + strlen(esc) + 2 > len)
				return -1;
			memcpy(out + o, esc, strlen(esc));
			o += strlen(esc);
			p += n == 0 ? 1 : n;
			continue;
		}
		if (o + n + 2 > len)
			return -1;
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}

void
json_init(struct json *j, char *buf, size_t size)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->size = size;
	if (size > 0)
		buf[0] = '\0';
	else
		j->overflow = 1;
}

static void
json_put(struct json *j, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
json_put(struct json *j, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (j->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, j->size - j->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= j->size - j->len) {
		j->overflow = 1;
		j->buf[j->len] = '\0';
		return;
	}
	j->len += n;
}

/* A quoted string, in place. */
static void
json_text(struct json *j, const char *s)
{
	int	n;

	if (j->overflow)
		return;
	if ((n = json_quote(j->buf + j->len, j->size - j->len, s)) == -1) {
		j->overflow = 1;
		j->buf[j->len] = '\0';
		return;
	}
	j->len += n;
}

/* The separator and key before a value at the current level. */
static void
json_member(struct json *j, const char *key)
{
	if (j->overflow)
		return;
	if (j->members[j->depth]++ > 0)
		json_put(j, ", ");
	if (key != NULL) {
		json_text(j, key);
		json_put(j, ": ");
	}
}

static void
json_open(struct json *j, const char *key, char c)
{
	json_member(j, key);
	json_put(j, "%c", c);
	if (j->depth + 1 >= JSON_DEPTH) {
		j->overflow = 1;
		return;
	}
	j->depth++;
	j->members[j->depth] = 0;
	j->closer[j->depth] = c == '{' ? '}' : ']';
}

void
json_object(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void
json_array(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

/* The innermost object or array ends. */
void
json_close(struct json *j)
{
	if (j->depth == 0) {
		j->overflow = 1;
		return;
	}
	json_put(j, "%c", j->closer[j->depth--]);
}

/* A string; NULL is null. */
void
json_str(struct json *j, const char *key, const char *s)
{
	json_member(j, key);
	if (s == NULL)
		json_put(j, "null");
	else
		json_text(j, s);
}

void
json_int(struct json *j, const char *key, long long v)
{
	json_member(j, key);
	json_put(j, "%lld", v);
}

void
json_uint(struct json *j, const char *key, unsigned long long v)
{
	json_member(j, key);
	json_put(j, "%llu", v);
}

/* A figure with one decimal, as the tables show it. */
void
json_real(struct json *j, const char *key, double v)
{
	json_member(j, key);
	json_put(j, "%.1f", v);
}

void
json_bool(struct json *j, const char *key, int v)
{
	json_member(j, key);
	json_put(j, "%s", v ? "true" : "false");
}

/* The document's length, or -1 when it did not fit or is not closed. */
int
json_end(struct json *j)
{
	if (j->overflow || j->depth != 0)
		return -1;
	return j->len;
}
