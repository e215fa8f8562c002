/*
 * GLK_VINLINE: every helper of the vector layer and of the GLU template is
 * inlined. GCC otherwise keeps the larger ones (the sigmoid and GELU parts)
 * as calls that pass several vector registers' worth of struct through the
 * stack, which cost more than the math itself. GLK_NOINLINE keeps a
 * kernel's rarely run pieces (the buffered first and last vectors) out of
 * line, so each kernel holds few copies of the inlined math: the sanitizer
 * build of a whole ISA's kernels must stay within the compiler's memory.
 */
#ifndef GLK_VINLINE_H
#define GLK_VINLINE_H

#if defined(__GNUC__) || defined(__clang__)
#define GLK_VINLINE static inline __attribute__((always_inline))
#define GLK_NOINLINE static __attribute__((noinline))
#else
#define GLK_VINLINE static inline
#define GLK_NOINLINE static
#endif

#endif
