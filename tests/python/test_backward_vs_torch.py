"""glukit.backward against torch.autograd on the float64 formula: plain,
into a strided out=, accumulating into out=, and in place (out=x)."""
import torch
from hypothesis import given
from hypothesis import strategies as st

import glukit
from glukit_strategies import cases
from glukit_testlib import (BACKWARD_TOLERANCE, Layout, assert_close,
                            assert_poison_outside, backward_ref, backward_split_ref,
                            empty_view, place, random_values, split)

MODES = ("new", "out", "accumulate", "in_place")


def moderate(seed, shape, dtype):
    # Gradients of the documented special values (inf, NaN) are tested in
    # test_numerics_documented.py; here finite values, including the kinks
    # (0 for reglu, +-L for swiglu_oai).
    return random_values(seed, shape, dtype, wide=False)


def cancel_scale(values, dy_values):
    """A bound on the size of the terms summed into dg (dy v act'(g), whose
    act' has terms of size up to ~(1 + |g|)): near a zero of act' they
    cancel, and the error is relative to them, not to dg (README, Numerics)."""
    if values.numel() == 0 or dy_values.numel() == 0:
        return 0.0
    big = values.double().abs().max().item()
    return dy_values.double().abs().max().item() * (big + 1) * (big + 1)


@given(case=cases(extra_views=1), mode=st.sampled_from(MODES))
def test_backward_matches_autograd(case, mode):
    values = moderate(case.seed, case.shape, case.dtype)
    dy_values = moderate(case.seed + 1, case.y_shape, case.dtype)
    x, _ = place(values, case.kind, case.x_layout)
    dy, _ = place(dy_values, case.kind, case.extra_layouts[0])
    expected = backward_ref(values, dy_values, **case.config)
    call = dict(case.config, dtype=case.dtype_hint)
    scale = expected.abs() + cancel_scale(values, dy_values)
    if mode == "new":
        dx = glukit.backward(x, dy, **call)
        assert type(dx) is type(x)
    elif mode == "out":
        layout = case.out_layout or Layout(len(case.shape))
        out, storage = empty_view(case.shape, case.dtype, case.kind, layout)
        dx = glukit.backward(x, dy, out=out, **call)
        assert dx is out
        assert_poison_outside(storage, case.shape, layout)
    elif mode == "accumulate":
        start = moderate(case.seed + 2, case.shape, case.dtype)
        out, _ = place(start, case.kind, case.out_layout or Layout(len(case.shape)))
        dx = glukit.backward(x, dy, out=out, accumulate=True, **call)
        assert dx is out
        scale = scale + start.double().abs()
        expected = start.double() + expected  # one rounding of the exact sum
    else:
        dx = glukit.backward(x, dy, out=x, **call)
        assert dx is x
    assert_close(dx, expected, BACKWARD_TOLERANCE, "%s %r" % (mode, case), scale=scale,
                 signed_zeros=False)


@given(case=cases(extra_views=3), mode=st.sampled_from(("new", "accumulate", "in_place")))
def test_backward_split_matches_autograd(case, mode):
    values = moderate(case.seed, case.shape, case.dtype)
    v, g = (t.movedim(-1, case.dim).contiguous()
            for t in split(values, case.dim, case.gate, case.layout))
    dy_values = moderate(case.seed + 1, v.shape, case.dtype)
    value, _ = place(v, case.kind, case.x_layout)
    gate, _ = place(g, case.kind, case.extra_layouts[0])
    dy, _ = place(dy_values, case.kind, case.extra_layouts[1])
    dv_expected, dg_expected = backward_split_ref(v, g, dy_values, case.act, case.alpha,
                                                  case.limit)
    call = dict(act=case.act, alpha=case.alpha, limit=case.limit, dtype=case.dtype_hint)
    scale_v = dv_expected.abs()
    scale_g = dg_expected.abs() + cancel_scale(values, dy_values)
    if mode == "new":
        dvalue, dgate = glukit.backward_split(value, gate, dy, **call)
    elif mode == "accumulate":
        start_v = moderate(case.seed + 2, v.shape, case.dtype)
        start_g = moderate(case.seed + 3, v.shape, case.dtype)
        out_v, _ = place(start_v, case.kind, case.extra_layouts[2])
        out_g, _ = place(start_g, case.kind, case.out_layout or Layout(len(v.shape)))
        dvalue, dgate = glukit.backward_split(value, gate, dy, out=(out_v, out_g),
                                              accumulate=True, **call)
        assert dvalue is out_v and dgate is out_g
        scale_v = scale_v + start_v.double().abs()
        scale_g = scale_g + start_g.double().abs()
        dv_expected = start_v.double() + dv_expected
        dg_expected = start_g.double() + dg_expected
    else:
        dvalue, dgate = glukit.backward_split(value, gate, dy, out=(value, gate), **call)
        assert dvalue is value and dgate is gate
    assert_close(dvalue, dv_expected, BACKWARD_TOLERANCE, "dvalue %s %r" % (mode, case),
                 scale=scale_v, signed_zeros=False)
    assert_close(dgate, dg_expected, BACKWARD_TOLERANCE, "dgate %s %r" % (mode, case),
                 scale=scale_g, signed_zeros=False)
