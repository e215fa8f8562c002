/* The CUDA kernels for bf16: every activation, direction and mode. */
#include "cuda/cuda_kernel.cuh"

namespace glkc {

int launch_bf16(const Plan &plan, int act, int backward, int mode,
                unsigned blocks, void *stream) {
  return launch_dtype<GLK_DTYPE_BF16>(plan, act, backward, mode, blocks, stream);
}

}  // namespace glkc
