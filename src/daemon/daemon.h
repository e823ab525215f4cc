/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
/* "egressd run ...": returns the exit status. */
int daemon_main(int argc, char **argv);
/* "egressd check-config ...": validates the settings and lists. */
int daemon_check_config(int argc, char **argv);
