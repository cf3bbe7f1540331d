/* JSON strings for the machine-readable forms of vpndnsctl's output. */
#ifndef VPNDNSD_JSON_H
#define VPNDNSD_JSON_H

#include <stddef.h>

int	json_quote(char *, size_t, const char *);

#endif
