"""The kaggle CLI as it is today: found where it is installed, every way it signs in
recognised, and argument lists its own parser accepts."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kaggle_mnist import kaggle_cli
from kaggle_mnist.errors import KaggleMnistError


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    for var in ("KAGGLE_API_TOKEN", "KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_CONFIG_DIR", "XDG_CONFIG_HOME",
                "KAGGLE_KERNEL_RUN_TYPE"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "home"


@pytest.mark.parametrize("setup, found", [
    (lambda home, env: env.setenv("KAGGLE_API_TOKEN", "tok"), "KAGGLE_API_TOKEN"),
    (lambda home, env: (home / ".kaggle").mkdir() or (home / ".kaggle/access_token").write_text("t"),
     "~/.kaggle/access_token"),
    (lambda home, env: env.setenv("KAGGLE_USERNAME", "me") or env.setenv("KAGGLE_KEY", "k"),
     "KAGGLE_USERNAME and KAGGLE_KEY"),
    (lambda home, env: (home / ".kaggle").mkdir() or (home / ".kaggle/kaggle.json").write_text("{}"), "kaggle.json"),
    (lambda home, env: (home / ".config/kaggle").mkdir(parents=True) or (home / ".config/kaggle/kaggle.json")
     .write_text("{}"), ".config/kaggle/kaggle.json"),
    (lambda home, env: env.setenv("KAGGLE_CONFIG_DIR", str(home / "conf")) or (home / "conf").mkdir()
     or (home / "conf/kaggle.json").write_text("{}"), "conf/kaggle.json"),
    (lambda home, env: (home / ".kaggle").mkdir() or (home / ".kaggle/credentials.json").write_text("{}"),
     "credentials.json"),
    (lambda home, env: env.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive"), "a Kaggle notebook"),
], ids=["token-env", "token-file", "api-key-env", "kaggle-json", "xdg-kaggle-json", "config-dir", "oauth",
        "notebook"])
def test_every_way_to_sign_in_is_recognised(clean_env, monkeypatch, setup, found):
    assert kaggle_cli.credentials() is None
    setup(clean_env, monkeypatch)
    assert found in kaggle_cli.credentials()


def test_found_beside_the_interpreter_on_path_or_as_a_module(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    beside = Path(sys.executable).parent / "kaggle"
    found = kaggle_cli.find_cli()
    if beside.exists():
        assert found == [str(beside)]
    else:
        assert found is None or found[1:] == ["-m", "kaggle"]


def test_no_cli_or_no_credentials_is_one_line(clean_env, monkeypatch):
    monkeypatch.setattr(kaggle_cli, "find_cli", lambda: None)
    with pytest.raises(KaggleMnistError, match="not submitted: the kaggle CLI is not installed"):
        kaggle_cli.run(kaggle_cli.submit_args("s.csv", "m"), "not submitted")
    monkeypatch.setattr(kaggle_cli, "find_cli", lambda: ["kaggle"])
    with pytest.raises(KaggleMnistError, match="cannot sign in"):
        kaggle_cli.run(kaggle_cli.submit_args("s.csv", "m"), "not submitted")


def test_a_failing_cli_reports_its_last_line(clean_env, monkeypatch, tmp_path):
    fake = tmp_path / "kaggle"
    fake.write_text("#!/bin/sh\necho 'Traceback...' >&2\necho '403 Forbidden: rules not accepted' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(kaggle_cli, "find_cli", lambda: [str(fake)])
    monkeypatch.setenv("KAGGLE_API_TOKEN", "x")
    with pytest.raises(KaggleMnistError, match="kaggle said: 403 Forbidden: rules not accepted"):
        kaggle_cli.run(["competitions", "list"], "kaggle")


PARSE = """
import argparse, json, sys
import kaggle.cli
parser = argparse.ArgumentParser()
commands = parser.add_subparsers(dest="group")
kaggle.cli.parse_competitions(commands)
args = parser.parse_args(json.loads(sys.argv[1]))
print(json.dumps({k: v for k, v in vars(args).items() if k != "func"} | {"func": args.func.__name__}))
"""


@pytest.mark.parametrize("args, expected", [
    (kaggle_cli.submit_args("sub.csv", "fold ensemble"),
     {"command": "submit", "competition": "digit-recognizer", "competition_opt": None, "file_name": "sub.csv",
      "message": "fold ensemble", "func": "competition_submit_cli"}),
    (kaggle_cli.download_args("/tmp/x"),
     {"command": "download", "competition": "digit-recognizer", "competition_opt": None, "path": "/tmp/x",
      "func": "competition_download_cli"}),
], ids=["submit", "download"])
def test_the_installed_kaggle_parser_takes_our_arguments(tmp_path, args, expected):
    pytest.importorskip("kaggle", reason="the kaggle extra is not installed")
    env = {**os.environ, "HOME": str(tmp_path), "KAGGLE_CONFIG_DIR": str(tmp_path / "kaggle")}
    for var in ("KAGGLE_API_TOKEN", "KAGGLE_USERNAME", "KAGGLE_KEY"):
        env.pop(var, None)
    out = subprocess.run([sys.executable, "-c", PARSE, json.dumps(args)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    parsed = json.loads(out.stdout.strip().splitlines()[-1])
    assert {k: parsed[k] for k in expected} == expected
