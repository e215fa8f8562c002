"""The glukit functions on NumPy arrays and torch CPU tensors."""

from . import _lib
from ._views import describe, empty_like_kind, output_shape

DEFAULT_ALPHA = 1.702
DEFAULT_LIMIT = 7.0


def forward(x, act="glu", dim=-1, gate="second", layout="halves",
            alpha=DEFAULT_ALPHA, limit=DEFAULT_LIMIT, out=None, dtype=None,
            num_threads=0, isa="auto"):
    """Y = value * act(gate), value and gate taken from x along `dim`.

    x: a NumPy array or CPU torch tensor (f32, f64, f16, bf16; any strides).
    gate: "second" (PyTorch: Y = first * act(second)) or "first" (vLLM).
    layout: "halves", or "interleaved" pairs (x0, x1), (x2, x3), ...
    out: an array or tensor to write Y into; otherwise a new one of x's kind.
    dtype: "bf16" when x is a NumPy uint16 array holding bfloat16.
    num_threads: threads for this call; 0 means $GLUKIT_NUM_THREADS or
    every core, 1 the calling thread only.
    isa: "auto" (the best this CPU has), or "scalar", "avx2", "avx512",
    "neon" to force one; an ISA the CPU lacks raises GlukitError.
    Returns Y.
    """
    options = _lib.options_for(act, dim, gate, layout, alpha, limit,
                               isa=isa, num_threads=num_threads)
    xt = describe(x, dtype, what="x")
    if out is None:
        out = empty_like_kind(x, output_shape(tuple(x.shape), options.dim))
    yt = describe(out, dtype, writable=True, what="out")
    _lib.check(_lib.lib().glk_forward(xt, yt, options))
    return out


def backward(x, dy, act="glu", dim=-1, gate="second", layout="halves",
             alpha=DEFAULT_ALPHA, limit=DEFAULT_LIMIT, out=None, accumulate=False,
             dtype=None, num_threads=0, isa="auto"):
    """dX, the gradient of sum(dy * forward(x)) with respect to x.

    out: where to write dX; it may be x itself (in-place backward).
    accumulate: add the gradient into `out` (which must then be given).
    num_threads, isa: as for forward.
    Returns dX.
    """
    options = _lib.options_for(act, dim, gate, layout, alpha, limit, accumulate,
                               isa=isa, num_threads=num_threads)
    xt = describe(x, dtype, what="x")
    dyt = describe(dy, dtype, what="dy")
    if out is None:
        if accumulate:
            raise ValueError("accumulate=True adds into out=, so out must be given")
        out = empty_like_kind(x, tuple(x.shape))
    dxt = describe(out, dtype, writable=True, what="out")
    _lib.check(_lib.lib().glk_backward(xt, dyt, dxt, options))
    return out


def forward_split(value, gate, act="glu", alpha=DEFAULT_ALPHA, limit=DEFAULT_LIMIT,
                  out=None, dtype=None, num_threads=0, isa="auto"):
    """Y = value * act(gate) for two separate tensors of one shape;
    num_threads, isa: as for forward."""
    options = _lib.options_for(act, alpha=alpha, limit=limit, isa=isa,
                               num_threads=num_threads)
    vt = describe(value, dtype, what="value")
    gt = describe(gate, dtype, what="gate")
    if out is None:
        out = empty_like_kind(value, tuple(value.shape))
    yt = describe(out, dtype, writable=True, what="out")
    _lib.check(_lib.lib().glk_forward_split(vt, gt, yt, options))
    return out


def backward_split(value, gate, dy, act="glu", alpha=DEFAULT_ALPHA,
                   limit=DEFAULT_LIMIT, out=None, accumulate=False, dtype=None,
                   num_threads=0, isa="auto"):
    """(dvalue, dgate) for forward_split; out: an optional (dvalue, dgate)
    pair to write into (each may be the matching input, in place);
    num_threads, isa: as for forward."""
    options = _lib.options_for(act, alpha=alpha, limit=limit, accumulate=accumulate,
                               isa=isa, num_threads=num_threads)
    vt = describe(value, dtype, what="value")
    gt = describe(gate, dtype, what="gate")
    dyt = describe(dy, dtype, what="dy")
    if out is None:
        if accumulate:
            raise ValueError("accumulate=True adds into out=, so out must be given")
        out = (empty_like_kind(value, tuple(value.shape)),
               empty_like_kind(value, tuple(value.shape)))
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("out must be a (dvalue, dgate) pair")
    dvalue, dgate = out
    dvt = describe(dvalue, dtype, writable=True, what="out[0]")
    dgt = describe(dgate, dtype, writable=True, what="out[1]")
    _lib.check(_lib.lib().glk_backward_split(vt, gt, dyt, dvt, dgt, options))
    return dvalue, dgate
