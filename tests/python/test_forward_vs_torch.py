"""glukit.forward against PyTorch: F.glu for glu, the float64 formula
rounded once for the others, on random shapes, axes and strided views."""
import torch
from hypothesis import given

import glukit
from glukit_strategies import cases
from glukit_testlib import (FORWARD_TOLERANCE, assert_close, assert_poison_outside,
                            empty_view, f64_range_limited, forward_ref,
                            forward_split_ref, ordered, place, random_values, split,
                            to_torch)


@given(case=cases())
def test_forward_matches_reference(case):
    values = random_values(case.seed, case.shape, case.dtype)
    x, _ = place(values, case.kind, case.x_layout)
    if case.out_layout is None:
        y = glukit.forward(x, **case.config, dtype=case.dtype_hint)
    else:
        out, storage = empty_view(case.y_shape, case.dtype, case.kind, case.out_layout)
        y = glukit.forward(x, **case.config, out=out, dtype=case.dtype_hint)
        assert y is out
        assert_poison_outside(storage, case.y_shape, case.out_layout)
    assert type(y) is type(x)
    assert tuple(y.shape) == case.y_shape
    assert torch.equal(ordered(to_torch(x)), ordered(values)), "x was modified"
    ignore = f64_range_limited(values, **case.config) if case.dtype == torch.float64 else None
    assert_close(y, forward_ref(values, **case.config), FORWARD_TOLERANCE, repr(case),
                 ignore=ignore)


@given(case=cases())
def test_forward_split_matches_reference(case):
    values = random_values(case.seed, case.shape, case.dtype)
    # Value and gate: the two members of x, as separate tensors in their own
    # strided views.
    v, g = (t.movedim(-1, case.dim).contiguous()
            for t in split(values, case.dim, case.gate, case.layout))
    value, _ = place(v, case.kind, case.x_layout)
    gate, _ = place(g, case.kind, case.out_layout or case.x_layout)
    y = glukit.forward_split(value, gate, act=case.act, alpha=case.alpha,
                             limit=case.limit, dtype=case.dtype_hint)
    assert type(y) is type(value)
    ignore = f64_range_limited(values, **case.config) if case.dtype == torch.float64 else None
    expected = forward_split_ref(v, g, case.act, case.alpha, case.limit)
    assert_close(y, expected, FORWARD_TOLERANCE, repr(case), ignore=ignore)
