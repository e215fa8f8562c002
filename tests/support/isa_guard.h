/*
 * The suite runs once per ISA with GLUKIT_ISA set (tests/CMakeLists.txt).
 * When this machine cannot run the ISA asked for, the library falls back to
 * another one; the test then reports a skip (exit 77) rather than testing
 * the same kernels twice under a misleading name.
 */
#ifndef GLK_TEST_ISA_GUARD_H
#define GLK_TEST_ISA_GUARD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glukit.h"

#define GLK_SKIP_EXIT 77

static inline int isa_unavailable(void) {
  const char *want = getenv("GLUKIT_ISA");
  const char *have = glk_isa_name(glk_default_isa());
  if (!want || strcmp(want, have) == 0) return 0;
  printf("skipped: GLUKIT_ISA=%s is not available here (running %s)\n", want, have);
  return 1;
}

#endif
