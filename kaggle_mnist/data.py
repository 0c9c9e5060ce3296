"""Load and validate Kaggle-format digit files.

The competition's files are plain CSV: ``train.csv`` has the header
``label,pixel0,...,pixel783`` and one row per digit; ``test.csv`` the same without
``label``. Every cell is an integer: pixels 0-255, labels 0-9.

:func:`load_train` and :func:`load_test` check all of that and raise :class:`DataError`
naming the file, line and column of the first problem. Two readers share the work:

- the fast path is pandas' C parser asked for uint8 cells with quoting off, so a
  minus sign, a quote, a letter, a blank or missing cell, an extra column or a value
  above 255 makes it fail (and a scan for ``.``, ``e`` and ``E`` stops the floats it
  would otherwise cast). It is as fast as a plain ``pandas.read_csv``, which validates
  nothing;
- only when it fails does :func:`parse_strict` read the bytes again with NumPy to say
  exactly what and where the first problem is.

Like pandas, both accept spaces around a number and a leading ``+`` (the cell still
spells one integer). Windows line endings, a UTF-8 byte-order mark and gzip-compressed
files (``.gz``) are accepted.
"""

import csv
import gzip
import mmap
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kaggle_mnist.errors import DataError
from kaggle_mnist.fileio import unreadable
from kaggle_mnist.paths import SOLUTION_CSV, TEST_CSV, TRAIN_CSV

N_PIXELS = 784
IMAGE_SHAPE = (28, 28)
PIXEL_COLUMNS = [f"pixel{i}" for i in range(N_PIXELS)]
TRAIN_HEADER = ["label", *PIXEL_COLUMNS]
TEST_HEADER = PIXEL_COLUMNS

_BOM = b"\xef\xbb\xbf"
_NEWLINE, _ZERO = ord("\n"), ord("0")
_WINDOW = 8  # bytes read at each separator: up to 7 of the cell before it, then itself
# What pandas tolerates around an integer: spaces either side, a leading '+'.
_PADDING = re.compile(rb"(?m)(?:(?<=,)|^)[ \t]*\+?|[ \t]+(?=,|$)")


@dataclass
class Competition:
    """What a competition folder holds, read and checked (parts not asked for are None).

    X: (n, 784) uint8 and y: (n,) int64 from train.csv; X_test: (m, 784) uint8 from
    test.csv; solution: the held-out labels of solution.csv where the folder has one
    (``kaggle-mnist prepare`` writes it from MNIST; Kaggle's own files have none).
    """

    folder: Path
    X: np.ndarray = None
    y: np.ndarray = None
    X_test: np.ndarray = None
    solution: object = None  # submission.Solution

    def signature(self):
        """What identifies the data: the SHA-256 of train.csv and test.csv. Runs and
        models record it, so that only predictions of the same test rows, by models
        trained on the same rows, are ever averaged together."""
        import hashlib

        return {name: hashlib.sha256((self.folder / name).read_bytes()).hexdigest()
                for name in (TRAIN_CSV, TEST_CSV) if (self.folder / name).is_file()}


def load_competition(folder, train=True, test=True, solution=True):
    """Read a competition folder: train.csv, test.csv and, where present, solution.csv.

    Every script goes through here, so the file names live in one place
    (:mod:`kaggle_mnist.paths`). Raises :class:`DataError` naming the file at fault.
    """
    from kaggle_mnist.submission import read_solution

    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such data folder" if not folder.exists() else f"{folder}: not a folder")
    comp = Competition(folder)
    if train:
        comp.X, comp.y = load_train(folder / TRAIN_CSV)
    if test:
        comp.X_test = load_test(folder / TEST_CSV)
    solution_path = folder / SOLUTION_CSV
    if solution and solution_path.exists():
        comp.solution = read_solution(solution_path)
        if comp.X_test is not None and len(comp.solution.labels) != len(comp.X_test):
            raise DataError(f"{solution_path}: {len(comp.solution.labels)} rows for the "
                            f"{len(comp.X_test)} rows of {folder / TEST_CSV}")
    return comp


def check_labels(y, path, n_folds=None):
    """Refuse training labels that cannot train a classifier (one class), or that cannot
    be cut into ``n_folds`` stratified folds (a class with fewer rows than folds)."""
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise DataError(f"{path}: every label is {classes[0] if len(classes) else 'missing'}; "
                        "training needs at least 2 classes")
    if n_folds is not None and counts.min() < n_folds:
        rare = classes[counts.argmin()]
        raise DataError(f"{path}: label {rare} has {counts.min()} rows, fewer than the {n_folds} folds")


def fit_or_explain(model, X, y, path):
    """``model.fit(X, y)``; a ValueError (rows too few for its validation split, say)
    becomes a one-line DataError naming the training file."""
    try:
        return model.fit(X, y)
    except ValueError as e:
        raise DataError(f"{path}: cannot train on these {len(y)} rows: {str(e).splitlines()[0]}") from None


# Reading a CSV of pixels takes about this many bytes of memory per byte of file: the
# parser's buffers, then the uint8 table (measured: 300 MB for the 73 MB train.csv).
MEMORY_PER_FILE_BYTE = 4


def available_memory():
    """Bytes of memory available to a new allocation (Linux's MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_fits_in_memory(path):
    """Refuse, before reading it, a file too large for the memory this machine has free."""
    size, free = path.stat().st_size, available_memory()
    if free is not None and size * MEMORY_PER_FILE_BYTE > free:
        raise DataError(f"{path}: {size / 2**30:.1f} GiB is too large to read with the {free / 2**30:.1f} GiB "
                        "of memory free")


def load_train(path):
    """Read a Kaggle ``train.csv``.

    Returns:
        X: (n, 784) uint8 pixels, row-major 28 x 28 images.
        y: (n,) int64 labels in 0-9.

    Raises:
        DataError: the file is missing or breaks the format; the message names the
            file and the first offending line and column.
    """
    table = read_int_csv(path, TRAIN_HEADER, {0: 9})
    return np.ascontiguousarray(table[:, 1:]), table[:, 0].astype(np.int64)


def load_test(path):
    """Read a Kaggle ``test.csv``: returns X, (n, 784) uint8."""
    return read_int_csv(path, TEST_HEADER, {})


def read_int_csv(path, header, max_values):
    """Read a CSV of integers 0-255 with an exact header.

    Args:
        path: the file (plain, or gzip-compressed with a ``.gz`` name).
        header: the exact list of column names expected on the first line.
        max_values: {column index: largest allowed value} for columns below 255.

    Returns:
        (n_rows, len(header)) uint8 array.
    """
    path = Path(path)
    if problem := unreadable(path, "CSV file"):
        raise DataError(f"{path}: {problem}")
    check_fits_in_memory(path)
    table = _read_fast(path, header)
    if table is None:
        table = parse_strict(path, header)
    for col, limit in max_values.items():
        too_big = table[:, col] > limit
        if too_big.any():
            row = int(np.argmax(too_big))
            raise DataError(
                f"{path}, line {row + 2}, column {header[col]!r}: value {table[row, col]} is out of range 0-{limit}"
            )
    return table


def _read_fast(path, header):
    """pandas' C parser with strict settings; None if anything at all goes wrong."""
    import pandas as pd

    if path.suffix == ".gz":
        return None
    try:
        with open(path, "rb") as f:
            first = f.readline()
            if first.removeprefix(_BOM).rstrip(b"\r\n").decode("utf-8") != ",".join(header):
                return None
            # pandas falls back to floats and casts 3.0 or 1e2 to uint8 "safely"; a file
            # of integers has no decimal point and no exponent anywhere.
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                if any(mm.find(c, len(first)) >= 0 for c in (b".", b"e", b"E")):
                    return None
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a pandas warning also means "not clean"
            frame = pd.read_csv(
                path, header=None, skiprows=1, dtype=np.uint8, na_filter=False, quoting=csv.QUOTE_NONE,
                skip_blank_lines=False, index_col=False, memory_map=True, engine="c",
            )
    except Exception:  # noqa: BLE001 - whatever it was, the strict parser will name it
        return None
    return frame.to_numpy() if frame.shape[1] == len(header) and len(frame) else None


def parse_strict(path, header):
    """Parse a digit CSV with NumPy, naming the first problem precisely.

    Slower than the fast path; used to say what is wrong with a file pandas refused.

    Returns:
        (n_rows, len(header)) uint8 array. Raises :class:`DataError`.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")  # a stray \r left over is reported as a bad cell
    if not raw.strip():
        raise DataError(f"{path}: the file is empty")
    header_end = raw.find(b"\n")
    header_end = len(raw) if header_end < 0 else header_end
    _check_header(path, raw[:header_end], header)
    body = raw[header_end + 1:].rstrip(b"\n") + b"\n"  # trailing blank lines are harmless
    if body == b"\n":
        raise DataError(f"{path}: the file has a header but no data rows")
    if b" " in body or b"\t" in body or b"+" in body:
        body = _PADDING.sub(b"", body)
    return _parse_rows(path, body, header, first_line=2)


def _parse_rows(path, body, header, first_line):
    """Parse complete lines of digit cells into a (n_rows, n_cols) uint8 table.

    The method, each step one vectorised pass:

    1. Find the separators (the bytes that are not digits: commas and line ends).
    2. At every separator, read the 8 bytes that end there: up to 7 bytes of the cell
       before it, then the separator itself. A stride-tricks view of *overlapping*
       8-byte windows, one starting at every byte, makes this a single gather.
    3. In each window, count the digits that run up to the separator: 0 is a blank
       cell, more than 3 a value out of range; otherwise the value is
       ``100*d[-3] + 10*d[-2] + d[-1]`` over the digits that belong to the cell.
    4. The separators must come as ``n_cols - 1`` commas and a line end, row after row.

    Args:
        body: bytes of whole lines, ending in ``\n``; ``first_line`` is its first
            line's number in the file (for error messages).
    """
    n_cols = len(header)
    bad = body.translate(None, b"0123456789,\n")  # every byte that is none of these
    if bad:
        pos = body.find(bad[:1])
        raise DataError(f"{_where(path, body, pos, header, first_line)}: {_cell_at(body, pos)!r} is not a plain integer")

    padded = np.frombuffer(b"\n" * (_WINDOW - 1) + body, dtype=np.uint8)
    # windows[i] = body[i - 7 : i + 1]: shape (len(body), 8), no copy.
    windows = np.lib.stride_tricks.sliding_window_view(padded, _WINDOW)
    seps = np.flatnonzero(padded[_WINDOW - 1:] - np.uint8(_ZERO) >= 10)  # (n_cells,)
    cells = windows[seps] - np.uint8(_ZERO)  # (n_cells, 8), wraps for non-digits
    is_digit = cells[:, :-1] < 10  # (n_cells, 7)

    # Digits that run up to the separator: column 6 is the last byte of the cell.
    run1 = is_digit[:, 6]
    run2 = run1 & is_digit[:, 5]
    run3 = run2 & is_digit[:, 4]
    if not run1.all():
        pos = int(seps[np.argmin(run1)])
        raise DataError(f"{_where(path, body, pos, header, first_line)}: the cell is blank")
    if (run3 & is_digit[:, 3]).any():
        pos = int(seps[np.argmax(run3 & is_digit[:, 3])]) - 1
        raise DataError(f"{_where(path, body, pos, header, first_line)}: value {_cell_at(body, pos)} is out of range 0-255")

    is_newline = cells[:, 7] == np.uint8((_NEWLINE - _ZERO) % 256)  # cells wrapped mod 256
    if seps.size % n_cols or is_newline.reshape(-1, n_cols)[:, :-1].any():
        _raise_ragged(path, is_newline, n_cols, first_line)

    values = cells[:, 6].astype(np.uint16)
    values += cells[:, 5] * run2.astype(np.uint16) * 10
    values += cells[:, 4] * run3.astype(np.uint16) * 100
    if values.max() > 255:
        pos = int(seps[np.argmax(values > 255)]) - 1
        raise DataError(f"{_where(path, body, pos, header, first_line)}: value {_cell_at(body, pos)} is out of range 0-255")
    return values.astype(np.uint8).reshape(-1, n_cols)


def _raise_ragged(path, is_newline, n_cols, first_line):
    """Name the first row whose separators break the header's pattern."""
    should_be_newline = np.arange(1, is_newline.size + 1) % n_cols == 0
    k = int(np.argmax(is_newline != should_be_newline))
    line = first_line + k // n_cols
    if is_newline[k]:
        raise DataError(f"{path}, line {line}: the row has {k % n_cols + 1} columns, expected {n_cols}")
    raise DataError(f"{path}, line {line}: the row has more than {n_cols} columns")


def _read_bytes(path):
    if problem := unreadable(path, "CSV file"):
        raise DataError(f"{path}: {problem}")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError) as e:  # unreadable, or a damaged gzip stream
        raise DataError(f"{path}: cannot be read ({e})") from None


def _check_header(path, line, expected):
    names = line.decode("utf-8", errors="replace").split(",")
    if names == expected:
        return
    if names[0].strip().lstrip("-").isdigit():
        raise DataError(f"{path}: the first line is data, not the header {','.join(expected[:3])},...")
    seen = set()
    for name in names:
        if name in seen:
            raise DataError(f"{path}, line 1: column {name!r} appears twice")
        seen.add(name)
    for i, (got, want) in enumerate(zip(names, expected)):
        if got != want:
            raise DataError(f"{path}, line 1: column {i + 1} is {got!r}, expected {want!r}")
    raise DataError(
        f"{path}, line 1: the header has {len(names)} columns, expected {len(expected)} "
        f"({expected[0]},...,{expected[-1]})"
    )


def _cell_at(body, pos):
    """The text of the cell containing byte ``pos``."""
    start = max(body.rfind(b",", 0, pos), body.rfind(b"\n", 0, pos)) + 1
    ends = [i for i in (body.find(b",", pos), body.find(b"\n", pos)) if i >= 0]
    return body[start:min(ends)].decode("utf-8", errors="replace")


def _where(path, body, pos, header, first_line):
    """'file, line L, column NAME' for byte ``pos`` of ``body``, whose first line is ``first_line``."""
    line_start = body.rfind(b"\n", 0, pos) + 1
    line = body.count(b"\n", 0, pos) + first_line
    col = body.count(b",", line_start, pos)
    name = header[col] if col < len(header) else f"#{col + 1}"
    return f"{path}, line {line}, column {name!r}"


def write_int_csv(path, header, table):
    """Write a (n_rows, n_cols) integer table as a Kaggle-style CSV, atomically.

    Plain integers, ``\\n`` line endings, no index column, a final newline: the same
    bytes as Kaggle's own files.
    """
    from kaggle_mnist.fileio import write_bytes

    table = np.asarray(table)
    lut = [str(i).encode() for i in range(int(table.max(initial=0)) + 1)]
    lines = [",".join(header).encode()]
    lines += [b",".join(map(lut.__getitem__, row)) for row in table.tolist()]
    write_bytes(path, b"\n".join(lines) + b"\n")
