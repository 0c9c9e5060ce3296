"""The kaggle CLI, as it is today (kaggle 2.x): where it is, whether it can sign in,
and the argument lists this kit hands it.

- Where: the ``kaggle`` script next to the running interpreter (a virtual environment
  that is not activated still has it), else on PATH, else ``python -m kaggle``.
- Signing in: kaggle 2.x accepts, in this order, an access token (``KAGGLE_API_TOKEN``,
  or ``~/.kaggle/access_token``), a legacy API key (``KAGGLE_USERNAME`` and
  ``KAGGLE_KEY``, or ``kaggle.json`` in ``KAGGLE_CONFIG_DIR``, ``~/.kaggle`` or
  ``~/.config/kaggle``), and OAuth credentials from ``kaggle auth login``
  (``~/.kaggle/credentials.json``). In a Kaggle notebook the environment signs in.
- Arguments: the competition is positional (``kaggle competitions submit
  digit-recognizer -f FILE -m MESSAGE``); kaggle 2.x hides the old ``-c`` option.

The tests run the installed kaggle package's own argument parser on the lists built here.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from kaggle_mnist.errors import KaggleMnistError

COMPETITION = "digit-recognizer"


def find_cli():
    """The command that runs the kaggle CLI, as an argument list, or None."""
    beside = Path(sys.executable).parent / "kaggle"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    on_path = shutil.which("kaggle")
    if on_path:
        return [on_path]
    if importlib.util.find_spec("kaggle") is not None:
        return [sys.executable, "-m", "kaggle"]
    return None


def config_dirs():
    """Where kaggle 2.x looks for kaggle.json, first match wins."""
    home = Path.home()
    if os.environ.get("KAGGLE_CONFIG_DIR"):
        return [Path(os.environ["KAGGLE_CONFIG_DIR"])]
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "kaggle"
    return [home / ".kaggle", xdg]


def credentials():
    """How the kaggle CLI would sign in here (a short description), or None."""
    home = Path.home()
    if os.environ.get("KAGGLE_KERNEL_RUN_TYPE"):
        return "a Kaggle notebook"
    if os.environ.get("KAGGLE_API_TOKEN"):
        return "KAGGLE_API_TOKEN"
    for name in ("access_token", "access_token.txt"):
        if (home / ".kaggle" / name).is_file():
            return f"~/.kaggle/{name}"
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return "KAGGLE_USERNAME and KAGGLE_KEY"
    for folder in config_dirs():
        if (folder / "kaggle.json").is_file():
            return str(folder / "kaggle.json")
    if (home / ".kaggle" / "credentials.json").is_file():
        return "~/.kaggle/credentials.json (kaggle auth login)"
    return None


def submit_args(file, message):
    return ["competitions", "submit", COMPETITION, "-f", str(file), "-m", message]


def download_args(folder):
    return ["competitions", "download", COMPETITION, "-p", str(folder)]


def run(args, what):
    """Run ``kaggle ARGS``; return its output, or raise one line saying what failed."""
    cli = find_cli()
    if cli is None:
        raise KaggleMnistError(f"{what}: the kaggle CLI is not installed (pip install 'kaggle>=2.2,<3' six, or the "
                               "kit's kaggle extra: pip install '.[kaggle]' in its checkout)")
    if credentials() is None:
        raise KaggleMnistError(f"{what}: the kaggle CLI cannot sign in: set KAGGLE_API_TOKEN, or put an access token "
                               "in ~/.kaggle/access_token (kaggle.com > Settings > API), or run kaggle auth login")
    try:
        result = subprocess.run([*cli, *args], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise KaggleMnistError(f"{what}: the kaggle CLI did not run ({e})") from None
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).strip().splitlines() if line.strip()]
        raise KaggleMnistError(f"{what}: kaggle said: {lines[-1] if lines else f'exit status {result.returncode}'}")
    return result.stdout
