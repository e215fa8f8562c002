/*
 * Internal: the CUDA backend's entry, called by src/api/ops.c after every
 * argument was validated and the walk was built and simplified. Compiled
 * only when CMake found CUDA (GLUKIT_HAVE_CUDA).
 */
#ifndef GLK_CUDA_H
#define GLK_CUDA_H

#include "glukit.h"
#include "kernels/ukernel.h"
#include "plan/walk.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Queues the walk's forward (backward = 0) or backward on `stream` (a
 * cudaStream_t, NULL: the default stream) of the current device and
 * returns without waiting. The walk's pointers are device pointers.
 */
glk_status glk__cuda_run(const glk_walk *w, int backward, glk_dtype dtype,
                         glk_act act, const glk_ukernel_params *params,
                         void *stream);

/* 1 when a CUDA device is usable, else 0 (cached after the first call). */
int glk__cuda_usable(void);

#ifdef __cplusplus
}
#endif

#endif
