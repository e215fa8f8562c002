/* `glukit demo`: every variant on built-in data, checked in long double. */
#ifndef GLUKIT_TOOLS_CLI_DEMO_H
#define GLUKIT_TOOLS_CLI_DEMO_H

#include <stdio.h>

/* Print the table to out; returns 0 when every variant passes, else 1. */
int cli_demo(FILE *out);

#endif /* GLUKIT_TOOLS_CLI_DEMO_H */
