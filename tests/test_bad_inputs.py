"""The catalogue of bad inputs: every one gets one line on stderr naming what is wrong,
no traceback, the documented exit status, and leaves every file that existed before
byte-identical (and writes nothing new).

Each case builds a small competition folder (``data/``) and a trained model
(``model/``) in its own working folder, breaks something, runs ``kaggle-mnist`` there
as a user would, and compares the folder before and after. The categories: CSV files,
submissions, model files, flags, faults of the machine. Interruptions are in
test_interrupts.py; the valid-but-unusual inputs that must still be accepted are at
the end of this file.
"""

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import blob_digits

from kaggle_mnist import data

CASES = {}  # id -> (category, make(work) -> argv, exit status, message)


def case(category, id, status=2, message=""):
    def register(make):
        CASES[id] = (category, make, status, message)
        return make
    return register


# ------------------------------------------------------------------ the working folder
@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """data/ (300 train rows, 100 test rows, a solution) and model/ (a trained model)."""
    work = tmp_path_factory.mktemp("template")
    folder = work / "data"
    folder.mkdir()
    X, y = blob_digits(400)
    data.write_int_csv(folder / "train.csv", data.TRAIN_HEADER, np.column_stack([y[:300], X[:300]]))
    data.write_int_csv(folder / "test.csv", data.TEST_HEADER, X[300:])
    (folder / "solution.csv").write_text("ImageId,Label,Usage\n" + "".join(
        f"{i},{label},{'Public' if i % 4 == 0 else 'Private'}\n" for i, label in enumerate(y[300:], 1)))
    out = run(work, "train", "--preset", "fast", "--set", "max_iter=1", "--out", "model", "--quiet")
    assert out.returncode == 0, out.stderr
    (work / "sub.csv").write_text("ImageId,Label\n" + "".join(f"{i},{i % 10}\n" for i in range(1, 101)))
    return work


def run(work, *args, limits=None):
    def preexec():
        for resource_id, value in (limits or {}).items():
            resource.setrlimit(resource_id, (value, value))

    return subprocess.run([sys.executable, "-m", "kaggle_mnist", *map(str, args)], capture_output=True, text=True,
                          cwd=work, timeout=300, preexec_fn=preexec if limits else None)


def snapshot(folder):
    """{relative path: sha256 or 'folder' or 'link'} of everything under ``folder``."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                out[rel] = "link"
            elif path.is_dir():
                out[rel] = "folder"
            elif not path.is_file():  # a pipe: reading it would wait for a writer
                out[rel] = "special"
            elif path.stat().st_size > 2**26:  # the sparse terabyte: size and time, not contents
                out[rel] = (path.stat().st_size, path.stat().st_mtime_ns)
            else:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def replace_line(path, number, text):
    lines = path.read_text().split("\n")
    lines[number - 1] = text
    path.write_text("\n".join(lines))


def edit_json(path, change):
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta))


def row(label="3", pixel="0"):
    return ",".join([label] + [pixel] * 784)


# ------------------------------------------------------------------ CSV files
TRAIN = ["train", "--preset", "fast", "--set", "max_iter=1", "--out", "new-model", "--quiet"]


@case("csv", "data-folder-missing", message="nowhere: no such data folder")
def _(w):
    return [*TRAIN, "--data-dir", "nowhere"]


@case("csv", "data-folder-is-a-file", message="not a folder")
def _(w):
    return [*TRAIN, "--data-dir", "data/train.csv"]


@case("csv", "train-missing", message="train.csv: no such file")
def _(w):
    (w / "data/train.csv").unlink()
    return TRAIN


@case("csv", "train-is-a-folder", message="is a folder, expected a CSV file")
def _(w):
    (w / "data/train.csv").unlink()
    (w / "data/train.csv").mkdir()
    return TRAIN


@case("csv", "train-broken-link", message="a broken or looping symbolic link")
def _(w):
    (w / "data/train.csv").unlink()
    (w / "data/train.csv").symlink_to(w / "data/gone.csv")
    return TRAIN


@case("csv", "train-link-loop", message="a broken or looping symbolic link")
def _(w):
    (w / "data/train.csv").unlink()
    (w / "data/train.csv").symlink_to(w / "data/loop.csv")
    (w / "data/loop.csv").symlink_to(w / "data/train.csv")
    return TRAIN


@case("csv", "train-is-a-pipe", message="train.csv: not a regular file")
def _(w):
    (w / "data/train.csv").unlink()
    os.mkfifo(w / "data/train.csv")  # opening it would wait for a writer forever
    return TRAIN


@case("csv", "test-is-a-device", message="test.csv: not a regular file")
def _(w):
    (w / "data/test.csv").unlink()
    (w / "data/test.csv").symlink_to("/dev/zero")  # reading it would never end
    return ["predict", "--model", "model", "--out", "new.csv"]


@case("csv", "train-empty", message="train.csv")
def _(w):
    (w / "data/train.csv").write_text("")
    return TRAIN


@case("csv", "train-header-only", message="train.csv")
def _(w):
    (w / "data/train.csv").write_text(",".join(data.TRAIN_HEADER) + "\n")
    return TRAIN


@case("csv", "train-wrong-header", message="line 1")
def _(w):
    replace_line(w / "data/train.csv", 1, ",".join(["label", *(f"px{i}" for i in range(784))]))
    return TRAIN


@case("csv", "train-no-label-column", message="line 1")
def _(w):
    replace_line(w / "data/train.csv", 1, ",".join(data.TEST_HEADER))
    return TRAIN


@case("csv", "pixel-letter", message="line 5")
def _(w):
    replace_line(w / "data/train.csv", 5, row(pixel="x"))
    return TRAIN


@case("csv", "pixel-negative", message="line 6")
def _(w):
    replace_line(w / "data/train.csv", 6, row(pixel="-1"))
    return TRAIN


@case("csv", "pixel-256", message="line 7")
def _(w):
    replace_line(w / "data/train.csv", 7, row(pixel="256"))
    return TRAIN


@case("csv", "label-10", message="line 8, column 'label'")
def _(w):
    replace_line(w / "data/train.csv", 8, row(label="10"))
    return TRAIN


@case("csv", "pixel-decimal", message="line 9")
def _(w):
    replace_line(w / "data/train.csv", 9, row(pixel="3.0"))
    return TRAIN


@case("csv", "pixel-exponent", message="line 10")
def _(w):
    replace_line(w / "data/train.csv", 10, row(pixel="1e2"))
    return TRAIN


@case("csv", "row-too-short", message="line 11")
def _(w):
    replace_line(w / "data/train.csv", 11, row()[:-2])
    return TRAIN


@case("csv", "row-too-long", message="line 12")
def _(w):
    replace_line(w / "data/train.csv", 12, row() + ",0")
    return TRAIN


@case("csv", "blank-cell", message="line 13")
def _(w):
    replace_line(w / "data/train.csv", 13, "3," + ",".join(["0"] * 783) + ",")
    return TRAIN


@case("csv", "quoted-cell", message="line 14")
def _(w):
    replace_line(w / "data/train.csv", 14, '"3",' + ",".join(["0"] * 784))
    return TRAIN


@case("csv", "blank-line-in-the-middle", message="line 15")
def _(w):
    replace_line(w / "data/train.csv", 15, "")
    return TRAIN


@case("csv", "binary-garbage", message="train.csv")
def _(w):
    (w / "data/train.csv").write_bytes(bytes(range(256)) * 40)
    return TRAIN


@case("csv", "one-class-only", message="training needs at least 2 classes")
def _(w):
    X, _ = blob_digits(50)
    data.write_int_csv(w / "data/train.csv", data.TRAIN_HEADER, np.column_stack([np.full(50, 7), X]))
    return TRAIN


@case("csv", "class-rarer-than-folds", message="fewer than the 5 folds")
def _(w):
    X, y = blob_digits(100)
    y[y == 4] = 5
    y[0] = 4  # one row of class 4
    data.write_int_csv(w / "data/train.csv", data.TRAIN_HEADER, np.column_stack([y, X]))
    return ["cv", "--preset", "fast", "--folds", "5", "--out", "run", "--submission", "s.csv", "--quiet"]


@case("csv", "test-with-a-label-column", message="test.csv")
def _(w):
    shutil.copy(w / "data/train.csv", w / "data/test.csv")
    return ["predict", "--model", "model", "--out", "new.csv"]


@case("csv", "test-missing", message="test.csv: no such file")
def _(w):
    (w / "data/test.csv").unlink()
    return ["predict", "--model", "model", "--out", "new.csv"]


@case("csv", "solution-wrong-length", message="rows for the")
def _(w):
    lines = (w / "data/solution.csv").read_text().splitlines()
    (w / "data/solution.csv").write_text("\n".join(lines[:-5]) + "\n")
    return ["predict", "--model", "model", "--out", "new.csv"]


@case("csv", "solution-malformed", message="solution.csv")
def _(w):
    (w / "data/solution.csv").write_text("Id,Digit\n1,2\n")
    return ["predict", "--model", "model", "--out", "new.csv"]


@case("csv", "larger-than-memory", message="too large to read")
def _(w):
    (w / "data/train.csv").unlink()
    with open(w / "data/train.csv", "wb") as f:  # sparse: takes no disk
        f.write((",".join(data.TRAIN_HEADER) + "\n").encode())
        f.truncate(2**40)
    return TRAIN


# ------------------------------------------------------------------ submissions
@case("submission", "validate-missing", status=1, message="invalid")
def _(w):
    return ["validate", "nope.csv", "--test", "data/test.csv"]


@case("submission", "validate-wrong-header", status=1, message="invalid")
def _(w):
    replace_line(w / "sub.csv", 1, "Id,Label")
    return ["validate", "sub.csv", "--test", "data/test.csv"]


@case("submission", "validate-missing-rows", status=1, message="invalid")
def _(w):
    lines = (w / "sub.csv").read_text().splitlines()
    (w / "sub.csv").write_text("\n".join(lines[:-3]) + "\n")
    return ["validate", "sub.csv", "--test", "data/test.csv"]


@case("submission", "validate-duplicate-id", status=1, message="invalid")
def _(w):
    replace_line(w / "sub.csv", 3, "1,4")
    return ["validate", "sub.csv", "--test", "data/test.csv"]


@case("submission", "validate-label-10", status=1, message="invalid")
def _(w):
    replace_line(w / "sub.csv", 4, "3,10")
    return ["validate", "sub.csv", "--test", "data/test.csv"]


@case("submission", "validate-superscript-digit", status=1, message="invalid")
def _(w):
    replace_line(w / "sub.csv", 4, "3,\u00b2")
    return ["validate", "sub.csv", "--test", "data/test.csv"]


@case("submission", "validate-empty", status=1, message="invalid")
def _(w):
    (w / "sub.csv").write_text("")
    return ["validate", "sub.csv", "--test", "data/test.csv"]


@case("submission", "validate-not-utf8", status=1, message="invalid")
def _(w):
    (w / "sub.csv").write_bytes(b"\xff\xfe\x00garbage")
    return ["validate", "sub.csv", "--test", "data/test.csv"]


@case("submission", "validate-three-columns", status=1, message="invalid")
def _(w):
    replace_line(w / "sub.csv", 5, "4,3,1")
    return ["validate", "sub.csv", "--test", "data/test.csv"]


@case("submission", "validate-test-malformed", message="test.csv")
def _(w):
    replace_line(w / "data/test.csv", 3, "x")
    return ["validate", "sub.csv", "--test", "data/test.csv"]


@case("submission", "score-invalid-submission", message="sub.csv, line 2")
def _(w):
    replace_line(w / "sub.csv", 2, "1,x")
    return ["score", "sub.csv"]


@case("submission", "score-length-differs", message="rows, expected 100")
def _(w):
    (w / "sub.csv").write_text("ImageId,Label\n1,2\n")
    return ["score", "sub.csv"]


@case("submission", "score-no-solution", message="solution.csv: no such file")
def _(w):
    (w / "data/solution.csv").unlink()
    return ["score", "sub.csv"]


@case("submission", "score-solution-labels-bad", message="solution.csv")
def _(w):
    replace_line(w / "data/solution.csv", 2, "1,12,Private")
    return ["score", "sub.csv"]


@case("submission", "score-solution-without-rows", message="solution.csv: no rows")
def _(w):
    (w / "data/solution.csv").write_text("ImageId,Label,Usage\n")
    return ["score", "sub.csv"]


@case("submission", "score-solution-usage-unknown", message="ImageId 2: Usage must be Public or Private, got 'Hidden'")
def _(w):
    lines = (w / "data/solution.csv").read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ",Hidden"
    (w / "data/solution.csv").write_text("\n".join(lines) + "\n")
    return ["score", "sub.csv"]


@case("submission", "score-solution-usage-blank", message="ImageId 1: Usage must be Public or Private, got ''")
def _(w):
    replace_line(w / "data/solution.csv", 2, "1,3,")
    return ["score", "sub.csv"]


@case("submission", "score-a-pipe", message="sub.fifo: not a regular file")
def _(w):
    os.mkfifo(w / "sub.fifo")
    return ["score", "sub.fifo"]


@case("submission", "score-solution-a-pipe", message="solution.csv: not a regular file")
def _(w):
    (w / "data/solution.csv").unlink()
    os.mkfifo(w / "data/solution.csv")
    return ["score", "sub.csv"]


@case("submission", "score-nothing-to-score", message="no submission given")
def _(w):
    return ["score"]


# ------------------------------------------------------------------ model files
PREDICT = ["predict", "--model", "model", "--out", "new.csv"]


def model_json(w, change):
    edit_json(w / "model/model.json", change)
    return PREDICT


@case("model", "model-folder-missing", message="no such model folder")
def _(w):
    return ["predict", "--model", "nothing", "--out", "new.csv"]


@case("model", "model-folder-is-a-file", message="not a folder")
def _(w):
    return ["predict", "--model", "sub.csv", "--out", "new.csv"]


@case("model", "model-json-missing", message="model.json is missing")
def _(w):
    (w / "model/model.json").unlink()
    return PREDICT


@case("model", "model-json-not-json", message="not valid JSON")
def _(w):
    (w / "model/model.json").write_text("{oops")
    return PREDICT


@case("model", "model-json-a-list", message="must hold a JSON object, not list")
def _(w):
    (w / "model/model.json").write_text("[1, 2]")
    return PREDICT


@case("model", "model-json-deeply-nested", message="model.json")
def _(w):
    (w / "model/model.json").write_text("[" * 100000 + "]" * 100000)
    return PREDICT


@case("model", "key-missing", message="missing classes")
def _(w):
    return model_json(w, lambda m: m.pop("classes"))


@case("model", "key-unknown", message="unknown keys ['colour']")
def _(w):
    return model_json(w, lambda m: m.update(colour="red"))


@case("model", "old-format", message="model format 1, this version reads format 2")
def _(w):
    return model_json(w, lambda m: m.update(format=1))


@case("model", "format-a-string", message="format must be an integer")
def _(w):
    return model_json(w, lambda m: m.update(format="2"))


@case("model", "params-a-list", message="params must be dict, got list")
def _(w):
    return model_json(w, lambda m: m.update(params=[1, 2]))


@case("model", "params-unknown-key", message="params has unknown keys ['hidden_sizes']")
def _(w):
    return model_json(w, lambda m: m["params"].update(hidden_sizes=[64]))


@case("model", "params-bad-value", message="bad parameters (activation must be one of")
def _(w):
    return model_json(w, lambda m: m["params"].update(activation="gelu"))


@case("model", "params-wrong-type", message="hidden_layer_sizes must be a tuple of positive integers")
def _(w):
    return model_json(w, lambda m: m["params"].update(hidden_layer_sizes="abc"))


@case("model", "params-other-widths", message="the declared network has")
def _(w):
    return model_json(w, lambda m: m["params"].update(hidden_layer_sizes=[64]))


@case("model", "classes-an-object", message="classes must be list, got dict")
def _(w):
    return model_json(w, lambda m: m.update(classes={"a": 1}))


@case("model", "classes-one", message="classes must be a list of at least 2")
def _(w):
    return model_json(w, lambda m: m.update(classes=[3]))


@case("model", "classes-mixed", message="classes must all be integers or all strings")
def _(w):
    return model_json(w, lambda m: m.update(classes=[0, 1, 2, 3, 4, 5, 6, 7, 8, "9"]))


@case("model", "classes-not-digits", message="model.json: classes ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'] "
                                             "are not the integers 0-9")
def _(w):
    return model_json(w, lambda m: m.update(classes=list("abcdefghij")))


@case("model", "combine-classes-not-digits", message="model2/model.json: classes ['0', '1', '2', '3', '4', '5', '6', "
                                                     "'7', '8', '9'] are not the integers 0-9")
def _(w):
    shutil.copytree(w / "model", w / "model2")
    edit_json(w / "model2/model.json", lambda m: m.update(classes=list("0123456789")))
    return ["ensemble", "--combine", "model", "model2", "--submission", "new.csv"]


@case("model", "n-features-negative", message="n_features_in must be between")
def _(w):
    return model_json(w, lambda m: m.update(n_features_in=-784))


@case("model", "n-features-other", message="model.json")
def _(w):
    return model_json(w, lambda m: m.update(n_features_in=100))


@case("model", "history-wrong-type", message="history.loss has the wrong type")
def _(w):
    return model_json(w, lambda m: m["history"].update(loss="low"))


@case("model", "scaler-bad", message="scaler must be null or")
def _(w):
    return model_json(w, lambda m: m.update(scaler={"scale": -1}))


@case("model", "arrays-declared-wrong", message="array 0.W is declared")
def _(w):
    return model_json(w, lambda m: m["arrays"]["0.W"].update(shape=[784, 9]))


@case("model", "newer-version", message="saved by kaggle-mnist 9.0.0")
def _(w):
    return model_json(w, lambda m: m.update(kaggle_mnist_version="9.0.0"))


@case("model", "weights-missing", message="weights.npz is missing")
def _(w):
    (w / "model/weights.npz").unlink()
    return PREDICT


@case("model", "weights-truncated", message="checksum does not match")
def _(w):
    path = w / "model/weights.npz"
    path.write_bytes(path.read_bytes()[:300])
    return PREDICT


def matching_checksum(w):
    path = w / "model/weights.npz"
    return model_json(w, lambda m: m.update(weights_sha256=hashlib.sha256(path.read_bytes()).hexdigest()))


@case("model", "weights-nan-checksum-updated", message="holds NaN or infinite values")
def _(w):
    path = w / "model/weights.npz"
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    first = sorted(arrays)[0]
    arrays[first] = arrays[first].copy()
    arrays[first].flat[0] = np.nan
    np.savez(path, **arrays)
    return matching_checksum(w)


@case("model", "model-json-integer-of-5000-digits", message="not valid JSON")
def _(w):
    path = w / "model/model.json"
    path.write_text(path.read_text().replace('"format": ', '"format": ' + "9" * 5000 + ", \"was\": ", 1))
    return PREDICT


@case("model", "weights-garbage-checksum-updated", message="unreadable")
def _(w):
    (w / "model/weights.npz").write_bytes(b"PK\x03\x04 not a zip")
    return matching_checksum(w)


@case("model", "weights-impossible-array", message="array 0.W is (1000000000000, 128) float32")
def _(w):
    """A header that claims a 4 TB array (and a checksum to match): refused by its
    header, before anything is allocated."""
    path = w / "model/weights.npz"
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    path.unlink()
    with zipfile.ZipFile(path, "w") as z:
        for name, a in arrays.items():
            with z.open(f"{name}.npy", "w") as f:
                if name == "0.W":
                    np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False,
                                                             "shape": (10**12, 128)})
                    f.write(b"\0" * 64)
                else:
                    np.lib.format.write_array(f, a)
    return matching_checksum(w)


@case("model", "weights-missing-array", message="holds arrays")
def _(w):
    path = w / "model/weights.npz"
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files if k != "2.b"}
    np.savez(path, **arrays)
    return matching_checksum(w)


# ------------------------------------------------------------------ flags
CV = ["cv", "--preset", "fast", "--out", "run", "--submission", "s.csv", "--quiet"]


@case("flag", "seed-negative", message="argument --seed: '-1' is not a seed")
def _(w):
    return [*TRAIN, "--seed", "-1"]


@case("flag", "seed-too-large", message="is not a seed in [0, 4294967295]")
def _(w):
    return [*TRAIN, "--seed", str(2**32)]


@case("flag", "folds-one", message="argument --folds: '1' is below 2")
def _(w):
    return [*CV, "--folds", "1"]


@case("flag", "folds-not-a-number", message="argument --folds: 'five' is not an integer")
def _(w):
    return [*CV, "--folds", "five"]


@case("flag", "holdout-out-of-range", message="argument --holdout")
def _(w):
    return [*CV, "--holdout", "1.5"]


@case("flag", "holdout-with-folds", message="argument --holdout: not allowed with argument --folds")
def _(w):
    return [*CV, "--folds", "3", "--holdout", "0.2"]


@case("flag", "holdout-with-the-default-folds", message="argument --holdout: not allowed with argument --folds")
def _(w):
    return [*CV, "--folds", "5", "--holdout", "0.2"]


@case("flag", "weights-negative", message="--weights: 2 non-negative weights with a positive sum are needed")
def _(w):  # refused before any folder is read: "nothing" would be named otherwise
    return ["ensemble", "--combine", "model", "nothing", "--weights=-1,2", "--submission", "new.csv"]


@case("flag", "n-jobs-zero", message="argument --n-jobs: '0' is below 1")
def _(w):
    return [*CV, "--n-jobs", "0"]


@case("flag", "unknown-preset", message="invalid choice: 'huge'")
def _(w):
    return ["train", "--preset", "huge"]


@case("flag", "unknown-option", message="unrecognized arguments: --colour")
def _(w):
    return [*TRAIN, "--colour", "red"]


@case("flag", "unknown-command", message="invalid choice: 'fit'")
def _(w):
    return ["fit"]


@case("flag", "set-unknown-parameter", message="--set 'colour=red': expected NAME=VALUE")
def _(w):
    return [*TRAIN, "--set", "colour=red"]


@case("flag", "set-max-iter-zero", message="max_iter must be an integer in [1, inf)")
def _(w):
    return [*TRAIN, "--set", "max_iter=0"]


@case("flag", "set-tta-nine", message="tta must be an integer in [0, 8]")
def _(w):
    return [*TRAIN, "--set", "tta=9"]


@case("flag", "set-augment-unknown", message="augment must be None or one of")
def _(w):
    return [*TRAIN, "--set", "augment=flip"]


@case("flag", "set-momentum-above-one", message="momentum must be a number in [0, 1)")
def _(w):
    return [*TRAIN, "--set", "momentum=2"]


@case("flag", "dask-without-scheduler", message="--backend dask needs --scheduler")
def _(w):
    return [*CV, "--backend", "dask"]


@case("flag", "scheduler-unreachable", message="cannot reach the Dask scheduler")
def _(w):
    return [*CV, "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"]


@case("flag", "workdir-missing", message="--workdir nowhere: no such folder")
def _(w):
    return ["--workdir", "nowhere", "runs"]


@case("flag", "batch-size-zero", message="argument --batch-size: '0' is below 1")
def _(w):
    return [*PREDICT, "--batch-size", "0"]


@case("flag", "model-required", message="the following arguments are required: --model")
def _(w):
    return ["predict", "--out", "x.csv"]


@case("flag", "output-exists", message="new.csv already exists (use --force")
def _(w):
    (w / "new.csv").write_text("mine")
    return PREDICT


@case("flag", "output-folder-not-made-by-a-failed-command", message="no such model folder")
def _(w):  # the output's folders are made when it is written, so none are left here
    return ["predict", "--model", "nothing", "--out", "new/deeper/s.csv"]


@case("flag", "output-under-a-broken-link", message="out is not a folder (a broken link)")
def _(w):  # refused before predicting, not when the submission is written
    (w / "out").symlink_to(w / "nowhere")
    return ["predict", "--model", "model", "--out", "out/new/s.csv"]


@case("flag", "output-is-a-folder", message="new.csv is a folder; expected a file")
def _(w):
    (w / "new.csv").mkdir()
    return [*PREDICT, "--force"]


@case("flag", "run-folder-holds-a-run", message="already holds a run")
def _(w):
    (w / "run").mkdir()
    (w / "run/config.json").write_text("{}")
    return CV


@case("flag", "resume-other-settings", message="was made with other settings")
def _(w):
    (w / "run").mkdir()
    (w / "run/config.json").write_text(json.dumps({"preset": "fast", "seed": 1}))
    return [*CV, "--resume"]


@case("flag", "set-random-state", message="--set 'random_state=3': expected NAME=VALUE")
def _(w):
    return [*TRAIN, "--set", "random_state=3"]


@case("flag", "set-alpha-with-adamw", message="alpha (an L2 penalty) does not go with the adamw solver")
def _(w):
    return ["train", "--preset", "lenet", "--set", "alpha=0.1", "--out", "new-model"]


@case("flag", "weights-without-combine", message="--weights goes with --combine")
def _(w):
    return ["ensemble", "--preset", "fast", "--weights", "1,2"]


@case("flag", "combine-with-models", message="--combine trains nothing: --models")
def _(w):
    return ["ensemble", "--combine", "model", "--models", "3", "--submission", "c.csv"]


@case("flag", "combine-weights-nan", message="weights")
def _(w):
    return ["ensemble", "--combine", "model", "model", "--weights", "nan,1", "--submission", "c.csv"]


@case("flag", "force-over-a-folder-the-kit-did-not-write", message="notes holds files but no model.json")
def _(w):
    (w / "notes").mkdir()
    (w / "notes/mine.txt").write_text("mine")
    return [*TRAIN[:-2], "notes", "--quiet", "--force"]


@case("flag", "force-run-over-the-data-folder", message="data holds files but no config.json")
def _(w):
    return ["cv", "--preset", "fast", "--out", "data", "--submission", "s.csv", "--quiet", "--force"]


@case("flag", "force-over-the-working-folder", message="holds the working folder")
def _(w):
    return ["ensemble", "--preset", "fast", "--models", "1", "--out", ".", "--submission", "s.csv", "--force"]


@case("flag", "force-over-a-device", message="new.csv is not a regular file")
def _(w):
    (w / "new.csv").symlink_to("/dev/null")
    return [*PREDICT, "--force"]


@case("flag", "holdout-too-small", message="each side needs at least one row of each of the 10 classes")
def _(w):
    return [*CV, "--holdout", "0.001"]


@case("flag", "models-too-many", message="argument --models: '99999999999999999999' is above 1000")
def _(w):
    return ["ensemble", "--preset", "fast", "--models", "99999999999999999999"]


@case("flag", "set-integer-of-5000-digits", message="max_iter must be an integer")
def _(w):
    return [*TRAIN, "--set", "max_iter=" + "9" * 5000]


@case("flag", "runs-folder-missing", message="nowhere: no such folder")
def _(w):
    return ["runs", "nowhere"]


@case("model", "combine-run-with-nan-probabilities", message="test probabilities must be a 2-d array of probabilities")
def _(w):
    (w / "run").mkdir()
    (w / "run/config.json").write_text("{}")
    np.savez(w / "run/probabilities.npz", oof=np.zeros((300, 10)), test=np.full((100, 10), np.nan),
             classes=np.arange(10))
    return ["ensemble", "--combine", "model", "run", "--submission", "c.csv"]


@case("model", "resume-fold-scored-other-rows", message="not fold 1 of this split")
def _(w):
    argv = [*CV, "--folds", "2", "--set", "max_iter=1"]
    assert run(w, *argv).returncode == 0
    path = w / "run/folds/fold-1/predictions.npz"
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["val_index"] = np.arange(len(arrays["val_index"]))  # rows 0..149: not this split's first fold
    np.savez(path, **arrays)
    return [*argv, "--resume", "--submission", "s2.csv"]


@case("flag", "benchmark-results-exist", message="benchmark.json already exists (use --force")
def _(w):
    (w / "runs").mkdir()
    (w / "runs/benchmark.json").write_text("{}")
    return ["benchmark", "--epochs", "1", "--peers", "numpynet"]


# ------------------------------------------------------------------ faults of the machine
@case("machine", "output-parent-is-a-file", message="sub.csv is not a folder")
def _(w):
    return ["predict", "--model", "model", "--out", "sub.csv/new.csv"]


@case("machine", "output-parent-link-loop", message="")
def _(w):
    (w / "a").symlink_to(w / "b")
    (w / "b").symlink_to(w / "a")
    return ["predict", "--model", "model", "--out", "a/new.csv"]


@case("machine", "disk-full-while-saving", message="File too large")
def _(w):
    # The file-size limit stands for a full disk: writes past it fail (EFBIG), as they
    # would with ENOSPC, while the 300 kB data files can still be read.
    return [*TRAIN, "--set", "hidden_layer_sizes=[2048]"], {resource.RLIMIT_FSIZE: 1_000_000}


@case("machine", "disk-full-while-writing-a-submission", message="File too large")
def _(w):
    return [*PREDICT], {resource.RLIMIT_FSIZE: 500}


@case("machine", "read-only-folder", message="cannot write there (Read-only file system)")
def _(w):
    ro = w / "ro"
    ro.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here (needs root)")
    return ["predict", "--model", "model", "--out", "ro/new.csv"]


@case("machine", "data-folder-unreadable-link", message="no such data folder")
def _(w):
    (w / "loop").symlink_to(w / "loop")
    return [*TRAIN, "--data-dir", "loop"]


@pytest.mark.parametrize("id", list(CASES))
def test_bad_input(template, tmp_path, id):
    category, make, status, message = CASES[id]
    work = tmp_path / "work"
    shutil.copytree(template, work, symlinks=True)
    made = make(work)
    argv, limits = made if isinstance(made, tuple) else (made, None)
    before = snapshot(work)
    try:
        out = run(work, *argv, limits=limits)
    finally:
        if id == "read-only-folder":
            subprocess.run(["umount", str(work / "ro")], capture_output=True)
    assert out.returncode == status, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert message in lines[0], lines[0]
    after = snapshot(work)
    assert after == before, {k: (before.get(k), after.get(k)) for k in before.keys() | after.keys()
                             if before.get(k) != after.get(k)}


def test_the_catalogue_covers_every_category_with_sixty_cases_or_more():
    counts = {}
    for category, *_ in CASES.values():
        counts[category] = counts.get(category, 0) + 1
    assert set(counts) == {"csv", "submission", "model", "flag", "machine"} and sum(counts.values()) >= 60, counts


# ------------------------------------------------------------------ valid but unusual: accepted
@pytest.mark.parametrize("style", ["crlf", "bom", "no-final-newline", "bom-crlf-no-final-newline"])
def test_unusual_but_valid_files_are_accepted(template, tmp_path, style):
    work = tmp_path / "work"
    shutil.copytree(template, work, symlinks=True)

    def restyle(path):
        text = path.read_text()
        if "no-final-newline" in style:
            text = text.rstrip("\n")
        if "crlf" in style:
            text = text.replace("\n", "\r\n")
        path.write_bytes((b"\xef\xbb\xbf" if "bom" in style else b"") + text.encode())

    for name in ("data/train.csv", "data/test.csv", "sub.csv"):
        restyle(work / name)
    X, y = data.load_train(work / "data/train.csv")
    assert X.shape == (300, 784) and len(y) == 300
    assert run(work, "validate", "sub.csv", "--test", "data/test.csv").returncode == 0
    out = run(work, *TRAIN)
    assert out.returncode == 0, out.stderr
    out = run(work, "predict", "--model", "new-model", "--out", "new.csv")
    assert out.returncode == 0, out.stderr
