// SPDX-License-Identifier: GPL-2.0-or-later
/* egressd-console: the browser console. An unprivileged program of its
 * own (user egressd-console, group egressd): it reaches egressd only by
 * the control socket, and serves the API of docs/api.md and the UI's
 * static files over HTTP(S). */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "console.h"
#include "fleet.h"
#include "egressd/fileio.h"
#include "log.h"

#ifndef EGRESSD_VERSION
#define EGRESSD_VERSION "0"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: egressd-console [--config FILE] [--listen ADDR:PORT] "
		"[--socket PATH]\n"
		"                       [--users-file FILE] [--tls-cert FILE "
		"--tls-key FILE] [--www DIR]\n"
		"                       [--fleet-dsn postgresql://...]\n"
		"The browser console of egressd. Defaults: --config %s,\n"
		"--listen %s, --socket %s,\n--users-file %s, --www %s.\n"
		"--fleet-dsn: the fleet's database instead of egressd's "
		"socket.\n"
		"Users: egressctl console-user add NAME.\n",
		CONSOLE_CONF_DEFAULT, CONSOLE_LISTEN_DEFAULT,
		CONSOLE_SOCKET_DEFAULT, USERS_FILE_DEFAULT, CONSOLE_WWW_DEFAULT);
}

int console_users(struct console *con, struct users *ret)
{
	char err[512];
	struct stat st;
	int r = 0;

	pthread_mutex_lock(&con->users_lock);
	if (stat(con->conf.users_file, &st))
		memset(&st, 0, sizeof(st));
	if (!con->users_known || st.st_ino != con->users_st.st_ino ||
	    st.st_mtim.tv_sec != con->users_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != con->users_st.st_mtim.tv_nsec ||
	    st.st_size != con->users_st.st_size) {
		r = users_load(con->conf.users_file, true, con->users, err,
			       sizeof(err));
		if (r)
			log_err("%s\n", err);
		con->users_st = st;
		con->users_known = !r;
		sessions_prune_users(con->sessions, con->users);
	}
	*ret = *con->users;
	pthread_mutex_unlock(&con->users_lock);
	return r;
}

/* The flags over the file's settings: the file is read first, so the
 * flags are kept and applied after it. */
static int parse_args(int argc, char **argv, struct console_conf *c)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "socket", required_argument, NULL, 's' },
		{ "users-file", required_argument, NULL, 'u' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "www", required_argument, NULL, 'w' },
		{ "fleet-dsn", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	static const char *const keys[128] = {
		['l'] = "listen", ['s'] = "socket", ['u'] = "users_file",
		['C'] = "tls_cert", ['K'] = "tls_key", ['w'] = "www_dir",
		['f'] = "fleet_dsn",
	};
	const char *config = NULL, *vals[128] = { 0 };
	char err[512], why[160];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'h' || o == 'V') {
			if (o == 'h')
				usage(stdout);
			else
				printf("egressd-console %s\n", EGRESSD_VERSION);
			exit(0);
		}
		if (o == '?' || o < 0 || o >= 128)
			return -EINVAL;
		if (o == 'c')
			config = optarg;
		else
			vals[o] = optarg;
	}
	if (optind != argc)
		return -EINVAL;
	conf_defaults(c);
	if (conf_load(c, config ? config : CONSOLE_CONF_DEFAULT, config, err,
		      sizeof(err))) {
		log_err("%s\n", err);
		exit(1);
	}
	for (int i = 0; i < 128; i++)
		if (vals[i] && conf_set(c, keys[i], vals[i], why, sizeof(why))) {
			log_err("--%s: %s\n", keys[i], why);
			exit(2);
		}
	return 0;
}

/* Fleet mode: the schema now if the database is there; if it is not,
 * each request tries again (a console that starts before its database
 * must not need a restart). */
static int fleet_open(struct console *con, char *err, size_t errlen)
{
	char why[400];

	if (!con->conf.fleet_dsn[0])
		return 0;
	con->fleet = fleet_new(con->conf.fleet_dsn,
			       con->conf.ctl_timeout_s * 1000);
	if (!con->fleet) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (fleet_start(con->fleet, why, sizeof(why)))
		log_warn("fleet database: %s (each request tries again)\n", why);
	else
		log_notice("fleet mode: the database's schema is ready\n");
	return 0;
}

static int read_tls(struct console *con, char *err, size_t errlen)
{
	size_t len;
	int r;

	if (!con->conf.tls_cert[0])
		return 0;
	r = file_read_max(con->conf.tls_cert, 1u << 20, &con->tls_cert, &len);
	if (!r)
		r = file_read_max(con->conf.tls_key, 1u << 20, &con->tls_key,
				  &len);
	if (r)
		snprintf(err, errlen, "%s: %s",
			 con->tls_cert && !con->tls_key ? con->conf.tls_key
							: con->conf.tls_cert,
			 strerror(-r));
	return r;
}

static int bind_listen(struct console *con, char *err, size_t errlen)
{
	const struct sockaddr_storage *a = &con->conf.addr;
	socklen_t len = a->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						: sizeof(struct sockaddr_in6);
	int one = 1, fd = socket(a->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (a->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)a, len) || listen(fd, 64)) {
		snprintf(err, errlen, "cannot listen on %s: %s",
			 con->conf.listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	con->lfd = fd;
	return 0;
}

static int serve(struct console *con)
{
	sigset_t set;
	int sig = 0;
	struct users us;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (!console_users(con, &us) && !us.n)
		log_warn("no users in %s yet: add one with `egressctl "
			 "console-user add NAME`\n", con->conf.users_file);
	log_notice("listening on %s://%s/\n", con->tls_cert ? "https" : "http",
		   con->conf.listen);
	sigwait(&set, &sig);
	log_notice("stopping (signal %d)\n", sig);
	return 0;
}

int main(int argc, char **argv)
{
	static struct console con = { .lfd = -1 };
	char err[512];
	int r;

	log_set_ident("egressd-console");
	log_init();
	signal(SIGPIPE, SIG_IGN);
	if (parse_args(argc, argv, &con.conf)) {
		usage(stderr);
		return 2;
	}
	pthread_mutex_init(&con.users_lock, NULL);
	con.users = calloc(1, sizeof(*con.users));
	con.sessions = sessions_new(con.conf.session_idle_s,
				    con.conf.session_max_s);
	if (!con.users || !con.sessions)
		return 1;
	if (conf_check(&con.conf, err, sizeof(err)) ||
	    fleet_open(&con, err, sizeof(err)) ||
	    read_tls(&con, err, sizeof(err)) ||
	    bind_listen(&con, err, sizeof(err)) ||
	    http_start(&con, err, sizeof(err))) {
		log_err("%s\n", err);
		return 1;
	}
	r = serve(&con);
	http_stop(&con);
	fleet_free(con.fleet);
	sessions_free(con.sessions);
	free(con.tls_cert);
	free(con.tls_key);
	free(con.users);
	return r;
}
