"""Atomic writes: a file or folder appears whole or not at all.

A crash or Ctrl-C in the middle of a write leaves, at worst, a hidden temporary file
next to the target; never a half-written target, and never a lost older version.
"""

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from kaggle_mnist.errors import KaggleMnistError

_UMASK = os.umask(0)
os.umask(_UMASK)  # read the process umask so files get the usual 0644, not mkstemp's 0600


def check_writable(path, force=False):
    """Raise if ``path`` exists and ``force`` is off; make sure its folder exists."""
    path = Path(path)
    if path.exists() and not force:
        raise KaggleMnistError(f"{path} already exists (use --force to overwrite it)")
    if path.parent.exists() and not path.parent.is_dir():
        raise KaggleMnistError(f"{path.parent} is not a folder")
    path.parent.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def atomic_path(path, force=True, suffix=""):
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    The caller writes the temporary path however it likes (``np.savez``, ``to_csv``, a
    whole folder). On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    check_writable(path, force)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix + ".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes(path, data, force=True):
    """Write ``data`` (bytes) to ``path`` atomically."""
    with atomic_path(path, force) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text(path, text, force=True):
    """Write ``text`` to ``path`` atomically, as UTF-8 with ``\\n`` line endings."""
    write_bytes(path, text.encode("utf-8"), force)


def write_json(path, obj, force=True):
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n", force)


@contextlib.contextmanager
def atomic_dir(path, force=False):
    """Yield a temporary folder; swap it in for ``path`` if the block succeeds.

    An older folder at ``path`` is moved aside first and deleted only after the new
    one is in place, so a crash at any point leaves one complete version.
    """
    path = Path(path)
    check_writable(path, force)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    old = None
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists():
            if path.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:  # the swap failed half-way: put the old version back
                os.replace(old, path)
