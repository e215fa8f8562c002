"""glukit.torch: the autograd Function (gradcheck in f64), the GLU module,
and a small GLU MLP trained with torch.optim."""
import pytest
import torch

import glukit
import glukit.torch as gt
from glukit_testlib import ACTS, GRADCHECK, backward_ref, forward_ref


def smooth_input(shape, seed, act, limit=7.0):
    """Random f64 input kept away from the kinks (reglu at 0, the clamps
    of swiglu_oai), where finite differences do not apply."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64) * 2
    if act == "reglu":
        x = torch.where(x.abs() < 0.05, x + 0.1, x)
    if act == "swiglu_oai":
        near = (x.abs() - limit).abs() < 0.05
        x = torch.where(near, x * 0.9, x)
    return x.requires_grad_(True)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("gate, layout, dim", [("second", "halves", -1),
                                               ("first", "interleaved", 0)])
def test_gradcheck(act, gate, layout, dim):
    limit = 1.5 if act == "swiglu_oai" else 7.0  # so the clamps are exercised
    x = smooth_input((4, 6), 7, act, limit)
    fn = lambda t: gt.glu(t, act, dim, gate, layout, 1.702, limit)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x,), **GRADCHECK)


@pytest.mark.parametrize("act", ACTS)
def test_autograd_matches_the_float64_formula(act):
    x = smooth_input((3, 5, 8), 3, act).detach().float().requires_grad_(True)
    dy = torch.randn(3, 5, 4)
    y = gt.GLU(act=act)(x)
    y.backward(dy)
    assert torch.allclose(y.double(), forward_ref(x.detach(), act=act), rtol=1e-6, atol=1e-7)
    assert torch.allclose(x.grad.double(), backward_ref(x.detach(), dy, act=act),
                          rtol=1e-5, atol=1e-6)


def test_no_second_derivative():
    # The library has first-order kernels only; asking for more fails loudly.
    x = smooth_input((2, 4), 1, "swiglu")
    (dx,) = torch.autograd.grad(gt.glu(x, "swiglu").sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):
        dx.sum().backward()


def test_module_on_non_contiguous_input_and_bfloat16():
    layer = gt.GLU(act="geglu_tanh", dim=0)
    x = torch.randn(5, 8).t()  # dim 0 has size 8
    assert torch.equal(layer(x), glukit.forward(x, act="geglu_tanh", dim=0))
    xb = torch.randn(4, 6, dtype=torch.bfloat16, requires_grad=True)
    gt.GLU(act="swiglu")(xb).sum().backward()
    assert xb.grad.dtype == torch.bfloat16 and xb.grad.shape == xb.shape
    assert "act='geglu_tanh', dim=0" in repr(layer)
    assert list(layer.parameters()) == []


def test_training_loop_reduces_the_loss():
    torch.manual_seed(0)
    inputs = torch.randn(512, 8)
    targets = torch.sin(inputs @ torch.randn(8, 1)) + 0.5 * inputs[:, :1] ** 2
    model = torch.nn.Sequential(torch.nn.Linear(8, 64), gt.GLU(act="swiglu"),
                                torch.nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(400):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0], (losses[0], losses[-1])
