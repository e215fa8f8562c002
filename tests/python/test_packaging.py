"""`pip install ./python` works offline: the in-tree build backend makes a
wheel from the standard library alone, holding the whole package."""
import importlib.util
import os
import subprocess
import sys
import zipfile

import pytest

PYTHON_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "python")


def load_backend():
    path = os.path.join(PYTHON_DIR, "_build", "glukit_build.py")
    spec = importlib.util.spec_from_file_location("glukit_build", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_backend_builds_a_complete_wheel(tmp_path):
    backend = load_backend()
    assert backend.get_requires_for_build_wheel() == []
    name = backend.build_wheel(str(tmp_path))
    assert name == "glukit-0.2.0-py3-none-any.whl"
    with zipfile.ZipFile(tmp_path / name) as wheel:
        names = set(wheel.namelist())
        record = wheel.read("glukit-0.2.0.dist-info/RECORD").decode()
    for module in ("__init__", "_api", "_lib", "_views", "torch"):
        assert "glukit/%s.py" % module in names
        assert "glukit/%s.py,sha256=" % module in record
    assert {"glukit-0.2.0.dist-info/METADATA", "glukit-0.2.0.dist-info/WHEEL"} <= names


def test_backend_builds_an_sdist(tmp_path):
    name = load_backend().build_sdist(str(tmp_path))
    assert (tmp_path / name).stat().st_size > 0


@pytest.mark.skipif(subprocess.run([sys.executable, "-m", "pip", "--version"],
                                   capture_output=True).returncode != 0,
                    reason="pip is not installed")
def test_pip_builds_it_without_an_index(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-index", "--no-deps", "-q",
         "-w", str(tmp_path), os.path.abspath(PYTHON_DIR)],
        capture_output=True, text=True, env=dict(os.environ, PIP_NO_INPUT="1"))
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "glukit-0.2.0-py3-none-any.whl").exists()
