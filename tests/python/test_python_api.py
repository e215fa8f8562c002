"""The package's contract: zero-copy views of any strides, out= written in
place, the caller's kind returned, bfloat16 both ways, threads."""
import ctypes
import threading

import numpy as np
import pytest
import torch

import glukit
from glukit import _views
from glukit_testlib import to_numpy


def test_version_matches_the_library():
    assert glukit.version() == glukit.__version__
    assert set(glukit.ACTS) == {"glu", "swiglu", "geglu", "geglu_tanh", "geglu_quick",
                                "reglu", "bilinear", "swiglu_oai"}


def test_numpy_views_are_described_without_copies():
    base = np.arange(96, dtype=np.float32).reshape(4, 24)
    view = base[::-2, 1::3]  # negative and stepped strides, offset start
    t = _views.describe(view)
    assert t.data == view.__array_interface__["data"][0]
    assert list(t.strides[:2]) == [-48, 3]
    assert list(t.shape[:2]) == [2, 8]


def test_torch_views_are_described_without_copies():
    base = torch.arange(96, dtype=torch.float64).reshape(4, 24)
    view = base.t()[1::3]  # transposed and stepped, one element in
    t = _views.describe(view)
    assert t.data == view.data_ptr() == base.data_ptr() + 8 * view.storage_offset()
    assert list(t.strides[:2]) == list(view.stride())


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_out_is_written_in_place_through_a_strided_view(kind):
    x = np.random.default_rng(1).standard_normal((6, 8)).astype(np.float32)
    big = np.full((8, 12), 99.0, np.float32)
    if kind == "torch":
        x, big = torch.from_numpy(x), torch.from_numpy(big)
    out = big[1:7, ::3]  # 6 x 4, non-contiguous
    y = glukit.forward(x, act="swiglu", out=out)
    assert y is out
    expected = glukit.forward(x, act="swiglu")
    assert np.array_equal(np.asarray(big[1:7, ::3]), np.asarray(expected))
    untouched = np.asarray(big).copy()
    untouched[1:7, ::3] = 99.0
    assert (untouched == 99.0).all()


def test_returns_the_kind_it_was_given():
    assert isinstance(glukit.forward(np.ones((2, 4), np.float16)), np.ndarray)
    y = glukit.forward(torch.ones(2, 4, dtype=torch.bfloat16))
    assert isinstance(y, torch.Tensor) and y.dtype == torch.bfloat16
    dv, dg = glukit.backward_split(np.ones(3), np.ones(3), np.ones(3))
    assert isinstance(dv, np.ndarray) and isinstance(dg, np.ndarray)


def test_numpy_uint16_is_bfloat16_with_dtype_hint():
    x = torch.randn(3, 10).to(torch.bfloat16)
    bits = to_numpy(x)
    assert bits.dtype == np.uint16
    y_bits = glukit.forward(bits, act="geglu", dtype="bf16")
    assert y_bits.dtype == np.uint16
    y = glukit.forward(x, act="geglu")
    assert np.array_equal(y_bits, to_numpy(y))


def test_requires_grad_input_is_accepted_outside_autograd():
    x = torch.randn(2, 6, requires_grad=True)
    y = glukit.forward(x, act="swiglu")
    assert y.grad_fn is None and not y.requires_grad


def test_broadcast_dy_with_zero_strides():
    x = torch.randn(5, 8)
    dy = torch.ones(()).expand(5, 4)  # what sum().backward() sends
    assert dy.stride() == (0, 0)
    assert torch.equal(glukit.backward(x, dy, act="geglu_tanh"),
                       glukit.backward(x, torch.ones(5, 4), act="geglu_tanh"))


def test_empty_tensors():
    for x in (np.ones((0, 4), np.float32), torch.ones(3, 0, 4), torch.ones(0)):
        y = glukit.forward(x)
        assert tuple(y.shape) == tuple(x.shape[:-1]) + (x.shape[-1] // 2,)
        assert tuple(glukit.backward(x, y).shape) == tuple(x.shape)


def test_split_form_matches_the_fused_form():
    x = torch.randn(4, 10, dtype=torch.float64)
    y = glukit.forward(x, act="geglu_quick", gate="first", layout="interleaved")
    y_split = glukit.forward_split(x[:, 1::2], x[:, 0::2], act="geglu_quick")
    assert torch.equal(y, y_split)


def test_concurrent_calls_from_threads():
    xs = [torch.randn(64, 128, dtype=torch.float64) for _ in range(4)]
    expected = [glukit.forward(x, act="geglu") for x in xs]
    failures = []

    def worker(i):
        for _ in range(50):
            if not torch.equal(glukit.forward(xs[i], act="geglu"), expected[i]):
                failures.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_options_struct_mirrors_the_header():
    # glk_options: size_t, 4 enums/int32, int32, 2 doubles, then (since 0.2)
    # an enum and an int32 = 56 bytes on LP64.
    assert ctypes.sizeof(glukit._lib.GlkOptions) == 56
    assert ctypes.sizeof(glukit._lib.GlkTensor) == 8 + 4 + 4 + 8 * 8 * 2
    options = glukit._lib.make_options()
    assert options.struct_size == 56 and options.alpha == 1.702 and options.limit == 7.0
    assert options.dim == -1 and options.act == 0
