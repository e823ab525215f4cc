/* SPDX-License-Identifier: GPL-2.0-or-later */
/* egressctl console-user add|remove|passwd NAME [--users-file F]. */
#pragma once

/* argv[0] is "console-user", argv[1] the action. Returns the exit
 * status: 0 done, 1 failed, 2 usage. */
int console_user_main(int argc, char **argv);
