/* An assertion for test support code that NDEBUG never switches off. */
#ifndef GLK_TEST_CHECK_H
#define GLK_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: test support check failed: %s\n",        \
              __FILE__, __LINE__, #cond);                              \
      abort();                                                         \
    }                                                                  \
  } while (0)

#endif
