"""geglu's coefficient tables (glu_simd_gelu.h) against the errors their
comments state: the fitters' --check-only emulates the kernels' f32 steps
over 6.5M points, piece edges included, and compares with Phi and Q in
double. A table entry changed by a few bits, or a comment's figure made
sharper than the table gives, fails here."""
import os
import re
import subprocess
import sys

import pytest

TOOLS = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "accuracy")


def check_only(script):
    pytest.importorskip("scipy")
    pytest.importorskip("mpmath")
    done = subprocess.run([sys.executable, os.path.join(TOOLS, script), "--check-only"],
                          capture_output=True, text=True, cwd=TOOLS, check=True)
    return [float(x) for x in re.findall(r"within 2\^(-?[0-9.]+)", done.stderr)]


def test_phi_pieces_within_their_stated_error():
    phi_neg, phi = check_only("fit_gelu_phi.py")
    assert phi_neg <= -28.2  # "an f32 emulation within 2^-28.2 of Phi(-a)"
    assert phi <= -28.3      # "1 - P within 2^-28.3 of Phi(a)"


def test_q_pieces_within_their_stated_error():
    q, q_plain = check_only("fit_gelu_q.py")
    assert q <= -25.5        # "within 2^-25.5 relative of Q on every piece"
    assert q_plain <= -23.1  # v_gelu_q_plain: "within 2^-23.1 relative, measured"
