"""kaggle_mnist.prepare and scripts/prepare_data.py on a tiny fake IDX set."""

import hashlib
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, write_idx
from kaggle_mnist import data, prepare
from kaggle_mnist.errors import DataError, KaggleMnistError

SCRIPT = ROOT / "scripts" / "prepare_data.py"


def run_script(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True)


def test_read_idx_raw_and_gzip(idx_dir):
    raw = prepare.read_idx(idx_dir / "train-images-idx3-ubyte")
    gz = prepare.read_idx(idx_dir / "t10k-images-idx3-ubyte.gz")
    assert raw.shape == (200, 28, 28) and gz.shape == (50, 28, 28) and raw.dtype == np.uint8


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x00\x08", "bad magic number"),
        (b"\x01\x02\x03\x04" + bytes(20), "bad magic number"),
        (bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big"), "truncated IDX header"),
        (bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big") + bytes(4), "does not match its declared shape"),
        (b"not gzip at all", "cannot be read"),
    ],
)
def test_corrupt_idx_files(tmp_path, content, message):
    path = tmp_path / ("x.gz" if content == b"not gzip at all" else "x")
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        prepare.read_idx(path)


def test_wrong_checksum_is_refused(idx_dir):
    # The fake files are valid IDX but not the real MNIST bytes.
    with pytest.raises(DataError, match="SHA-256 .* does not match"):
        prepare.load_mnist(idx_dir, verify_sha256=True)


def test_missing_idx_file(idx_dir):
    (idx_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="no t10k-labels-idx1-ubyte"):
        prepare.load_mnist(idx_dir)


def test_label_count_mismatch(idx_dir):
    write_idx(idx_dir / "train-labels-idx1-ubyte", np.zeros(199, np.uint8))
    with pytest.raises(DataError, match="199 labels for 200 images"):
        prepare.load_mnist(idx_dir)


def test_idx_files_without_images(idx_dir):
    write_idx(idx_dir / "train-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    write_idx(idx_dir / "train-labels-idx1-ubyte", np.zeros(0, np.uint8))
    with pytest.raises(DataError, match="holds no images"):
        prepare.load_mnist(idx_dir)


def test_split_is_stratified_disjoint_and_seeded(tmp_path, idx_dir):
    out = tmp_path / "data"
    message = prepare.prepare(out, source="idx", idx_dir=idx_dir, seed=3)
    assert "150 rows" in message and "100 rows" in message
    X_train, y_train = data.load_train(out / "train.csv")
    X_test = data.load_test(out / "test.csv")
    solution = pd.read_csv(out / "solution.csv")
    assert len(X_train) == 150 and len(X_test) == 100  # 60% / 40%, Kaggle's shape

    # Disjoint and complete: the fake images carry their index in two pixels.
    ids = lambda X: set((X[:, 0].astype(int) + 256 * X[:, 1].astype(int)).tolist())  # noqa: E731
    assert ids(X_train).isdisjoint(ids(X_test)) and len(ids(X_train) | ids(X_test)) == 250

    # Stratified: every class keeps its share (25 of each class in all).
    assert np.bincount(y_train).tolist() == [15] * 10
    assert np.bincount(solution["Label"]).tolist() == [10] * 10

    assert solution.columns.tolist() == ["ImageId", "Label", "Usage"]
    assert solution["ImageId"].tolist() == list(range(1, 101))
    assert (solution["Usage"] == "Public").sum() == 25 and set(solution["Usage"]) == {"Public", "Private"}
    sample = (out / "sample_submission.csv").read_text().splitlines()
    assert sample[0] == "ImageId,Label" and sample[1] == "1,0" and len(sample) == 101

    # Same seed, same bytes; another seed, another shuffle.
    again = tmp_path / "again"
    prepare.prepare(again, source="idx", idx_dir=idx_dir, seed=3)
    other = tmp_path / "other"
    prepare.prepare(other, source="idx", idx_dir=idx_dir, seed=4)
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    for name in prepare.OUTPUTS:
        assert digest(out / name) == digest(again / name)
    assert digest(out / "train.csv") != digest(other / "train.csv")


def test_solution_labels_match_test_images(tmp_path, idx_dir):
    out = tmp_path / "data"
    prepare.prepare(out, source="idx", idx_dir=idx_dir, seed=0)
    X_test = data.load_test(out / "test.csv")
    index = X_test[:, 0].astype(int) + 256 * X_test[:, 1].astype(int)
    labels = pd.read_csv(out / "solution.csv")["Label"].to_numpy()
    np.testing.assert_array_equal(labels, index % 10)  # fake_digits labels row i as i % 10


def test_existing_files_are_kept_and_force_rebuilds(tmp_path, idx_dir):
    out = tmp_path / "data"
    prepare.prepare(out, source="idx", idx_dir=idx_dir, seed=0)
    before = (out / "train.csv").read_bytes()
    assert "nothing to do" in prepare.prepare(out, source="idx", idx_dir=idx_dir, seed=1)
    assert "kept them" in prepare.prepare(out, source="auto", seed=1)
    assert (out / "train.csv").read_bytes() == before
    prepare.prepare(out, source="idx", idx_dir=idx_dir, seed=1, force=True)
    assert (out / "train.csv").read_bytes() != before


def test_partial_folder_is_not_overwritten(tmp_path, idx_dir):
    out = tmp_path / "data"
    out.mkdir()
    (out / "solution.csv").write_text("mine")
    with pytest.raises(KaggleMnistError, match="already has solution.csv"):
        prepare.prepare(out, source="idx", idx_dir=idx_dir)
    assert (out / "solution.csv").read_text() == "mine"
    assert not (out / "train.csv").exists()


def test_bad_source_and_missing_idx_dir(tmp_path):
    with pytest.raises(KaggleMnistError, match="--source must be one of"):
        prepare.prepare(tmp_path, source="ftp")
    with pytest.raises(KaggleMnistError, match="needs --idx-dir"):
        prepare.prepare(tmp_path, source="idx")


def test_kaggle_source_without_cli_says_so(tmp_path, monkeypatch):
    from kaggle_mnist import kaggle_cli

    monkeypatch.setenv("PATH", str(tmp_path))  # no npm
    monkeypatch.setattr(kaggle_cli, "find_cli", lambda: None)  # and no kaggle, installed or not
    with pytest.raises(KaggleMnistError, match="kaggle CLI is not installed"):
        prepare.prepare(tmp_path / "d", source="kaggle")
    with pytest.raises(KaggleMnistError, match="no data source"):
        prepare.prepare(tmp_path / "d", source="auto")


def test_kaggle_source_with_cli_but_no_credentials(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "kaggle"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "empty"))
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_KERNEL_RUN_TYPE"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(KaggleMnistError, match="cannot sign in"):
        prepare.prepare(tmp_path / "d", source="kaggle")


def test_script_reports_errors_in_one_line(tmp_path, idx_dir):
    ok = run_script("--data-dir", tmp_path / "d", "--source", "idx", "--idx-dir", idx_dir)
    assert ok.returncode == 0 and "wrote train.csv (150 rows)" in ok.stdout
    again = run_script("--data-dir", tmp_path / "d", "--source", "idx", "--idx-dir", idx_dir)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    bad = run_script("--data-dir", tmp_path / "e", "--source", "idx", "--idx-dir", tmp_path / "nowhere")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "e").exists()  # the data folder is made only when there is something to put in it
    flag = run_script("--source", "ftp")
    assert flag.returncode == 2 and "invalid choice" in flag.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_npm_source_builds_the_real_split(real_data_dir):
    """The real 70,000 digits: four files, Kaggle's row counts, stratified within 0.3 pp."""
    X_train, y_train = data.load_train(real_data_dir / "train.csv")
    X_test = data.load_test(real_data_dir / "test.csv")
    solution = pd.read_csv(real_data_dir / "solution.csv")
    assert X_train.shape == (42000, 784) and X_test.shape == (28000, 784)
    share_train = np.bincount(y_train, minlength=10) / len(y_train)
    share_test = np.bincount(solution["Label"], minlength=10) / len(solution)
    assert np.abs(share_train - share_test).max() < 0.003
    train_rows = {r.tobytes() for r in X_train[:2000]}
    assert not any(r.tobytes() in train_rows for r in X_test)  # no digit in both (of a sample)
    assert (real_data_dir / "sample_submission.csv").read_text().startswith("ImageId,Label\n1,0\n")
    assert os.path.getsize(real_data_dir / "train.csv") > 70_000_000


def test_staging_changes_the_folder_as_one(tmp_path):
    """The split's files are moved in together, an old solution.csv removed with them;
    a failure half-way leaves the folder as it was."""
    (tmp_path / "train.csv").write_text("old train")
    (tmp_path / "solution.csv").write_text("old labels")
    with pytest.raises(RuntimeError):
        with prepare.staging(tmp_path, remove=["solution.csv"]) as stage:
            (stage / "train.csv").write_text("new train")
            raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["solution.csv", "train.csv"]
    assert (tmp_path / "train.csv").read_text() == "old train"
    with prepare.staging(tmp_path, remove=["solution.csv"]) as stage:
        (stage / "train.csv").write_text("new train")
        (stage / "test.csv").write_text("new test")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.csv", "train.csv"]
    assert (tmp_path / "train.csv").read_text() == "new train"
