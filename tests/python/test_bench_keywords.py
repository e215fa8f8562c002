"""The num_threads= and isa= keywords of the four calls (bench/torch_compare.py
times glukit through them): they reach the library, results do not depend on
the thread count, and bad values are refused."""
import numpy as np
import pytest

import glukit
from glukit import _lib

ISAS = ("scalar", "avx2", "avx512", "neon")


def supported(isa):
    return bool(_lib.lib().glk_isa_supported(_lib.ISAS[isa]))


def inputs(shape=(64, 2048), seed=3):
    # 64x2048 f32 is 512 KiB of X: above the library's one-thread threshold,
    # so num_threads=2 really splits the work.
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    dy = rng.standard_normal((shape[0], shape[1] // 2)).astype(np.float32)
    return x, dy


@pytest.mark.parametrize("act", ["glu", "swiglu", "geglu"])
def test_threads_do_not_change_results(act):
    x, dy = inputs()
    one = glukit.forward(x, act=act, num_threads=1)
    for n in (2, 3, 0):
        assert np.array_equal(glukit.forward(x, act=act, num_threads=n), one)
    dx_one = glukit.backward(x, dy, act=act, num_threads=1)
    assert np.array_equal(glukit.backward(x, dy, act=act, num_threads=2), dx_one)


@pytest.mark.parametrize("isa", [i for i in ISAS if supported(i)])
def test_every_supported_isa_agrees_with_the_reference(isa):
    x, dy = inputs((8, 256))
    ref = glukit.forward(x, act="swiglu", isa="scalar")
    y = glukit.forward(x, act="swiglu", isa=isa, num_threads=1)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    dref = glukit.backward(x, dy, act="swiglu", isa="scalar")
    dx = glukit.backward(x, dy, act="swiglu", isa=isa, num_threads=1)
    np.testing.assert_allclose(dx, dref, rtol=1e-5, atol=1e-6)


def test_split_forms_take_the_keywords():
    x, dy = inputs((8, 64))
    v, g = np.ascontiguousarray(x[:, :32]), np.ascontiguousarray(x[:, 32:])
    y = glukit.forward_split(v, g, act="geglu", num_threads=2, isa="scalar")
    assert np.array_equal(y, glukit.forward(x, act="geglu", isa="scalar"))
    dv, dg = glukit.backward_split(v, g, dy, act="geglu", num_threads=2, isa="scalar")
    dx = glukit.backward(x, dy, act="geglu", isa="scalar")
    assert np.array_equal(np.concatenate([dv, dg], axis=1), dx)


@pytest.mark.parametrize("isa", [i for i in ISAS if not supported(i)])
def test_an_isa_this_cpu_lacks_is_refused(isa):
    x, _ = inputs((2, 8))
    with pytest.raises(glukit.GlukitError) as info:
        glukit.forward(x, isa=isa)
    assert info.value.status == "GLK_ERR_UNSUPPORTED"


def test_bad_values_are_refused():
    x, dy = inputs((2, 8))
    with pytest.raises(ValueError, match="isa"):
        glukit.forward(x, isa="sse9")
    with pytest.raises(glukit.GlukitValueError, match="num_threads"):
        glukit.backward(x, dy, num_threads=-1)
