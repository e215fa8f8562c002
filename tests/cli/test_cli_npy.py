"""The glukit command end to end on .npy files written by NumPy: results
bit-equal to the Python package (same library), every file flavour the
reader takes, and every bad input with its one-line message, its exit
status, and no output file left behind."""
import os
import subprocess

import numpy as np
import pytest
import torch

import glukit

ACTS = ("glu", "swiglu", "geglu", "geglu_tanh", "geglu_quick", "reglu", "bilinear",
        "swiglu_oai")


def run(cli, *args, cwd=None):
    return subprocess.run([cli, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def data(shape=(3, 8), dtype=np.float32, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype(dtype)


def save(path, array, version=None):
    with open(path, "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)
    return path


def check_failure(result, status, *words):
    assert result.returncode == status, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert result.stdout == ""


@pytest.mark.parametrize("act", ACTS)
def test_forward_and_backward_every_variant(glukit_cli, tmp_path, act):
    x, dy = data(), data((3, 4), seed=1)
    save(tmp_path / "x.npy", x)
    save(tmp_path / "dy.npy", dy)
    r = run(glukit_cli, "forward", "--act", act, tmp_path / "x.npy", tmp_path / "y.npy")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(tmp_path / "y.npy"), glukit.forward(x, act=act))
    r = run(glukit_cli, "backward", "--act=" + act, tmp_path / "x.npy", tmp_path / "dy.npy",
            tmp_path / "dx.npy")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(tmp_path / "dx.npy"), glukit.backward(x, dy, act=act))


@pytest.mark.parametrize("options, kwargs", [
    (["--dim", "0"], dict(dim=0)),
    (["--dim", "-2", "--gate", "first"], dict(dim=-2, gate="first")),
    (["--layout", "interleaved", "--gate", "first"], dict(layout="interleaved", gate="first")),
    (["--act", "swiglu_oai", "--alpha", "1.25", "--limit", "2.5"],
     dict(act="swiglu_oai", alpha=1.25, limit=2.5)),
])
def test_options(glukit_cli, tmp_path, options, kwargs):
    x = data((4, 6, 8))
    save(tmp_path / "x.npy", x)
    r = run(glukit_cli, "forward", *options, tmp_path / "x.npy", tmp_path / "y.npy")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(tmp_path / "y.npy"), glukit.forward(x, **kwargs))


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
@pytest.mark.parametrize("dtype", ["<f4", ">f4", "<f8", ">f8", "<f2", ">f2"])
@pytest.mark.parametrize("fortran", [False, True])
def test_file_flavours(glukit_cli, tmp_path, version, dtype, fortran):
    native = data((4, 3, 6), np.dtype(dtype).newbyteorder("="))
    x = native.astype(dtype)
    if fortran:
        x = np.asfortranarray(x)
    save(tmp_path / "x.npy", x, version)
    r = run(glukit_cli, "forward", "--act", "geglu", tmp_path / "x.npy", tmp_path / "y.npy")
    assert r.returncode == 0, r.stderr
    y = np.load(tmp_path / "y.npy")
    assert y.dtype == np.dtype(dtype)  # the input's dtype, byte order included
    assert y.flags.c_contiguous and not y.flags.f_contiguous
    with open(tmp_path / "y.npy", "rb") as f:
        assert b"'fortran_order': False" in f.read(128)
    assert np.array_equal(y, glukit.forward(native, act="geglu"))


@pytest.mark.parametrize("descr", ["<u2", ">u2", "V2"])
def test_bfloat16_as_words(glukit_cli, tmp_path, descr):
    xb = torch.randn(4, 8).to(torch.bfloat16)
    bits = xb.view(torch.int16).numpy().view(np.uint16)
    stored = bits.astype(descr) if descr != "V2" else bits.view("V2")
    save(tmp_path / "x.npy", stored)
    save(tmp_path / "dy.npy", np.ones((4, 4), np.uint16).astype(descr) if descr != "V2"
         else torch.ones(4, 4, dtype=torch.bfloat16).view(torch.int16).numpy().view("V2"))
    r = run(glukit_cli, "forward", "--act", "swiglu", "--dtype", "bf16", tmp_path / "x.npy",
            tmp_path / "y.npy")
    assert r.returncode == 0, r.stderr
    y = np.load(tmp_path / "y.npy")
    assert y.dtype == stored.dtype
    y_bits = y.view(np.uint16) if descr == "V2" else y.astype(np.uint16)
    expected = glukit.forward(xb, act="swiglu").view(torch.int16).numpy().view(np.uint16)
    assert np.array_equal(y_bits, expected)
    if descr != "V2":
        r = run(glukit_cli, "backward", "--act", "swiglu", "--dtype", "bf16",
                tmp_path / "x.npy", tmp_path / "dy.npy", tmp_path / "dx.npy")
        assert r.returncode == 0, r.stderr


def test_backward_accumulate_adds_into_existing_dx(glukit_cli, tmp_path):
    x, dy, start = data((2, 8)), data((2, 4), seed=1), data((2, 8), seed=2)
    for name, array in (("x", x), ("dy", dy), ("dx", start)):
        save(tmp_path / (name + ".npy"), array)
    r = run(glukit_cli, "backward", "--act", "geglu", "--accumulate", tmp_path / "x.npy",
            tmp_path / "dy.npy", tmp_path / "dx.npy")
    assert r.returncode == 0, r.stderr
    expected = glukit.backward(x, dy, act="geglu", out=start.copy(), accumulate=True)
    assert np.array_equal(np.load(tmp_path / "dx.npy"), expected)


def test_backward_in_place_over_x(glukit_cli, tmp_path):
    x, dy = data((2, 8)), data((2, 4), seed=1)
    save(tmp_path / "x.npy", x)
    save(tmp_path / "dy.npy", dy)
    r = run(glukit_cli, "backward", tmp_path / "x.npy", tmp_path / "dy.npy", tmp_path / "x.npy")
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(tmp_path / "x.npy"), glukit.backward(x, dy))


def test_help_version_demo(glukit_cli):
    for command in ("forward", "backward", "demo"):
        r = run(glukit_cli, command, "--help")
        assert r.returncode == 0 and r.stdout.startswith("usage: glukit " + command)
    assert "--accumulate" in run(glukit_cli, "backward", "--help").stdout
    r = run(glukit_cli, "--version")
    assert r.returncode == 0 and r.stdout.strip() == "glukit " + glukit.version()
    r = run(glukit_cli, "demo")
    assert r.returncode == 0, r.stdout
    lines = r.stdout.strip().splitlines()
    assert len(lines) <= 15
    for act in ACTS:
        assert any(line.startswith(act + " ") and line.endswith("pass") for line in lines)


def npy_bytes(header, payload=b"", version=1):
    """A hand-made .npy file with the given header dict text."""
    header = header + " " * ((64 - (len(header) + 11) % 64) % 64) + "\n"
    size = len(header).to_bytes(2 if version == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode("latin1") + payload


GOOD = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }"
BAD_FILES = {
    "bad magic": (b"NOTNUMPY" + b"\0" * 100, "bad magic"),
    "truncated header": (npy_bytes(GOOD, bytes(32))[:40], "truncated header"),
    "truncated data": (npy_bytes(GOOD, bytes(31)), "truncated data"),
    "trailing bytes": (npy_bytes(GOOD, bytes(33)), "after the data"),
    "bad version": (npy_bytes(GOOD, bytes(32)).replace(b"NUMPY\x01", b"NUMPY\x09", 1),
                    "version"),
    "not a dict": (npy_bytes("['descr', '<f4']", bytes(32)), "not a dict"),
    "missing key": (npy_bytes("{'descr': '<f4', 'shape': (2, 4)}", bytes(32)), "fortran_order"),
    "unknown key": (npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), "
                              "'extra': 1}", bytes(32)), "extra"),
    "bad shape": (npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -4)}",
                            bytes(32)), "shape"),
    "huge shape": (npy_bytes("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (99999999999999999999, 4)}"), "too large"),
    "overflowing shape": (npy_bytes("{'descr': '<f4', 'fortran_order': False, "
                                    "'shape': (4294967296, 4294967296, 4)}"), "overflow"),
    "int dtype": (npy_bytes(GOOD.replace("<f4", "<i4"), bytes(32)), "<i4"),
    "structured dtype": (npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, "
                                   "'shape': (2,)}", bytes(8)), "structured"),
    "odd split": (npy_bytes(GOOD.replace("(2, 4)", "(2, 3)"), bytes(24)), "odd"),
    "0-d": (npy_bytes(GOOD.replace("(2, 4)", "()"), bytes(4)), "rank"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_input_file(glukit_cli, tmp_path, name):
    content, words = BAD_FILES[name]
    (tmp_path / "x.npy").write_bytes(content)
    before = sorted(os.listdir(tmp_path))
    r = run(glukit_cli, "forward", tmp_path / "x.npy", tmp_path / "y.npy")
    check_failure(r, 1, "x.npy" if name not in ("odd split", ) else "", words)
    assert sorted(os.listdir(tmp_path)) == before  # no output, no temporary file


def test_u2_without_dtype_and_float_with_bf16(glukit_cli, tmp_path):
    save(tmp_path / "w.npy", np.ones((2, 4), np.uint16))
    save(tmp_path / "f.npy", np.ones((2, 4), np.float32))
    check_failure(run(glukit_cli, "forward", tmp_path / "w.npy", tmp_path / "y.npy"), 1,
                  "--dtype bf16")
    check_failure(run(glukit_cli, "forward", "--dtype", "bf16", tmp_path / "f.npy",
                      tmp_path / "y.npy"), 1, "u2 or V2")
    assert not (tmp_path / "y.npy").exists()


def test_missing_and_unreadable_files(glukit_cli, tmp_path):
    check_failure(run(glukit_cli, "forward", tmp_path / "nope.npy", tmp_path / "y.npy"), 1,
                  "nope.npy", "No such file")
    check_failure(run(glukit_cli, "forward", tmp_path, tmp_path / "y.npy"), 1,
                  "not a regular file")
    save(tmp_path / "x.npy", data())
    check_failure(run(glukit_cli, "forward", tmp_path / "x.npy", tmp_path / "no" / "y.npy"),
                  1, "y.npy")
    assert not (tmp_path / "y.npy").exists()


def test_dy_shape_mismatch_and_accumulate_without_dx(glukit_cli, tmp_path):
    save(tmp_path / "x.npy", data((3, 8)))
    save(tmp_path / "dy.npy", data((3, 5)))
    save(tmp_path / "dy_ok.npy", data((3, 4)))
    check_failure(run(glukit_cli, "backward", tmp_path / "x.npy", tmp_path / "dy.npy",
                      tmp_path / "dx.npy"), 1, "dy")
    check_failure(run(glukit_cli, "backward", "--accumulate", tmp_path / "x.npy",
                      tmp_path / "dy_ok.npy", tmp_path / "dx.npy"), 1, "dx.npy", "--accumulate")
    save(tmp_path / "dx.npy", data((3, 6)))
    check_failure(run(glukit_cli, "backward", "--accumulate", tmp_path / "x.npy",
                      tmp_path / "dy_ok.npy", tmp_path / "dx.npy"), 1)
    assert np.load(tmp_path / "dx.npy").shape == (3, 6)  # left as it was
    assert not (tmp_path / "dx.npy.tmp").exists()


def test_existing_output_survives_a_failure(glukit_cli, tmp_path):
    save(tmp_path / "x.npy", data((3, 7)))  # odd split
    (tmp_path / "y.npy").write_bytes(b"precious")
    check_failure(run(glukit_cli, "forward", tmp_path / "x.npy", tmp_path / "y.npy"), 1, "odd")
    assert (tmp_path / "y.npy").read_bytes() == b"precious"


@pytest.mark.parametrize("args, words", [
    ([], "usage"),
    (["frobnicate"], "unknown command"),
    (["forward", "--bogus", "x.npy", "y.npy"], "--bogus"),
    (["forward", "--act", "relu6", "x.npy", "y.npy"], "relu6"),
    (["forward", "--act"], "needs a value"),
    (["forward", "--dim", "two", "x.npy", "y.npy"], "--dim"),
    (["forward", "--gate", "third", "x.npy", "y.npy"], "--gate"),
    (["forward", "--layout", "pairs", "x.npy", "y.npy"], "--layout"),
    (["forward", "--alpha", "nan", "x.npy", "y.npy"], "--alpha"),
    (["forward", "--limit", "-1", "x.npy", "y.npy"], "--limit"),
    (["forward", "--dtype", "f32", "x.npy", "y.npy"], "--dtype"),
    (["forward", "x.npy"], "two files"),
    (["forward", "x.npy", "y.npy", "z.npy"], "z.npy"),
    (["backward", "x.npy", "dy.npy"], "three files"),
    (["forward", "--accumulate", "x.npy", "y.npy"], "--accumulate"),
    (["demo", "extra"], "extra"),
])
def test_usage_errors(glukit_cli, tmp_path, args, words):
    save(tmp_path / "x.npy", data())
    r = run(glukit_cli, *args, cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    if args:
        check_failure(r, 2, words)
    else:
        assert words in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["x.npy"]


def test_random_corruptions_fail_cleanly(glukit_cli, tmp_path):
    # A small in-suite fuzz of the reader (tools/fuzz_npy.c is the real
    # one): flipped, cut and inserted bytes give exit 0 or 1 with one line,
    # never a crash and never a stray file.
    rng = np.random.default_rng(2024)
    valid = (tmp_path / "seed.npy")
    save(valid, data((2, 6)))
    original = valid.read_bytes()
    for i in range(150):
        content = bytearray(original)
        for _ in range(rng.integers(1, 4)):
            at = int(rng.integers(0, len(content)))
            what = rng.integers(0, 3)
            if what == 0:
                content[at] = int(rng.integers(0, 256))
            elif what == 1:
                del content[at:]
            else:
                content[at:at] = bytes([int(rng.integers(0, 256))])
            if not content:
                break
        (tmp_path / "x.npy").write_bytes(bytes(content))
        r = run(glukit_cli, "forward", tmp_path / "x.npy", tmp_path / "y.npy")
        assert r.returncode in (0, 1), (i, r.returncode, bytes(content[:128]))
        if r.returncode == 1:
            assert len(r.stderr.strip().splitlines()) == 1
            assert not (tmp_path / "y.npy").exists()
        else:
            (tmp_path / "y.npy").unlink()
    assert sorted(os.listdir(tmp_path)) == ["seed.npy", "x.npy"]
