"""A minimal PEP 517/660 build backend for the pure-Python glukit package.

pip builds in an isolated environment and would download setuptools for a
setuptools backend; this one uses only the standard library, so installing
works offline. It packs python/glukit/*.py into a py3-none-any wheel.
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "glukit"


def _version():
    with open(os.path.join(ROOT, NAME, "__init__.py"), encoding="utf-8") as f:
        return re.search(r'^__version__ = "([^"]+)"', f.read(), re.M).group(1)


def _dist_info():
    return "%s-%s.dist-info" % (NAME, _version())


def _metadata():
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
            "Summary: Gated-linear-unit (GLU) kernels for NumPy and PyTorch\n"
            "Requires-Python: >=3.8\n" % (NAME, _version()))


_WHEEL = ("Wheel-Version: 1.0\nGenerator: glukit_build\n"
          "Root-Is-Purelib: true\nTag: py3-none-any\n")


def _package_files():
    folder = os.path.join(ROOT, NAME)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            yield "%s/%s" % (NAME, name), os.path.join(folder, name)


def _write_wheel(wheel_directory, entries):
    """entries: (archive name, bytes). Adds the dist-info files and RECORD."""
    filename = "%s-%s-py3-none-any.whl" % (NAME, _version())
    dist_info = _dist_info()
    entries = list(entries) + [("%s/METADATA" % dist_info, _metadata().encode()),
                               ("%s/WHEEL" % dist_info, _WHEEL.encode())]
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w",
                         zipfile.ZIP_DEFLATED) as wheel:
        for arcname, data in entries:
            wheel.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
            record.append("%s,sha256=%s,%d" % (arcname, digest.rstrip(b"=").decode(),
                                               len(data)))
        record.append("%s/RECORD,," % dist_info)
        wheel.writestr("%s/RECORD" % dist_info, "\n".join(record) + "\n")
    return filename


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    path = os.path.join(metadata_directory, _dist_info())
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    with open(os.path.join(path, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(_WHEEL)
    return _dist_info()


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    entries = []
    for arcname, path in _package_files():
        with open(path, "rb") as f:
            entries.append((arcname, f.read()))
    return _write_wheel(wheel_directory, entries)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth file puts the source folder on sys.path.
    return _write_wheel(wheel_directory, [("%s.pth" % NAME, (ROOT + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, _version())
    filename = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as tar:
        for rel in ["pyproject.toml", "_build/glukit_build.py"] + [
                arc for arc, _ in _package_files()]:
            tar.add(os.path.join(ROOT, rel), arcname="%s/%s" % (base, rel))
        info = tarfile.TarInfo("%s/PKG-INFO" % base)
        data = _metadata().encode()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return filename
