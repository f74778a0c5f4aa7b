/* SPDX-License-Identifier: MIT */
/* `ward learn`: one trusted run under a base profile writes the profile it needed
 * (docs/learn.md). The only entry point the CLI (launcher/main.c) calls. */
#pragma once

/* argv[0] is "learn". Returns ward's exit status: 0 profile written (and verified), 1 refused
 * (events lost, verification failed), 125 bad usage or a failure before the run. */
int ward_learn_main(int argc, char **argv);
