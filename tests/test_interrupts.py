"""Ctrl-C and SIGTERM at any moment: a prompt exit with 130 / 143, no hang, no crash, no
temporary or half-written file, and what was finished kept (a whole model, whole folds).

Real runs of the command, interrupted again and again at different moments of their
work: while the engine's two threads train the LeNet-like network, while a model is
saved, while folds are trained and saved, while a submission is predicted.
"""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import blob_digits

from kaggle_mnist import data
from kaggle_mnist.modelio import load_model

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = tmp_path_factory.mktemp("interrupts")
    (work / "data").mkdir()
    X, y = blob_digits(700)
    data.write_int_csv(work / "data/train.csv", data.TRAIN_HEADER, np.column_stack([y[:500], X[:500]]))
    data.write_int_csv(work / "data/test.csv", data.TEST_HEADER, X[500:])
    return work


def start(work, *args):
    """Start kaggle-mnist; return the process once it has said what it is doing."""
    proc = subprocess.Popen([sys.executable, "-m", "kaggle_mnist", *map(str, args)], cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.readline()  # "training preset ...": past start-up, its handlers are in place
    return proc


def interrupt(proc, sig, delay):
    """Send ``sig`` after ``delay`` seconds; return (exit status, stderr, seconds to exit)."""
    time.sleep(delay)
    if proc.poll() is None:
        sent = time.perf_counter()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        return proc.returncode, err, time.perf_counter() - sent
    _, err = proc.communicate()
    return proc.returncode, err, 0.0


def leftovers(folder):
    """Temporary files or folders anywhere under ``folder``."""
    return [p for p in folder.rglob("*") if p.name.startswith(".") and (".tmp" in p.name or ".old-" in p.name
                                                                         or p.name.startswith(".probe"))]


# 3 s of training at most: each moment falls in a different part of a run.
MOMENTS = [0.05, 0.2, 0.35, 0.5, 0.7, 0.9, 1.1, 1.4, 1.7, 2.0, 2.4, 2.9]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_training_with_the_engines_threads_survives_every_interruption(work, sig):
    """The LeNet-like network trains on the engine's two threads; each interruption ends
    the command within seconds with the right status, leaves no temporary, and the
    model it saves (what was trained so far) loads."""
    survived = 0
    for i, delay in enumerate(MOMENTS):
        out = work / f"model-{sig.name}-{i}"
        proc = start(work, "train", "--preset", "lenet", "--set", "max_iter=30", "--set", "hidden_layer_sizes=[16]",
                     "--out", out, "--quiet")
        status, err, seconds = interrupt(proc, sig, delay)
        assert status == EXIT[sig], (delay, status, err)
        assert "Traceback" not in err and err.strip().splitlines()[-1] in ("interrupted", "terminated"), err
        assert seconds < 5, seconds
        assert leftovers(work) == []
        if out.exists():  # saved whole, or not at all
            model, meta = load_model(out)
            assert model.predict(np.zeros((2, 784), np.uint8)).shape == (2,)
        survived += 1
    assert survived == len(MOMENTS)


def test_cross_validation_keeps_finished_folds_and_resumes(work):
    """Interrupted folds leave no trace; finished folds are kept whole, and --resume
    trains only the rest, to the same submission as an uninterrupted run."""
    # About half a second a fold here: the moments fall in folds 1, 2 and 3, in the
    # report, and in the interpreter's exit.
    args = ["cv", "--preset", "fast", "--folds", "3", "--set", "max_iter=200", "--set", "tol=0", "--quiet"]
    moments = [(signal.SIGTERM, 0.3), (signal.SIGINT, 0.8), (signal.SIGTERM, 1.3), (signal.SIGINT, 2.0),
               (signal.SIGTERM, 2.4)]
    for i, (sig, delay) in enumerate(moments):
        run, sub = work / f"cv-{i}", work / f"cv-{i}.csv"
        proc = start(work, *args, "--out", run, "--submission", sub)
        status, err, seconds = interrupt(proc, sig, delay)
        assert status in (EXIT[sig], 0) and "Traceback" not in err and seconds < 10, err
        assert leftovers(work) == []
        folds = sorted((run / "folds").glob("fold-*")) if (run / "folds").exists() else []
        for fold in folds:
            assert (fold / "fold.json").exists() and (fold / "predictions.npz").exists() and (fold / "model").is_dir()
        resumed = subprocess.run([sys.executable, "-m", "kaggle_mnist", *args, "--out", run, "--submission", sub,
                                  "--resume"], cwd=work, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
    whole = subprocess.run([sys.executable, "-m", "kaggle_mnist", *args, "--out", work / "cv-whole", "--submission",
                            work / "cv-whole.csv"], cwd=work, capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr
    for i in range(len(moments)):
        assert (work / f"cv-{i}.csv").read_bytes() == (work / "cv-whole.csv").read_bytes()


def test_prediction_interrupted_writes_no_submission(work):
    model = work / "predict-model"
    subprocess.run([sys.executable, "-m", "kaggle_mnist", "train", "--preset", "lenet", "--set", "max_iter=1",
                    "--set", "hidden_layer_sizes=[16]", "--set", "tta=8", "--out", model, "--quiet"], cwd=work,
                   check=True, capture_output=True)
    big = work / "big"  # 6,000 test rows, each predicted 9 times (tta): seconds of work to interrupt
    big.mkdir()
    data.write_int_csv(big / "test.csv", data.TEST_HEADER, blob_digits(6000)[0])
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = start(work, "predict", "--model", model, "--data-dir", big, "--out", work / "p.csv")
        status, err, seconds = interrupt(proc, sig, 0.5)
        assert status == EXIT[sig] and "Traceback" not in err and seconds < 5, err
        assert not (work / "p.csv").exists() and leftovers(work) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signals_after_the_work_never_kill_the_process_mid_exit(sig):
    """The command has written everything and the interpreter is closing down (here a
    teardown made long by ten million objects to free): signals sent again and again
    until it is gone never kill it by the signal (status -2 / -15, seen in CI) and never
    print a traceback; it ends with its own status, or 130 / 143 if a signal came before
    the exit hooks."""
    program = (
        "import sys\n"
        "from kaggle_mnist import cli\n"
        "garbage = [{} for _ in range(10_000_000)]\n"
        "cli.dispatch = lambda argv: print('done', flush=True)\n"
        "sys.exit(cli.main())\n")
    proc = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "done\n"
    sent = 0
    while proc.poll() is None:
        proc.send_signal(sig)
        sent += 1
        time.sleep(0.01)
    err = proc.stderr.read()
    assert sent > 5, "the teardown should have taken a while"
    assert proc.returncode in (0, EXIT[sig]) and "Traceback" not in err, (proc.returncode, err)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_interpreter_shuts_down_still_exits_cleanly(sig):
    """The work is done and written, the interpreter runs the exit hooks the command
    registered (a worker pool closing): a signal then ends the process at once with its
    status, not a traceback or a death by the signal (status -2 / -15)."""
    program = (
        "import atexit, os, signal, sys, time\n"
        "from kaggle_mnist import cli\n"
        "def command(argv):  # registers an exit hook, as a worker pool does, that is slow to end\n"
        f"    atexit.register(lambda: (os.kill(os.getpid(), {int(sig)}), time.sleep(5)))\n"
        "    print('done')\n"
        "cli.dispatch = command\n"
        "sys.exit(cli.main())\n")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert proc.returncode == EXIT[sig], (proc.returncode, proc.stderr)
    assert proc.stdout == "done\n" and proc.stderr.strip() in ("interrupted", "terminated"), proc.stderr
    assert time.perf_counter() - started < 4
