/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's log lines, "egressd: ..." on stderr. Under systemd, whose
 * journal reads stderr (JOURNAL_STREAM names it), each line starts with
 * its syslog priority, "<3>" for an error, so that `journalctl -p warning`
 * shows what needs the operator. */
#pragma once

enum log_prio {
	LOG_P_ERR = 3,
	LOG_P_WARNING = 4,
	LOG_P_NOTICE = 5,
	LOG_P_INFO = 6,
	LOG_P_DEBUG = 7,
};

/* The name in front of each line ("egressd"); a static string. */
void log_set_ident(const char *name);
/* Lines less important than this are not written (log_level). */
void log_set_level(enum log_prio max);
/* "err", "warn", "notice", "info" or "debug"; -1 if none of them. */
int log_level_parse(const char *s);

/* Checks once whether stderr is the journal's stream. */
void log_init(void);
/* fmt as printf's, without "egressd: ", ending in "\n". */
void log_msg(enum log_prio p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_P_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_P_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_P_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_P_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_P_DEBUG, __VA_ARGS__)
