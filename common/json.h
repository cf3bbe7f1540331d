/*
 * The one JSON writer: every object vpndnsctl -j prints is built with it,
 * in the process that holds the figures.  Into a caller's buffer, never
 * past it: a document that does not fit is an error at json_end().
 */
#ifndef VPNDNSD_JSON_H
#define VPNDNSD_JSON_H

#include <stddef.h>

#define JSON_DEPTH	8

struct json {
	char	*buf;
	size_t	 size;
	size_t	 len;
	int	 depth;
	int	 members[JSON_DEPTH];	/* written at each open level */
	char	 closer[JSON_DEPTH];	/* '}' or ']' */
	int	 overflow;
};

/* 'key' is NULL for a value in an array or the document itself. */
void	json_init(struct json *, char *, size_t);
void	json_object(struct json *, const char *);
void	json_array(struct json *, const char *);
void	json_close(struct json *);
void	json_str(struct json *, const char *, const char *);
void	json_int(struct json *, const char *, long long);
void	json_uint(struct json *, const char *, unsigned long long);
void	json_real(struct json *, const char *, double);
void	json_bool(struct json *, const char *, int);
int	json_end(struct json *);

int	json_quote(char *, size_t, const char *);

#endif
