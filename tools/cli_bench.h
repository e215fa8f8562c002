/* `glukit bench`: GLU speed against a same-traffic memory stream. */
#ifndef GLUKIT_TOOLS_CLI_BENCH_H
#define GLUKIT_TOOLS_CLI_BENCH_H

#include <stdio.h>

/* argv holds the arguments after "bench". Returns the exit status: 0, 1
 * for a failed call or file, 2 for bad usage. */
int cli_bench(int argc, char **argv);

void cli_bench_help(FILE *out);

#endif /* GLUKIT_TOOLS_CLI_BENCH_H */
