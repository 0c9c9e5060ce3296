"""Atomic writes: a file or folder appears whole or not at all; and the checks made
before a file is read or written.

A crash or Ctrl-C in the middle of a write leaves, at worst, a hidden temporary file
next to the target; never a half-written target, and never a lost older version.
"""

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from kaggle_mnist import interrupts
from kaggle_mnist.errors import KaggleMnistError

_UMASK = os.umask(0)
os.umask(_UMASK)  # read the process umask so files get the usual 0644, not mkstemp's 0600


def unreadable(path, kind="file"):
    """Why ``path`` cannot be read as a ``kind`` (a few words), or None if it can be.

    A pipe or a device is refused too: reading one would wait for a writer, or never end.
    """
    path = Path(path)
    if not path.exists():
        return "a broken or looping symbolic link" if path.is_symlink() else "no such file"
    if path.is_dir():
        return f"is a folder, expected a {kind}"
    if not path.is_file():
        return f"not a regular file, expected a {kind}"
    return None


def check_writable(path, force=False, folder=False):
    """Refuse, before any work, an output that cannot be written.

    Refused: ``path`` exists and ``force`` is off; ``path`` is a folder where a file
    goes (``folder=False``) or the reverse, or a device, pipe or socket; a parent is a
    file; the folder cannot be written to (read-only, no permission: found by creating a
    probe file in it, or in the nearest folder above it that exists). Missing folders
    are not made here but when the output is written, so a command that fails in
    between leaves none behind.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not force:
            raise KaggleMnistError(f"{path} already exists (use --force to overwrite it)")
        if path.is_dir() != folder:
            kind, want = ("a folder", "a file") if path.is_dir() else ("a file", "a folder")
            raise KaggleMnistError(f"{path} is {kind}; expected {want} here")
        if not folder and path.exists() and not path.is_file():  # a dangling link is replaced, not followed
            raise KaggleMnistError(f"{path} is not a regular file; refusing to replace it")
    existing = next(ancestor for ancestor in [path.parent, *path.parent.parents]
                    if ancestor.exists() or ancestor.is_symlink())  # a broken link is there too
    if not existing.is_dir():
        raise KaggleMnistError(f"{existing} is not a folder" + ("" if existing.exists() else " (a broken link)"))
    try:
        with interrupts.held():  # the probe must not outlive a Ctrl-C
            fd, probe = tempfile.mkstemp(prefix=".probe.", dir=existing)
            os.close(fd)
            os.unlink(probe)
    except OSError as e:
        raise KaggleMnistError(f"{existing}: cannot write there ({e.strerror})") from None


def check_replaceable(path, marker):
    """Refuse to empty or replace a folder the kit did not write.

    ``--force`` replaces an older model or run, and only that: ``path`` may be empty or
    hold ``marker`` (the file the kit writes into every such folder, model.json or
    config.json), and must not be the working folder or one above it.
    """
    path = Path(path)
    if not path.is_dir():
        return
    if Path.cwd().resolve().is_relative_to(path.resolve()):
        raise KaggleMnistError(f"{path} holds the working folder; refusing to replace it")
    if path.is_symlink():
        raise KaggleMnistError(f"{path} is a link to a folder; refusing to replace it")
    if any(path.iterdir()) and not (path / marker).is_file():
        raise KaggleMnistError(f"{path} holds files but no {marker}: not a folder this kit wrote; "
                               "refusing to replace it")


# Temporary files and folders not yet renamed into place: removed by cleanup_pending()
# if an interruption skipped their own clean-up.
_PENDING = set()


def cleanup_pending():
    """Remove temporaries left by an interrupted write (the command line calls this last)."""
    with interrupts.held():
        for tmp in list(_PENDING):
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
            _PENDING.discard(tmp)


@contextlib.contextmanager
def atomic_path(path, force=True, suffix=""):
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    The caller writes the temporary path however it likes (``np.savez``, ``to_csv``, a
    whole folder). On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    check_writable(path, force)
    with interrupts.held():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix + ".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp)
        _PENDING.add(tmp)
    try:
        yield tmp
        with interrupts.held():
            os.chmod(tmp, 0o666 & ~_UMASK)
            os.replace(tmp, path)
    finally:
        with interrupts.held():
            tmp.unlink(missing_ok=True)
            _PENDING.discard(tmp)


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
    check_writable(path, force, folder=True)
    with interrupts.held():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        _PENDING.add(tmp)
    old = None
    try:
        yield tmp
        with interrupts.held():
            if path.exists():
                old = path.with_name(f".{path.name}.old-{os.getpid()}")
                os.replace(path, old)
            os.replace(tmp, path)
    finally:
        with interrupts.held():
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
            _PENDING.discard(tmp)
            if old is not None and old.exists():
                if path.exists():
                    shutil.rmtree(old, ignore_errors=True)
                else:  # the swap failed half-way: put the old version back
                    os.replace(old, path)
