// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool journal;
static enum log_prio level = LOG_P_INFO;
static const char *ident = "egressd";

void log_set_ident(const char *name)
{
	ident = name;
}

void log_set_level(enum log_prio max)
{
	level = max;
}

int log_level_parse(const char *s)
{
	static const char *const names[] = { [LOG_P_ERR] = "err",
					     [LOG_P_WARNING] = "warn",
					     [LOG_P_NOTICE] = "notice",
					     [LOG_P_INFO] = "info",
					     [LOG_P_DEBUG] = "debug" };

	for (int i = LOG_P_ERR; i <= LOG_P_DEBUG; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; a child
 * whose stderr was redirected since inherits the variable, not the
 * stream, hence the comparison. */
void log_init(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	journal = v && sscanf(v, "%llu:%llu", &dev, &ino) == 2 &&
		  !fstat(STDERR_FILENO, &st) && st.st_dev == dev &&
		  st.st_ino == ino;
}

void log_msg(enum log_prio p, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (p > level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line: lines of threads never interleave. */
	if (journal)
		fprintf(stderr, "<%d>%s: %s", (int)p, ident, line);
	else
		fprintf(stderr, "%s: %s", ident, line);
}
