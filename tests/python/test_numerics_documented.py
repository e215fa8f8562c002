"""glukit's documented numerics, through the Python package: every row of
the README's numerics table (where glukit and PyTorch may differ, the
table's glukit value is asserted, bit for bit), and the rules behind it
across all dtypes."""
import math
import os
import re

import pytest
import torch
import torch.nn.functional as F

import glukit
from glukit_testlib import (ACTS, DTYPES, FORWARD_TOLERANCE, SATURATING, assert_close,
                            ordered)

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
TORCH_DTYPE = {"f32": torch.float32, "f64": torch.float64, "f16": torch.float16,
               "bf16": torch.bfloat16}


def readme_rows():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    table = re.search(r"<!-- numerics:begin -->(.*?)<!-- numerics:end -->", text, re.S)
    assert table, "README.md has no numerics table"
    rows = []
    for line in table.group(1).strip().splitlines()[2:]:  # after header, rule
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append(cells)
    assert rows
    return rows


def same_bits(a, b):
    """Equal including the sign of zero; any NaN equals any NaN."""
    if math.isnan(a.item()) or math.isnan(b.item()):
        return math.isnan(a.item()) and math.isnan(b.item())
    return int(ordered(a.reshape(1))) == int(ordered(b.reshape(1)))


@pytest.mark.parametrize("row", readme_rows(), ids=lambda r: "-".join(r[:5]))
def test_readme_numerics_row(row):
    variant, dtype_name, quantity, v, g, documented = row[:6]
    dtype = TORCH_DTYPE[dtype_name]
    x = torch.tensor([float(v), float(g)], dtype=torch.float64).to(dtype)
    if quantity == "y":
        got = glukit.forward(x, act=variant)[0]
    else:  # gradients with dy = 1
        dx = glukit.backward(x, torch.ones(1, dtype=dtype), act=variant)
        got = dx[0] if quantity == "dv" else dx[1]
    want = torch.tensor(float(documented), dtype=torch.float64).to(dtype)
    # As in tests/test_numerics.c: on the reference kernels every row holds bit
    # for bit; the SIMD kernels must give NaN, infinities and signed zeros
    # exactly and other values within their documented bound.
    special = not math.isfinite(want.item()) or want.item() == 0
    if special or glukit.default_isa() == "scalar":
        assert same_bits(got, want), "%s: got %r, README says %s" % (row, got.item(), documented)
    else:
        assert_close(got.reshape(1), want.double().reshape(1), FORWARD_TOLERANCE, str(row))


def fused(v, g, dtype):
    return torch.tensor([[v, g]], dtype=torch.float64).to(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("act", ACTS)
def test_nan_in_nan_out(act, dtype):
    for v, g in ((math.nan, 1.0), (1.0, math.nan), (math.nan, math.nan)):
        assert math.isnan(glukit.forward(fused(v, g, dtype), act=act).item())


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("act", SATURATING)
def test_limit_at_minus_infinity_is_minus_zero(act, dtype):
    # PyTorch computes -inf * 0 here and returns NaN (F.silu(-inf) is NaN).
    y = glukit.forward(fused(1.0, -math.inf, dtype), act=act)
    assert y.item() == 0 and math.copysign(1, y.item()) == -1


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("act", ["swiglu", "geglu", "geglu_tanh", "geglu_quick"])
def test_limit_at_plus_infinity_is_plus_infinity(act, dtype):
    assert glukit.forward(fused(1.0, math.inf, dtype), act=act).item() == math.inf


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_zero_times_infinity_is_nan(dtype):
    assert math.isnan(glukit.forward(fused(math.inf, -math.inf, dtype), act="swiglu").item())
    assert math.isnan(glukit.forward(fused(math.inf, -1.0, dtype), act="reglu").item())


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("act", ["glu", "swiglu", "geglu", "geglu_tanh", "geglu_quick"])
def test_infinity_times_an_underflowed_activation_is_infinite(act, dtype):
    # act(g) in its deep tail underflows even the working precision, but it
    # is not 0: v = +-inf gives +-inf with act's sign, and so do dy = inf
    # (dv) and v = inf (dg, act' < 0 there, > 0 for glu). PyTorch: NaN.
    g = -1e4 if dtype == torch.float64 else -800.0
    sign = 1 if act == "glu" else -1
    for v in (math.inf, -math.inf):
        y = glukit.forward(fused(v, g, dtype), act=act).item()
        assert y == sign * v, (v, y)
    dx = glukit.backward(fused(math.inf, g, dtype), torch.full((1, 1), math.inf, dtype=dtype),
                         act=act)
    assert dx[0, 0].item() == sign * math.inf
    assert dx[0, 1].item() == (math.inf if act == "glu" else -math.inf)
    # a finite v still gives the exact product's signed zero
    y = glukit.forward(fused(2.0, g, dtype), act=act).item()
    assert y == 0 and math.copysign(1, y) == sign


def test_pytorch_differs_where_documented():
    # The reason the rows above exist: PyTorch 1.13 gives NaN at -inf.
    if not math.isnan(F.silu(torch.tensor(-math.inf)).item()):
        pytest.skip("this PyTorch already takes the limit")
    assert glukit.forward(torch.tensor([1.0, -math.inf]), act="swiglu").item() == 0


def test_deep_tail_not_flushed():
    y = glukit.forward(torch.tensor([1.0, -95.0]), act="swiglu")
    assert y.item() == pytest.approx(-95 * math.exp(-95), rel=1e-6)
    assert 0 < -y.item() < torch.finfo(torch.float32).tiny  # a subnormal


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_relu_keeps_signed_zero_and_has_zero_slope_at_zero(dtype):
    for g, sign in ((-0.0, -1), (0.0, 1), (-3.0, 1)):
        y = glukit.forward(fused(1.0, g, dtype), act="reglu").item()
        assert y == 0 and math.copysign(1, y) == sign
    dx = glukit.backward(fused(2.0, 0.0, dtype), torch.ones(1, 1, dtype=dtype), act="reglu")
    assert dx[0, 1].item() == 0


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_swiglu_oai_clamp_gradients_inclusive(dtype):
    limit = 7.0
    x = torch.tensor([[limit, limit], [-limit, 1.0], [8.0, 8.0], [1.0, math.nan]],
                     dtype=torch.float64).to(dtype)
    dx = glukit.backward(x, torch.ones(4, 1, dtype=dtype), act="swiglu_oai", limit=limit)
    assert dx[0, 0] != 0 and dx[0, 1] != 0  # v = L, g = L: gradient passes
    assert dx[1, 0] != 0  # v = -L
    assert dx[2, 0] == 0 and dx[2, 1] == 0  # beyond the clamps
    assert math.isnan(dx[3, 1].item())  # NaN gate, NaN gradient


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_swiglu_oai_nan_value_gives_nan_value_gradient(dtype):
    x = torch.tensor([[math.nan, 1.0]], dtype=dtype)
    dx = glukit.backward(x, torch.ones(1, 1, dtype=dtype), act="swiglu_oai")
    assert math.isnan(dx[0, 0].item())
