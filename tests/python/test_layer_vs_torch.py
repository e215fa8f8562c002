"""The GLU layer (glk_glu_forward / glk_glu_backward) against PyTorch:
F.linear + the variant formula in float64, gradients from torch.autograd.
Weights are passed the way a PyTorch user holds them: nn.Linear's out x in
tensors, seen as in x out (transposed, column-major views). Skipped when
the library was built without CBLAS (no layer)."""
import ctypes

import pytest
import torch
import torch.nn.functional as F

from glukit import _lib
from glukit_testlib import forward_split_ref, split

P = ctypes.POINTER(_lib.GlkTensor)


class GlkGluLayer(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t)] + [
        (name, P) for name in ("w_up", "b_up", "w_value", "w_gate", "b_value",
                               "b_gate", "w_down", "b_down")
    ] + [("token_block", ctypes.c_int64), ("hidden_block", ctypes.c_int64),
         ("accumulate", ctypes.c_int32)]


def _layer_lib():
    lib = _lib.lib()
    if not hasattr(lib, "glk_glu_forward"):
        pytest.skip("glukit was built without CBLAS: no GLU layer")
    vp, sz = ctypes.c_void_p, ctypes.c_size_t
    p_layer, p_opt = ctypes.POINTER(GlkGluLayer), ctypes.POINTER(_lib.GlkOptions)
    lib.glk_glu_layer_init.argtypes = [p_layer]
    lib.glk_glu_layer_init.restype = None
    lib.glk_glu_workspace_size.argtypes = [p_layer, ctypes.c_int64, ctypes.c_int32,
                                           p_opt, ctypes.POINTER(sz)]
    lib.glk_glu_forward.argtypes = [p_layer, P, P, vp, sz, p_opt]
    lib.glk_glu_backward.argtypes = [p_layer, P, P, P, p_layer, vp, sz, p_opt]
    for f in ("glk_glu_workspace_size", "glk_glu_forward", "glk_glu_backward"):
        getattr(lib, f).restype = ctypes.c_int
    return lib


def tensor(t):
    """A glk_tensor viewing torch tensor t (kept alive by the caller)."""
    g = _lib.GlkTensor()
    g.data = t.data_ptr()
    g.dtype = {torch.float32: _lib.DTYPE_F32, torch.float64: _lib.DTYPE_F64}[t.dtype]
    g.rank = t.dim()
    for i in range(t.dim()):
        g.shape[i], g.strides[i] = t.shape[i], t.stride(i)
    return g


PACKS = ["separate", "halves-second", "halves-first", "interleaved-second",
         "interleaved-first"]


def pack_rows(pack, value, gate):
    """nn.Linear-style (2h x d) packing of value and gate rows, as the layer
    reads the columns of w_up = packed.t()."""
    layout, order = pack.split("-")
    first, second = (value, gate) if order == "second" else (gate, value)
    if layout == "halves":
        return torch.cat([first, second])
    return torch.stack([first, second], 1).reshape(-1, *value.shape[1:])


def run_case(pack, bias, down, act, dtype, t, d, h, o, seed):
    lib = _layer_lib()
    gen = torch.Generator().manual_seed(seed)
    rnd = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)
    x, wv, wg = rnd(t, d), rnd(h, d) / d ** 0.5, rnd(h, d) / d ** 0.5
    bv, bg = rnd(h) * 0.5, rnd(h) * 0.5
    w2, b2, dy = rnd(o, h) / h ** 0.5, rnd(o) * 0.5, rnd(t, o if down else h)
    layout, gate = ("halves", "second") if pack == "separate" else pack.split("-")
    opt = _lib.make_options(act=act, layout=layout, gate=gate)

    # PyTorch, float64, autograd.
    params = [p.clone().requires_grad_() for p in (x, wv, wg, bv, bg, w2, b2)]
    px, pwv, pwg, pbv, pbg, pw2, pb2 = params
    zv = F.linear(px, pwv, pbv if bias else None)
    zg = F.linear(px, pwg, pbg if bias else None)
    y_ref = forward_split_ref(zv, zg, act)
    if down:
        y_ref = F.linear(y_ref, pw2, pb2 if bias else None)
    y_ref.backward(dy)

    # glukit, in dtype; weights as the transposes of nn.Linear tensors.
    cast = lambda a: a.to(dtype)
    keep = []  # tensors the glk_tensors point into

    def view(a):
        keep.append(a)
        g = tensor(a)
        keep.append(g)
        return ctypes.pointer(g)

    def grad_like(a):
        return torch.zeros_like(a)

    layer, grads = GlkGluLayer(), GlkGluLayer()
    lib.glk_glu_layer_init(layer)
    lib.glk_glu_layer_init(grads)
    if pack == "separate":
        w_val, w_gate = cast(wv), cast(wg)
        g_val, g_gate = grad_like(w_val), grad_like(w_gate)
        layer.w_value, layer.w_gate = view(w_val.t()), view(w_gate.t())
        grads.w_value, grads.w_gate = view(g_val.t()), view(g_gate.t())
        if bias:
            layer.b_value, layer.b_gate = view(cast(bv)), view(cast(bg))
            gb_val, gb_gate = grad_like(cast(bv)), grad_like(cast(bg))
            grads.b_value, grads.b_gate = view(gb_val), view(gb_gate)
    else:
        w_up = cast(pack_rows(pack, wv, wg))
        g_up = grad_like(w_up)
        layer.w_up, grads.w_up = view(w_up.t()), view(g_up.t())
        if bias:
            layer.b_up = view(cast(pack_rows(pack, bv, bg)))
            gb_up = grad_like(cast(pack_rows(pack, bv, bg)))
            grads.b_up = view(gb_up)
    if down:
        w_down = cast(w2)
        g_down = grad_like(w_down)
        layer.w_down, grads.w_down = view(w_down.t()), view(g_down.t())
        if bias:
            layer.b_down = view(cast(b2))
            gb_down = grad_like(cast(b2))
            grads.b_down = view(gb_down)
    xg = cast(x)
    y = torch.empty(t, o if down else h, dtype=dtype)
    dx = torch.empty(t, d, dtype=dtype)
    size = ctypes.c_size_t()
    _lib.check(lib.glk_glu_workspace_size(layer, t, 1, opt, ctypes.byref(size)))
    ws = ctypes.create_string_buffer(max(size.value, 1))
    _lib.check(lib.glk_glu_forward(layer, view(xg), view(y), ws, size.value, opt))
    _lib.check(lib.glk_glu_backward(layer, view(xg), view(cast(dy)), view(dx),
                                    grads, ws, size.value, opt))

    tol = dict(rtol=1e-10, atol=1e-10) if dtype == torch.float64 else \
        dict(rtol=2e-4, atol=2e-4)
    check = lambda got, want: torch.testing.assert_close(
        got.double(), want.detach(), **tol)
    check(y, y_ref)
    check(dx, px.grad)
    if pack == "separate":
        check(g_val, pwv.grad)
        check(g_gate, pwg.grad)
        if bias:
            check(gb_val, pbv.grad)
            check(gb_gate, pbg.grad)
    else:
        check(g_up, pack_rows(pack, pwv.grad, pwg.grad))
        if bias:
            check(gb_up, pack_rows(pack, pbv.grad, pbg.grad))
    if down:
        check(g_down, pw2.grad)
        if bias:
            check(gb_down, pb2.grad)


@pytest.mark.parametrize("pack", PACKS)
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("down", [False, True])
def test_layouts_f64(pack, bias, down):
    run_case(pack, bias, down, "swiglu", torch.float64, 17, 5, 7, 3, seed=1)


@pytest.mark.parametrize("act", ["glu", "swiglu", "geglu", "geglu_tanh",
                                 "geglu_quick", "reglu", "bilinear", "swiglu_oai"])
def test_activations(act):
    run_case("interleaved-first", True, True, act, torch.float64, 9, 6, 5, 4, seed=2)
    run_case("halves-second", True, True, act, torch.float32, 9, 6, 5, 4, seed=3)


@pytest.mark.parametrize("t,d,h,o", [(1, 1, 1, 1), (3, 17, 1000, 3),
                                     (1000, 17, 3, 1), (17, 1000, 17, 3)])
def test_odd_sizes(t, d, h, o):
    run_case("halves-first", True, True, "geglu", torch.float32, t, d, h, o, seed=4)
