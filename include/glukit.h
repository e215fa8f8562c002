/*
 * glukit — gated-linear-unit (GLU) kernels.
 *
 * The one public header. Everything the library exports is declared here and
 * carries the glk_ / GLK_ prefix; all other symbols are hidden.
 *
 * The operator (caffe2's Glu, generalised): a tensor X is split along an axis
 * into a value half V and a gate half G and the library computes
 *     Y = V * act(G)
 * elementwise, with Y's shape equal to X's with the split axis halved.
 * The backward computes dX (that is dV and dG) from X and dY.
 *
 * All calls are thread-safe and allocate nothing (but planning a prepared
 * call, glk_plan_*). Failed calls return a status code; glk_last_error()
 * then holds a message naming the numbers.
 */
#ifndef GLUKIT_H
#define GLUKIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GLK_VERSION_MAJOR 0
#define GLK_VERSION_MINOR 2
#define GLK_VERSION_PATCH 0
#define GLK_VERSION_STRING "0.2.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, comparable with glk_version(). */
#define GLK_VERSION_NUMBER \
  (GLK_VERSION_MAJOR * 10000 + GLK_VERSION_MINOR * 100 + GLK_VERSION_PATCH)

#if defined(_WIN32) && defined(GLUKIT_SHARED_BUILD)
#define GLK_API __declspec(dllexport)
#elif defined(__GNUC__)
#define GLK_API __attribute__((visibility("default")))
#else
#define GLK_API
#endif

/* Largest tensor rank accepted. */
#define GLK_MAX_RANK 8

typedef enum glk_status {
  GLK_OK = 0,
  GLK_ERR_NULL_POINTER = 1,     /* a required pointer is NULL */
  GLK_ERR_INVALID_ARGUMENT = 2, /* unknown enum value, bad options size,
                                   negative extent, NaN alpha/limit, ... */
  GLK_ERR_RANK = 3,             /* 0-d tensor, or rank above GLK_MAX_RANK */
  GLK_ERR_AXIS = 4,             /* split axis out of range */
  GLK_ERR_ODD_SPLIT = 5,        /* odd size along the split axis */
  GLK_ERR_SHAPE_MISMATCH = 6,   /* shapes of the arguments disagree */
  GLK_ERR_DTYPE_MISMATCH = 7,   /* dtypes of the arguments disagree */
  GLK_ERR_OVERFLOW = 8,         /* an element or byte count overflows */
  GLK_ERR_OVERLAP = 9,          /* an output overlaps an input or itself */
  GLK_ERR_UNSUPPORTED = 10,     /* a requested ISA or device is not
                                   available in this build or machine */
  GLK_ERR_DEVICE = 11,          /* a CUDA call failed (launch or device
                                   error); glk_last_error() names it */
  GLK_ERR_OUT_OF_MEMORY = 12    /* creating a plan: no memory for it */
} glk_status;

typedef enum glk_dtype {
  GLK_DTYPE_F32 = 0,
  GLK_DTYPE_F64 = 1,
  GLK_DTYPE_F16 = 2,  /* IEEE binary16, stored as uint16_t bits */
  GLK_DTYPE_BF16 = 3  /* bfloat16, stored as uint16_t bits */
} glk_dtype;
#define GLK_DTYPE_COUNT 4

/* Gate activations; gate g, value v. */
typedef enum glk_act {
  GLK_ACT_GLU = 0,         /* v * sigmoid(g) */
  GLK_ACT_SWIGLU = 1,      /* v * g * sigmoid(g) */
  GLK_ACT_GEGLU = 2,       /* v * g/2 * (1 + erf(g / sqrt 2)) */
  GLK_ACT_GEGLU_TANH = 3,  /* v * g/2 * (1 + tanh(sqrt(2/pi)(g + 0.044715 g^3))) */
  GLK_ACT_GEGLU_QUICK = 4, /* v * g * sigmoid(1.702 g) */
  GLK_ACT_REGLU = 5,       /* v * max(g, 0) */
  GLK_ACT_BILINEAR = 6,    /* v * g */
  GLK_ACT_SWIGLU_OAI = 7   /* GPT-OSS: g' = min(g, L), v' = clamp(v, -L, L),
                              y = g' * sigmoid(alpha g') * (v' + 1) */
} glk_act;
#define GLK_ACT_COUNT 8

/* Where the two members sit along the split axis. */
typedef enum glk_layout {
  GLK_LAYOUT_HALVES = 0,     /* first half, second half */
  GLK_LAYOUT_INTERLEAVED = 1 /* pairs (x0,x1), (x2,x3), ... */
} glk_layout;

/* Which member is the gate. */
typedef enum glk_gate {
  GLK_GATE_SECOND = 0, /* caffe2 / PyTorch: Y = first * act(second) */
  GLK_GATE_FIRST = 1   /* vLLM silu_and_mul: Y = act(first) * second */
} glk_gate;

/* CPU kernel sets. GLK_ISA_AUTO: the best this CPU and OS support, or the
 * one named by the environment variable GLUKIT_ISA (scalar, avx2, avx512,
 * neon), which can only lower the choice. */
typedef enum glk_isa {
  GLK_ISA_AUTO = 0,
  GLK_ISA_SCALAR = 1, /* the portable reference kernels */
  GLK_ISA_AVX2 = 2,   /* AVX2 + FMA + F16C */
  GLK_ISA_AVX512 = 3, /* AVX-512F, DQ, BW and VL */
  GLK_ISA_NEON = 4    /* AArch64 Advanced SIMD */
} glk_isa;
#define GLK_ISA_COUNT 5

/* Where the tensors of a call live and run. */
typedef enum glk_device {
  GLK_DEVICE_CPU = 0, /* host memory, CPU kernels (the default) */
  GLK_DEVICE_CUDA = 1 /* CUDA device memory of the current device */
} glk_device;
#define GLK_DEVICE_COUNT 2

/*
 * A strided view of memory. Strides count elements (not bytes) and may be
 * zero (inputs only) or negative. Fill it by hand or with glk_tensor_init().
 */
typedef struct glk_tensor {
  void *data;
  glk_dtype dtype;
  int32_t rank;
  int64_t shape[GLK_MAX_RANK];
  int64_t strides[GLK_MAX_RANK];
} glk_tensor;

/*
 * Per-call options. struct_size must be set to sizeof(glk_options) (which
 * glk_options_init does): later versions append fields, and the library
 * gives every field beyond struct_size its default. A NULL options pointer
 * means all defaults.
 */
typedef struct glk_options {
  size_t struct_size;
  glk_act act;         /* default GLK_ACT_GLU */
  glk_layout layout;   /* default GLK_LAYOUT_HALVES; ignored by *_split */
  glk_gate gate;       /* default GLK_GATE_SECOND; ignored by *_split */
  int32_t dim;         /* split axis, default -1; ignored by *_split */
  int32_t accumulate;  /* backward: nonzero adds into dX (dV, dG) */
  double alpha;        /* swiglu_oai sigmoid scale, default 1.702 */
  double limit;        /* swiglu_oai clamp limit, default 7; must be >= 0 */
  /* -- since 0.2 -- */
  glk_isa isa;         /* default GLK_ISA_AUTO; a named ISA the CPU lacks
                          gives GLK_ERR_UNSUPPORTED */
  int32_t num_threads; /* 0 (default): GLUKIT_NUM_THREADS or every core;
                          1: the calling thread only */
  /* -- since 0.3 -- */
  glk_device device;   /* default GLK_DEVICE_CPU. GLK_DEVICE_CUDA: every
                          tensor's data is device memory of the current
                          CUDA device; the call is queued on cuda_stream and
                          returns without waiting (isa and num_threads are
                          ignored). GLK_ERR_UNSUPPORTED when glukit was built
                          without CUDA. */
  void *cuda_stream;   /* a cudaStream_t; NULL (default): the default stream */
} glk_options;

#define GLK_DEFAULT_ALPHA 1.702
#define GLK_DEFAULT_LIMIT 7.0

/* Version of the library actually linked (compare with the macros). */
GLK_API int glk_version(void);
GLK_API const char *glk_version_string(void);

/* Fixed text for a status code ("unknown status" for values outside it). */
GLK_API const char *glk_status_string(glk_status status);

/*
 * Detail of the latest failed call made by this thread, naming the
 * offending numbers; "" after a successful call. Valid until this thread's
 * next glukit call.
 */
GLK_API const char *glk_last_error(void);

/* Names: "glu", "swiglu", ...; "f32", "f64", "f16", "bf16". */
GLK_API const char *glk_act_name(glk_act act);
GLK_API glk_status glk_act_from_name(const char *name, glk_act *act);
GLK_API const char *glk_dtype_name(glk_dtype dtype);
GLK_API glk_status glk_dtype_from_name(const char *name, glk_dtype *dtype);
GLK_API size_t glk_dtype_size(glk_dtype dtype); /* 0 for unknown values */

/*
 * Fills *options with the defaults. glk_options_init is inline so that it
 * passes the caller's sizeof: a library newer than the caller's header then
 * writes only the fields the caller's struct has.
 */
GLK_API void glk_options_init_sized(glk_options *options, size_t struct_size);
static inline void glk_options_init(glk_options *options) {
  glk_options_init_sized(options, sizeof *options);
}

/* The ISA that GLK_ISA_AUTO selects on this machine (never AUTO). */
GLK_API glk_isa glk_default_isa(void);
/* Nonzero when this CPU and OS can run `isa`'s kernels. */
GLK_API int glk_isa_supported(glk_isa isa);
/* "auto", "scalar", "avx2", "avx512", "neon"; NULL for unknown values. */
GLK_API const char *glk_isa_name(glk_isa isa);
/* Threads a call with num_threads = 0 uses. */
GLK_API int glk_default_num_threads(void);
/* 1 when glukit was built with CUDA and a CUDA device is usable, else 0. */
GLK_API int glk_cuda_available(void);

/*
 * Describe `rank` dims of `shape` at `data`. strides == NULL means
 * C-contiguous (row-major).
 */
GLK_API glk_status glk_tensor_init(glk_tensor *tensor, void *data,
                                   glk_dtype dtype, int32_t rank,
                                   const int64_t *shape,
                                   const int64_t *strides);

/*
 * Shape inference (caffe2's Yshape): y_shape receives x_shape with axis `dim`
 * halved. Same for both layouts. Callable before anything is allocated.
 */
GLK_API glk_status glk_output_shape(int32_t rank, const int64_t *x_shape,
                                    int32_t dim, int64_t *y_shape);

/* Y = V * act(G), V and G taken from X by options' dim, layout and gate. */
GLK_API glk_status glk_forward(const glk_tensor *x, const glk_tensor *y,
                               const glk_options *options);

/*
 * dX from X and dY. dx may be the very same view as x (same data, shape and
 * strides): the backward then runs in place. Any other overlap of dx with x
 * or dy is refused. With options->accumulate, dX += gradient.
 */
GLK_API glk_status glk_backward(const glk_tensor *x, const glk_tensor *dy,
                                const glk_tensor *dx,
                                const glk_options *options);

/* The split form: value and gate are separate tensors of one shape. */
GLK_API glk_status glk_forward_split(const glk_tensor *value,
                                     const glk_tensor *gate,
                                     const glk_tensor *y,
                                     const glk_options *options);

/* dvalue may be the same view as value, dgate as gate (in place). */
GLK_API glk_status glk_backward_split(const glk_tensor *value,
                                      const glk_tensor *gate,
                                      const glk_tensor *dy,
                                      const glk_tensor *dvalue,
                                      const glk_tensor *dgate,
                                      const glk_options *options);

/*
 * Prepared calls. glk_plan_* checks everything about a call but its data
 * pointers (the descriptors' data fields are ignored and may be NULL) and
 * builds its walk once; glk_plan_run then takes the data pointers, one per
 * tensor in the order the planning call took them (x, y for a forward;
 * value, gate, dy, dvalue, dgate for a split backward), checks them as the
 * one-shot call would (NULL, address range, overlap, in place) and runs:
 * about 25 ns less per call than the one-shot form, which matters for small
 * tensors. The options (a CUDA stream included) are copied at planning. A
 * plan is immutable: several threads may run one plan at once. On failure
 * *plan is NULL. glk_plan_destroy(NULL) does nothing.
 */
typedef struct glk_plan glk_plan;
GLK_API glk_status glk_plan_forward(const glk_tensor *x, const glk_tensor *y,
                                    const glk_options *options, glk_plan **plan);
GLK_API glk_status glk_plan_backward(const glk_tensor *x, const glk_tensor *dy,
                                     const glk_tensor *dx,
                                     const glk_options *options, glk_plan **plan);
GLK_API glk_status glk_plan_forward_split(const glk_tensor *value,
                                          const glk_tensor *gate,
                                          const glk_tensor *y,
                                          const glk_options *options,
                                          glk_plan **plan);
GLK_API glk_status glk_plan_backward_split(
    const glk_tensor *value, const glk_tensor *gate, const glk_tensor *dy,
    const glk_tensor *dvalue, const glk_tensor *dgate,
    const glk_options *options, glk_plan **plan);
/* The number of data pointers glk_plan_run reads (0 for NULL). */
GLK_API int glk_plan_tensor_count(const glk_plan *plan);
GLK_API glk_status glk_plan_run(const glk_plan *plan, void *const *data);
GLK_API void glk_plan_destroy(glk_plan *plan);

/* ---- GLU layer (built when CBLAS is found) ---- */
/*
 * The GLU layer with weights and the gated feed-forward block, on CBLAS:
 *     Z = X * [W | V] + [b | c]        value and gate projections
 *     H = act(X V + c) (.) (X W + b)   tokens x hidden (the core operator)
 *     Y = H W2 + b2                    tokens x d_out, when w_down is given
 * X is tokens x d_in. The work walks tokens and hidden units in cache-sized
 * blocks, so Z is never materialised: the caller provides a workspace of
 * glk_glu_workspace_size() bytes, which is all the extra memory a call uses
 * (no allocation inside). The backward recomputes Z block by block from X.
 * The workspace (any alignment) must not overlap a tensor of the call;
 * a thread needs its own.
 *
 * Tensors are rank 2 (biases rank 1), all f32 or all f64 (f16/bf16 are
 * refused with GLK_ERR_INVALID_ARGUMENT). A matrix may be row-major or
 * column-major with any leading dimension (a transposed view, e.g. a
 * PyTorch out x in weight seen as in x out), as BLAS can read it; other
 * strides are refused. Outputs must not overlap inputs or each other.
 * options: act, alpha, limit as in glk_forward; layout and gate describe
 * the columns of a packed w_up / b_up (halves [W|V] or [V|W], or
 * interleaved pairs), exactly as they describe X in glk_forward; dim is
 * ignored; accumulate makes the backward add into dx.
 *
 * These functions are compiled and exported only when glukit was built
 * with a CBLAS (CMake found one); otherwise they are absent from the
 * library and a program calling them does not link.
 */
typedef struct glk_glu_layer {
  size_t struct_size;         /* sizeof(glk_glu_layer): glk_glu_layer_init */
  const glk_tensor *w_up;     /* d_in x 2*hidden, packed per options, or NULL */
  const glk_tensor *b_up;     /* 2*hidden, packed like w_up, or NULL */
  const glk_tensor *w_value;  /* d_in x hidden (W), when w_up is NULL */
  const glk_tensor *w_gate;   /* d_in x hidden (V), when w_up is NULL */
  const glk_tensor *b_value;  /* hidden (b), or NULL: no bias */
  const glk_tensor *b_gate;   /* hidden (c), or NULL: no bias */
  const glk_tensor *w_down;   /* hidden x d_out (W2), or NULL: Y is H */
  const glk_tensor *b_down;   /* d_out (b2), or NULL */
  int64_t token_block;        /* rows per block; 0: automatic */
  int64_t hidden_block;       /* hidden units per block; 0: automatic */
  int32_t accumulate;         /* in the gradient struct of the backward:
                                 nonzero adds into the weight and bias
                                 gradients instead of overwriting them */
} glk_glu_layer;

/* All pointers NULL, automatic blocks, no accumulation. */
GLK_API void glk_glu_layer_init(glk_glu_layer *layer);

/*
 * Workspace bytes a forward (backward = 0) or backward (backward != 0) of
 * `layer` on `tokens` rows needs; a few blocks, independent of tokens
 * beyond the token block.
 */
GLK_API glk_status glk_glu_workspace_size(const glk_glu_layer *layer,
                                          int64_t tokens, int32_t backward,
                                          const glk_options *options,
                                          size_t *bytes);

/* Y = H W2 + b2 (or Y = H without w_down) for X. */
GLK_API glk_status glk_glu_forward(const glk_glu_layer *layer,
                                   const glk_tensor *x, const glk_tensor *y,
                                   void *workspace, size_t workspace_size,
                                   const glk_options *options);

/*
 * From X and dY: dx (NULL: not wanted) and the gradients of the weights
 * and biases, given as the tensors of `grads`, laid out like `layer`
 * (packed w_up with packed w_up); a NULL tensor there is not computed.
 */
GLK_API glk_status glk_glu_backward(const glk_glu_layer *layer,
                                    const glk_tensor *x, const glk_tensor *dy,
                                    const glk_tensor *dx,
                                    const glk_glu_layer *grads,
                                    void *workspace, size_t workspace_size,
                                    const glk_options *options);
/* ---- end of GLU layer ---- */

#ifdef __cplusplus
}
#endif

#endif /* GLUKIT_H */
