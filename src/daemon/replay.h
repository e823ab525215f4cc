/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
/* "egressd replay ...": returns the process exit status. */
int replay_main(int argc, char **argv);
