/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The resolvers the host and its container runtimes configure: the
 * default of trusted_resolvers (the resolvers whose answers may unblock
 * an address an IP list blocks). Read once at start. */
#pragma once
#include <stddef.h>

#include "egressd/addr.h"

/* nameserver lines of /etc/resolv.conf and systemd-resolved's upstream
 * file (loopback stubs skipped: containers reach those resolvers through
 * their own), and Docker's daemon.json "dns". Returns how many were put
 * in ret (duplicates once). root is prepended to every path ("" for /). */
size_t resolvers_host(const char *root, struct ip_addr *ret, size_t max);
