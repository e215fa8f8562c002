/*
 * GLK_VINLINE: every helper of the vector layer and of the GLU template is
 * inlined. GCC otherwise keeps the larger ones (the sigmoid and GELU parts)
 * as calls that pass several vector registers' worth of struct through the
 * stack, which cost more than the math itself.
 */
#ifndef GLK_VINLINE_H
#define GLK_VINLINE_H

#if defined(__GNUC__) || defined(__clang__)
#define GLK_VINLINE static inline __attribute__((always_inline))
#else
#define GLK_VINLINE static inline
#endif

#endif
