import os
import shutil

import pytest


@pytest.fixture(scope="session")
def glukit_cli():
    """Path of the built `glukit` tool: $GLUKIT_CLI, else on PATH."""
    path = os.environ.get("GLUKIT_CLI") or shutil.which("glukit")
    if not path or not os.path.exists(path):
        pytest.fail("set GLUKIT_CLI to the built glukit tool (build/tools/glukit)")
    return os.path.abspath(path)
