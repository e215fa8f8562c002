"""Every status code of the core, and every argument problem caught in
Python, raises the right exception with a message that names it."""
import ctypes
import math
import threading

import numpy as np
import pytest
import torch

import glukit
from glukit import _lib


def raises(exc, status, fn, match=None):
    with pytest.raises(exc, match=match) as info:
        fn()
    assert isinstance(info.value, glukit.GlukitError)
    assert info.value.status == status
    assert str(info.value)  # the library's message, never empty
    return info.value


X = torch.randn(4, 8)


def test_null_pointer_is_value_error():
    # Unreachable through the Python API; checked on the raw call.
    raises(ValueError, "GLK_ERR_NULL_POINTER",
           lambda: _lib.check(_lib.lib().glk_forward(None, None, None)), "NULL")


@pytest.mark.parametrize("kwargs, match", [
    (dict(act="nope"), "nope"),
    (dict(act="swiglu_oai", limit=-1.0), "limit"),
    (dict(act="swiglu_oai", limit=math.nan), "limit"),
    (dict(act="swiglu_oai", alpha=math.nan), "alpha"),
])
def test_invalid_argument_is_value_error(kwargs, match):
    raises(ValueError, "GLK_ERR_INVALID_ARGUMENT", lambda: glukit.forward(X, **kwargs), match)


def test_rank():
    raises(ValueError, "GLK_ERR_RANK", lambda: glukit.forward(np.ones((), np.float32)))
    raises(ValueError, "GLK_ERR_RANK", lambda: glukit.forward(torch.tensor(1.0)))
    nine = np.zeros((1,) * 8 + (2,), np.float32)
    raises(ValueError, "GLK_ERR_RANK", lambda: glukit.forward(nine), "9")


def test_axis():
    raises(ValueError, "GLK_ERR_AXIS", lambda: glukit.forward(X, dim=2), "dim = 2")
    raises(ValueError, "GLK_ERR_AXIS", lambda: glukit.forward(X, dim=-3), "-3")
    raises(ValueError, "GLK_ERR_AXIS", lambda: glukit.backward(X, X[:, :4], dim=5))


def test_odd_split():
    raises(ValueError, "GLK_ERR_ODD_SPLIT", lambda: glukit.forward(X[:, :7]), "7")
    raises(ValueError, "GLK_ERR_ODD_SPLIT", lambda: glukit.forward(X[:3], dim=0), "3")


def test_shape_mismatch():
    raises(ValueError, "GLK_ERR_SHAPE_MISMATCH",
           lambda: glukit.forward(X, out=torch.empty(4, 3)))
    raises(ValueError, "GLK_ERR_SHAPE_MISMATCH",
           lambda: glukit.backward(X, torch.ones(4, 5)))
    raises(ValueError, "GLK_ERR_SHAPE_MISMATCH",
           lambda: glukit.forward_split(X, torch.ones(4, 6)))
    raises(ValueError, "GLK_ERR_SHAPE_MISMATCH",
           lambda: glukit.backward(X, torch.ones(4, 4), out=torch.empty(4, 4)))


def test_dtype_mismatch_is_type_error():
    raises(TypeError, "GLK_ERR_DTYPE_MISMATCH",
           lambda: glukit.forward(X, out=torch.empty(4, 4, dtype=torch.float64)), "f64")
    raises(TypeError, "GLK_ERR_DTYPE_MISMATCH",
           lambda: glukit.backward(X, torch.ones(4, 4, dtype=torch.float16)))
    raises(TypeError, "GLK_ERR_DTYPE_MISMATCH",
           lambda: glukit.forward_split(X, X.double()))


def test_overflow():
    # 2^62 elements through zero strides: no memory, but a byte count that
    # overflows 64 bits.
    x = torch.empty(1).expand(2**30, 2**30, 4)
    out = torch.empty(1).expand(2**30, 2**30, 2)
    raises(ValueError, "GLK_ERR_OVERFLOW", lambda: glukit.forward(x, out=out), "overflow")


def test_overlap():
    x = torch.randn(4, 8)
    raises(ValueError, "GLK_ERR_OVERLAP", lambda: glukit.forward(x, out=x[:, :4]), "overlap")
    dy = torch.randn(4, 8)
    raises(ValueError, "GLK_ERR_OVERLAP",
           lambda: glukit.backward(x, dy[:, :4], out=dy))
    # dX one element off x: overlapping, but not the same view (in place).
    storage = torch.randn(33)
    shifted = (storage[:32].view(4, 8), storage[1:].view(4, 8))
    raises(ValueError, "GLK_ERR_OVERLAP",
           lambda: glukit.backward(shifted[0], dy[:, :4], out=shifted[1]))
    # An output that overlaps itself (zero stride).
    raises(ValueError, "GLK_ERR_OVERLAP",
           lambda: glukit.forward(x, out=torch.empty(1).expand(4, 4)), "share memory")


def test_in_place_backward_is_not_an_overlap():
    x = torch.randn(4, 8)
    dx = glukit.backward(x.clone(), torch.ones(4, 4))
    assert torch.equal(glukit.backward(x, torch.ones(4, 4), out=x), dx)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: glukit.forward([1.0, 2.0]), TypeError, "numpy.ndarray or a torch.Tensor"),
    (lambda: glukit.forward(np.ones(4, np.int32)), TypeError, "int32"),
    (lambda: glukit.forward(torch.ones(4, dtype=torch.int64)), TypeError, "int64"),
    (lambda: glukit.forward(np.ones(4, np.uint16)), TypeError, "bf16"),
    (lambda: glukit.forward(np.ones(4, ">f4")), TypeError, "byte order"),
    (lambda: glukit.forward(np.ones(4, np.float32), dtype="f64"), TypeError, "f32"),
    (lambda: glukit.forward(np.ones(4, np.float32), dtype="f128"), ValueError, "dtype"),
    (lambda: glukit.forward(torch.ones(4).to_sparse()), TypeError, "layout"),
    (lambda: glukit.forward(X, layout="pairs"), ValueError, "layout"),
    (lambda: glukit.forward(X, gate="middle"), ValueError, "gate"),
    (lambda: glukit.forward(X, act=3), TypeError, "act"),
    (lambda: glukit.backward(X, X[:, :4], accumulate=True), ValueError, "out"),
    (lambda: glukit.backward_split(X, X, X, out=X), TypeError, "pair"),
])
def test_python_side_argument_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_stride_not_a_multiple_of_the_item_size():
    raw = np.zeros(64, np.uint8)
    odd = np.ndarray((4,), np.float32, raw.data, offset=0, strides=(6,))
    with pytest.raises(ValueError, match="multiple of its item size"):
        glukit.forward(odd)


def test_misaligned_array():
    raw = np.zeros(65, np.uint8)
    shifted = np.frombuffer(raw.data, np.float32, count=16, offset=1)
    with pytest.raises(ValueError, match="aligned"):
        glukit.forward(shifted)


def test_read_only_out():
    out = np.zeros((4, 4), np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        glukit.forward(np.ones((4, 8), np.float32), out=out)


def test_last_error_belongs_to_the_failing_thread():
    # Each thread fails with its own odd size and must see its own message.
    errors = {}

    def worker(size):
        x = np.ones((2, size), np.float32)
        for _ in range(200):
            try:
                glukit.forward(x)
            except ValueError as e:
                if str(size) not in str(e):
                    errors[size] = str(e)
                    return

    threads = [threading.Thread(target=worker, args=(n,)) for n in (3, 5, 7, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_missing_library_is_reported(tmp_path):
    import subprocess
    import sys
    import os
    env = dict(os.environ, GLUKIT_LIBRARY=str(tmp_path / "libnothere.so"))
    code = "import glukit, numpy; glukit.forward(numpy.ones(2))"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True)
    assert run.returncode != 0
    assert "GLUKIT_LIBRARY" in run.stderr and "libnothere.so" in run.stderr


def test_per_call_checks_hold_after_the_description_is_cached():
    # Each bad call follows a good one with the same dtype, shape and
    # strides, so its description comes from the cache in glukit._views.
    x = np.ones((4, 8), np.float32)
    out = np.zeros((4, 4), np.float32)
    glukit.forward(x, out=out)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        glukit.forward(x, out=out)
    raw = np.zeros(4 * 16 + 1, np.uint8)
    glukit.forward(np.frombuffer(raw.data, np.float32, count=16, offset=0))
    with pytest.raises(ValueError, match="aligned"):
        glukit.forward(np.frombuffer(raw.data, np.float32, count=16, offset=1))
    bits = np.zeros((2, 6), np.uint16)
    glukit.forward(bits, dtype="bf16")
    with pytest.raises(TypeError, match="bfloat16 only with dtype='bf16'"):
        glukit.forward(bits)
    t = torch.ones(2, 6)
    glukit.forward(t)
    with pytest.raises(TypeError, match="requested dtype 'f64'"):
        glukit.forward(t, dtype="f64")


def test_description_cache_is_bounded_and_per_address():
    from glukit import _views
    for n in range(1, _views._CACHE_LIMIT + 50):
        _views.describe(np.empty((1, 2 * n), np.float32))
    assert len(_views._templates) <= _views._CACHE_LIMIT
    # Same key, different buffers: each call writes its own out.
    xs = [torch.randn(3, 8) for _ in range(3)]
    outs = [torch.full((3, 4), float("nan")) for _ in range(3)]
    for x, out in zip(xs, outs):
        glukit.forward(x, act="swiglu", out=out)
    for x, out in zip(xs, outs):
        v, g = x.double().chunk(2, dim=-1)
        assert torch.allclose(out.double(), v * g * torch.sigmoid(g), rtol=1e-6, atol=0)
