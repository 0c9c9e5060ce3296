"""train.py and predict.py end to end; one-line errors for bad input."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from kaggle_mnist.submission import find_problems


def script(name, *args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / name), *map(str, args)], capture_output=True, text=True)


def test_train_then_predict(tmp_path, kaggle_dir):
    model, sub = tmp_path / "model", tmp_path / "sub.csv"
    out = script("train.py", "--data-dir", kaggle_dir, "--preset", "fast", "--seed", "0", "--out", model, "--quiet")
    assert out.returncode == 0, out.stderr
    assert (model / "model.json").exists() and (model / "weights.npz").exists()
    out = script("predict.py", "--model", model, "--data-dir", kaggle_dir, "--out", sub)
    assert out.returncode == 0, out.stderr
    assert find_problems(sub, n_rows=200) == []
    printed = float(out.stdout.split("accuracy ")[-1])
    scored = script("score.py", sub, "--solution", kaggle_dir / "solution.csv", "--json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["accuracy"] == pytest.approx(printed, abs=5e-5) and printed > 0.9
    # Same seed, same submission; --force replaces a model folder whole.
    model2, sub2 = tmp_path / "model2", tmp_path / "sub2.csv"
    script("train.py", "--data-dir", kaggle_dir, "--preset", "fast", "--seed", "5", "--out", model2, "--quiet")
    again = script("train.py", "--data-dir", kaggle_dir, "--preset", "fast", "--seed", "0", "--out", model2, "--quiet",
                   "--force")
    assert again.returncode == 0, again.stderr
    script("predict.py", "--model", model2, "--data-dir", kaggle_dir, "--out", sub2)
    assert sub.read_bytes() == sub2.read_bytes()


@pytest.mark.parametrize("name, args, message", [
    ("predict.py", ["--model", "nowhere", "--out", "x.csv"], "no such model folder"),
    ("train.py", ["--data-dir", "nowhere", "--preset", "fast", "--out", "m"], "no such data folder"),
    ("score.py", ["nope.csv", "--solution", "nope.csv"], "no such file"),
    ("submit.py", ["nope.csv", "-m", "x"], "not submitted"),
    ("validate_submission.py", ["x.csv", "--test", "missing.csv"], "no such file"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, name, args, message):
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args], capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_corrupt_model_and_existing_submission(tmp_path, kaggle_dir):
    model, sub = tmp_path / "model", tmp_path / "sub.csv"
    script("train.py", "--data-dir", kaggle_dir, "--preset", "fast", "--out", model, "--quiet", "--set", "max_iter=1")
    sub.write_text("mine")
    out = script("predict.py", "--model", model, "--data-dir", kaggle_dir, "--out", sub)
    assert out.returncode == 2 and "already exists" in out.stderr and sub.read_text() == "mine"
    (model / "weights.npz").write_bytes(b"garbage")
    out = script("predict.py", "--model", model, "--data-dir", kaggle_dir, "--out", tmp_path / "new.csv")
    assert out.returncode == 2 and "checksum does not match" in out.stderr
    assert not (tmp_path / "new.csv").exists()


def children(pid):
    """PIDs of the processes ``pid`` started (Linux /proc)."""
    from pathlib import Path

    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def alive(pid):
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its parent is not training any more
        from pathlib import Path

        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_stops_the_workers_of_a_parallel_cross_validation(tmp_path, kaggle_dir):
    import signal
    import time

    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "cross_validate.py"), "--data-dir", kaggle_dir,
                             "--preset", "fast", "--folds", "2", "--n-jobs", "2", "--out", tmp_path / "run",
                             "--set", "max_iter=100000", "--set", "n_iter_no_change=100000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, workers = time.monotonic() + 60, set()
        while time.monotonic() < deadline and len(workers) < 2:  # loky: the workers and a resource tracker
            time.sleep(0.5)
            workers = children(proc.pid) | {g for c in children(proc.pid) for g in children(c)}
        assert workers, "no worker processes appeared"
        time.sleep(3)  # let them start training
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143 and err.strip().splitlines()[-1] == "terminated", err
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(alive(w) for w in workers):
        time.sleep(0.5)
    assert not any(alive(w) for w in workers)
