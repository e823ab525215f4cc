/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "ADDR:PORT" settings of the HTTP listeners (/metrics, the console). */
#pragma once
#include <sys/socket.h>

/* "127.0.0.1:9617" or "[::1]:9617" into an address; -EINVAL if not. */
int listen_parse(const char *v, struct sockaddr_storage *ret);
/* Whether the address is a loopback one (127.0.0.0/8 or ::1). */
int listen_is_loopback(const struct sockaddr_storage *ss);
