/* SPDX-License-Identifier: MIT */
/* The event collector daemon: `ward collector [...]` (docs/collector.md). */
#pragma once

/* argv[0] is "collector"; returns the process exit status. */
int ward_collector_main(int argc, char **argv);
