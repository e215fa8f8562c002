/* The CUDA kernels for f32: every activation, direction and mode. */
#include "cuda/cuda_kernel.cuh"

namespace glkc {

int launch_f32(const Plan &plan, int act, int backward, int mode,
               unsigned blocks, void *stream) {
  return launch_dtype<GLK_DTYPE_F32>(plan, act, backward, mode, blocks, stream);
}

}  // namespace glkc
