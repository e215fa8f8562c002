"""Shared pieces of the Python tests: the float64 reference formulas in
PyTorch, the tolerances, a ULP comparison, and strided views with poison
around them."""
import math

import numpy as np
import torch
import torch.nn.functional as F

ACTS = ("glu", "swiglu", "geglu", "geglu_tanh", "geglu_quick", "reglu",
        "bilinear", "swiglu_oai")
DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
# Exactly representable in every dtype, so that f64 and f16 agree on which
# side of the clamp a value sits.
LIMITS = (7.0, 0.0, 0.5, 3.0, 10.0)
ALPHAS = (1.702, 1.0, 0.5, 2.5)

# ---- tolerances, all in one place ------------------------------------------
# (max ULPs of the output dtype, max relative error, max absolute error). An
# element passes if any bound holds. The reference is the formula evaluated
# in float64 and rounded once, so for f32/f16/bf16 it is (nearly always) the
# correctly rounded result and the ULP bound is what matters. For f64 the
# float64 reference is itself inexact, so f64 is held to a relative bound:
# exp of a large argument amplifies its 1-ULP input error (geglu_tanh's
# sigma(2u) at u ~ -300 loses ~600 ULP), and where an intermediate falls
# into float64's subnormals the reference keeps only a few digits, hence the
# absolute bound far below the smallest normal (2.2e-308).
_F64 = (64, 1e-12, 1e-316)
# f32 runs on the SIMD kernels, whose documented bound (README, Numerics)
# is 2 ULP; this tolerance is looser on purpose, the C tests hold each
# variant to its own bound.
FORWARD_TOLERANCE = {
    torch.float32: (6, 0.0, 0.0),
    torch.float16: (1, 0.0, 0.0),
    torch.bfloat16: (1, 0.0, 0.0),
    torch.float64: _F64,
}
# Gradients may sum cancelling terms (dg near a zero of act'): the SIMD
# kernels' working precision (f32, 2^-22) against the terms' size.
BACKWARD_TOLERANCE = dict(FORWARD_TOLERANCE)
BACKWARD_TOLERANCE[torch.float32] = (6, 2.0**-21, 0.0)
# gradcheck of the autograd Function in f64 (finite differences).
GRADCHECK = dict(eps=1e-6, atol=1e-5, rtol=1e-4)

# ---- the reference ---------------------------------------------------------
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_TANH_C = 0.044715
QUICK_SCALE = 1.702
SATURATING = ("swiglu", "geglu", "geglu_tanh", "geglu_quick", "swiglu_oai")


def sigmoid(x):
    # torch.sigmoid flushes sigma(-740) to 0 in float64; exp(log sigmoid)
    # keeps the deep tail as the subnormal it is.
    return torch.exp(F.logsigmoid(x))


def relu(g):
    # Documented: g < 0 ? +0 : g (keeps -0 and NaN); relu'(0) = 0, which the
    # detached middle branch gives.
    zero = torch.zeros_like(g)
    return torch.where(g > 0, g, torch.where(g < 0, zero, g.detach()))


def activation(g, act, alpha=1.702):
    """act(g) in float64, in stable forms (erfc, 2 sigmoid(2u))."""
    if act == "glu":
        return kept(sigmoid(g), g, torch.ones_like(g))
    if act == "swiglu":
        a = g * sigmoid(g)
    elif act == "geglu":
        a = 0.5 * g * torch.special.erfc(-g / math.sqrt(2.0))
    elif act == "geglu_tanh":
        u = SQRT_2_OVER_PI * (g + GELU_TANH_C * g ** 3)
        a = g * sigmoid(2 * u)
    elif act == "geglu_quick":
        a = g * sigmoid(QUICK_SCALE * g)
    elif act == "swiglu_oai":
        a = g * sigmoid(alpha * g)
    elif act == "reglu":
        return relu(g)
    elif act == "bilinear":
        return g
    else:
        raise ValueError(act)
    # The limit at -inf is -0; the formula alone gives -inf * 0 = NaN.
    a = torch.where(g == -math.inf, torch.full_like(g, -0.0), a)
    return kept(a, g, g)


def kept(a, g, sign):
    """Where act(g) underflowed float64 though it is not 0 (a deep tail),
    the least float64 of its sign, as the library documents: v = inf then
    gives inf, a finite v the exact product's signed zero."""
    tiny = torch.full_like(a, 5e-324).copysign(sign)
    return torch.where((a == 0) & torch.isfinite(g) & (g != 0), tiny, a)


def split(x, dim, gate, layout):
    """(value, gate) views of x, with the split axis moved last."""
    xm = x.movedim(dim, -1)
    n = xm.shape[-1] // 2
    if layout == "halves":
        first, second = xm[..., :n], xm[..., n:]
    else:
        first, second = xm[..., 0::2], xm[..., 1::2]
    return (first, second) if gate == "second" else (second, first)


def forward_split_ref(v, g, act, alpha=1.702, limit=7.0):
    v, g = v.double(), g.double()
    if act == "swiglu_oai":
        g = torch.clamp(g, max=limit)
        v = torch.clamp(v, -limit, limit)
        return activation(g, act, alpha) * (v + 1)
    return v * activation(g, act)


def forward_ref(x, act="glu", dim=-1, gate="second", layout="halves",
                alpha=1.702, limit=7.0):
    """Y in float64 from x (any float dtype)."""
    x = x.double()
    if (act == "glu" and layout == "halves" and gate == "second" and x.numel()
            and not x.requires_grad):
        # PyTorch's own operator where it has one; it agrees with sigmoid()
        # above except in the f64 deep tail, below g = -709. (Not for
        # gradients: F.glu's backward forms 1 - sigmoid(g), which cancels,
        # and is off by 1e-4 relative at g = 30.)
        y = F.glu(x, dim)
        v, g = split(x, dim, gate, layout)
        return torch.where(g.movedim(-1, dim) < -700,
                           forward_split_ref(v, g, act).movedim(-1, dim), y)
    v, g = split(x, dim, gate, layout)
    return forward_split_ref(v, g, act, alpha, limit).movedim(-1, dim)


def f64_range_limited(x, act="glu", dim=-1, gate="second", layout="halves",
                      alpha=1.702, limit=7.0, **_):
    """Where a float64 reference cannot check an f64 result: act(g) falls
    below float64's normal range (0 or subnormal) and |v| > 1 scales it back
    up. The library computes f64 in long double, where act(g) is still
    exact, so its answer (1e165 * sigmoid(-800) = 1.8e-182; inf * sigmoid(-800)
    = inf) is right and the float64 one (0; NaN) is not."""
    shape = forward_ref(x.detach(), act, dim, gate, layout).shape
    if act in ("reglu", "bilinear"):
        return torch.zeros(shape, dtype=torch.bool)
    v, g = split(x.detach().double(), dim, gate, layout)
    a = activation(torch.clamp(g, max=limit) if act == "swiglu_oai" else g, act, alpha)
    tiny = torch.finfo(torch.float64).tiny
    unsure = (a.abs() < tiny) & (v.abs() > 1) & torch.isfinite(g) & (g != 0)
    return unsure.movedim(-1, dim)


def backward_ref(x, dy, **config):
    """dX in float64 by torch.autograd on the float64 formula."""
    x64 = x.double().detach().requires_grad_(True)
    y = forward_ref(x64, **config)
    (dx,) = torch.autograd.grad(y, x64, dy.double(), allow_unused=True)
    return torch.zeros_like(x64) if dx is None else dx


def backward_split_ref(v, g, dy, act, alpha=1.702, limit=7.0):
    v64 = v.double().detach().requires_grad_(True)
    g64 = g.double().detach().requires_grad_(True)
    y = forward_split_ref(v64, g64, act, alpha, limit)
    dv, dg = torch.autograd.grad(y, (v64, g64), dy.double(), allow_unused=True)
    return (torch.zeros_like(v64) if dv is None else dv,
            torch.zeros_like(g64) if dg is None else dg)


# ---- comparison ------------------------------------------------------------
_INT_OF = {torch.float32: torch.int32, torch.float64: torch.int64,
           torch.float16: torch.int16, torch.bfloat16: torch.int16}


def ordered(t):
    """Float bits as integers whose order is the floats' order; -0 sits one
    step below +0."""
    bits = t.contiguous().view(_INT_OF[t.dtype]).long()
    width = t.element_size() * 8
    magnitude = bits & ((1 << (width - 1)) - 1)
    return torch.where(bits < 0, -1 - magnitude, magnitude)


def assert_close(actual, expected64, tolerance, what="", ignore=None, scale=None,
                 signed_zeros=True):
    """actual (any float dtype) against the float64 reference rounded once to
    actual's dtype; elements where `ignore` is true are not compared. `scale`
    (optional) is the size of the terms that were summed into expected64,
    for the relative bound where a sum cancels. signed_zeros=False lets a
    zero of either sign match (autograd's sums do not keep zero signs, so
    gradients are compared that way)."""
    actual = to_torch(actual)
    if scale is None:
        scale = expected64.abs()
    if ignore is not None:
        keep = ~ignore
        actual, expected64, scale = actual[keep], expected64[keep], scale[keep]
    max_ulps, rel, absolute = tolerance[actual.dtype]
    expected = expected64.to(actual.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    nan_a, nan_e = torch.isnan(actual), torch.isnan(expected)
    if not torch.equal(nan_a, nan_e):
        i = (nan_a != nan_e).nonzero()[0].tolist()
        raise AssertionError("%s NaN mismatch at %s: got %r, want %r" % (
            what, i, actual[tuple(i)].item(), expected64[tuple(i)].item()))
    ok = ~nan_a
    ulps = (ordered(actual) - ordered(expected)).abs()
    # Signed zeros are documented: a zero of the wrong sign fails outright.
    zeros = (actual == 0) & (expected == 0) & signed_zeros
    ulps = torch.where(zeros & (torch.signbit(actual) != torch.signbit(expected)),
                       torch.full_like(ulps, 2**40), ulps)
    close = ulps <= max_ulps
    if rel or absolute:
        error = (actual.double() - expected64).abs()
        close |= (error <= rel * torch.maximum(scale, expected64.abs())) | (error <= absolute)
    bad = ok & ~close
    if bad.any():
        i = tuple(bad.nonzero()[0].tolist())
        raise AssertionError(
            "%s: %d of %d elements off; first at %s: got %r, want %r (%d ULP)"
            % (what, int(bad.sum()), actual.numel(), list(i), actual[i].item(),
               expected64[i].item(), int(ulps[i])))


# ---- arrays of either kind -------------------------------------------------
def to_torch(obj):
    """A torch copy (or the tensor itself) of a numpy array or tensor; numpy
    uint16 is read as bfloat16."""
    if isinstance(obj, torch.Tensor):
        return obj
    array = np.ascontiguousarray(obj)
    if array.dtype == np.uint16:
        return torch.from_numpy(array.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(array.copy())


def to_numpy(t):
    """A numpy copy of a tensor; bfloat16 becomes uint16 bits."""
    if t.dtype == torch.bfloat16:
        return t.contiguous().view(torch.int16).numpy().view(np.uint16).copy()
    return t.numpy().copy()


# Poison around views: a NaN with a payload the library never produces.
_POISON_BITS = {torch.float32: 0x7FA5A5A5, torch.float64: 0x7FF5A5A5A5A5A5A5,
                torch.float16: 0x7DA5, torch.bfloat16: 0x7FA5}


def _poison_storage(n, dtype, kind):
    storage = torch.full((n,), _POISON_BITS[dtype], dtype=_INT_OF[dtype]).view(dtype)
    return storage if kind == "torch" else to_numpy(storage)


class Layout:
    """Where a view sits in a larger storage: axis order (perm[-1] is the
    innermost axis of the storage), steps between elements, flipped axes
    (numpy only; torch has no negative strides), and an offset."""

    def __init__(self, rank, perm=None, steps=None, flips=None, offset=0):
        self.perm = list(perm) if perm is not None else list(range(rank))
        self.steps = list(steps) if steps is not None else [1] * rank
        self.flips = list(flips) if flips is not None else [False] * rank
        self.offset = offset

    def storage_size(self, shape):
        return self.offset + int(np.prod([max(shape[d], 1) * self.steps[d]
                                          for d in range(len(shape))]))

    def view(self, storage, shape):
        base_shape = [max(shape[p], 1) * self.steps[p] for p in self.perm]
        n = int(np.prod(base_shape))
        base = storage[self.offset:self.offset + n].reshape(base_shape)
        index = []
        for p in self.perm:
            step = self.steps[p]
            if self.flips[p] and shape[p]:
                index.append(slice(shape[p] * step - 1, None, -step))
            else:
                index.append(slice(0, shape[p] * step, step))
        sliced = base[tuple(index)]
        inverse = np.argsort(self.perm).tolist()
        if isinstance(sliced, torch.Tensor):
            return sliced.permute(inverse)
        return sliced.transpose(inverse)


def place(values, kind, layout):
    """A view holding `values` (a torch tensor) inside a poisoned storage;
    returns (view, storage)."""
    storage = _poison_storage(layout.storage_size(values.shape), values.dtype, kind)
    view = layout.view(storage, values.shape)
    assert tuple(view.shape) == tuple(values.shape)
    view[...] = values if kind == "torch" else to_numpy(values)
    return view, storage


def empty_view(shape, dtype, kind, layout):
    """A poisoned view for outputs; returns (view, storage)."""
    storage = _poison_storage(layout.storage_size(shape), dtype, kind)
    return layout.view(storage, shape), storage


def assert_poison_outside(storage, shape, layout):
    """Nothing outside the view was written."""
    check = storage.clone() if isinstance(storage, torch.Tensor) else storage.copy()
    inside = layout.view(check, shape)
    inside[...] = 0
    check = to_torch(check)
    untouched = int((check.view(_INT_OF[check.dtype]) == _POISON_BITS[check.dtype]).sum())
    assert untouched == check.numel() - int(np.prod(shape)), "wrote outside the view"


# ---- values ----------------------------------------------------------------
def random_values(seed, shape, dtype, wide=True):
    """Deterministic values for a test case: mostly moderate, with the
    extremes and special values mixed in when `wide`."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape)) if len(shape) else 1
    kind = rng.integers(0, 20, n)
    values = rng.standard_normal(n) * 3
    values = np.where(kind >= 14, rng.uniform(-30, 30, n), values)
    boundary = rng.choice([0.0, -0.0, 1.0, -1.0] + [s * L for L in LIMITS for s in (1, -1)], n)
    values = np.where(kind == 13, boundary, values)
    if wide:
        span = 300 if dtype == torch.float64 else 40
        huge = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-span, span, n)
        values = np.where(kind == 12, huge, values)
        special = rng.choice([math.inf, -math.inf, math.nan, -95.0, -800.0], n)
        values = np.where(kind == 11, special, values)
    return torch.from_numpy(values.reshape(shape)).to(dtype)
