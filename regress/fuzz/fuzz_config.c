/*
 * parent/parse.y: any bytes as a configuration file.  Whatever it says,
 * the parser must return a configuration or NULL, never crash, leak or
 * exit.  Inputs naming device or proc files are skipped: an include of
 * /dev/zero is an operator's own endless file, not a parser bug.
 */
#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	path[64];

static void
remove_path(void)
{
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vpndnsd_conf	*conf;
	FILE			*f;
	int			 fd;

	if (memmem(data, len, "/dev", 4) || memmem(data, len, "/proc", 5) ||
	    memmem(data, len, "/sys", 4))
		return 0;
	if (path[0] == '\0') {
		log_init(0, LOG_DAEMON);
		strlcpy(path, "/tmp/fuzz_config.XXXXXX", sizeof(path));
		if ((fd = mkstemp(path)) == -1)
			err(1, "mkstemp");
		close(fd);
		atexit(remove_path);
	}
	if ((f = fopen(path, "w")) == NULL)
		err(1, "%s", path);
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
		err(1, "%s", path);
	if ((conf = parse_config(path)) != NULL)
		config_free(conf);
	return 0;
}
