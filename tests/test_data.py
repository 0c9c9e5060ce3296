"""kaggle_mnist.data: loading, validation, and the catalogue of bad inputs."""

import gzip

import numpy as np
import pandas as pd
import pytest

from kaggle_mnist import data
from kaggle_mnist.errors import DataError

HEADER = ",".join(data.TRAIN_HEADER)


def row(label="3", pixel="0", first=None):
    cells = [label] + [pixel] * 784
    if first is not None:
        cells[1] = first
    return ",".join(cells)


def write(tmp_path, text, name="train.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_load_train_reads_values_and_dtypes(tmp_path):
    X = np.random.default_rng(0).integers(0, 256, size=(5, 784), dtype=np.uint8)
    y = np.array([0, 9, 3, 3, 1])
    path = tmp_path / "train.csv"
    data.write_int_csv(path, data.TRAIN_HEADER, np.column_stack([y, X]))
    X2, y2 = data.load_train(path)
    assert X2.dtype == np.uint8 and X2.shape == (5, 784) and X2.flags.c_contiguous
    assert y2.dtype == np.int64
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    # The writer makes Kaggle's bytes: exact header, plain integers, final newline.
    text = path.read_text()
    assert text.startswith("label,pixel0,pixel1,") and text.endswith("\n") and "\r" not in text
    assert pd.read_csv(path).shape == (5, 785)


def test_load_test_reads_pixels(tmp_path):
    X = np.arange(784 * 2).reshape(2, 784) % 256
    path = tmp_path / "test.csv"
    data.write_int_csv(path, data.TEST_HEADER, X)
    np.testing.assert_array_equal(data.load_test(path), X)


@pytest.mark.parametrize(
    "name, text",
    [
        ("crlf and bom", "\ufeff" + HEADER + "\r\n" + row() + "\r\n"),
        ("trailing blank lines", HEADER + "\n" + row() + "\n\n\n"),
        ("no final newline", HEADER + "\n" + row()),
        ("spaces and plus", HEADER + "\n" + row(first=" +0 ") + "\n"),
    ],
)
def test_tolerated_variants_load(tmp_path, name, text):
    X, y = data.load_train(write(tmp_path, text))
    assert X.shape == (1, 784) and y.tolist() == [3] and X[0, 0] == 0


def test_gzip_file_loads(tmp_path):
    path = tmp_path / "train.csv.gz"
    path.write_bytes(gzip.compress((HEADER + "\n" + row("7", "255") + "\n").encode()))
    X, y = data.load_train(path)
    assert y.tolist() == [7] and (X == 255).all()


# The catalogue of bad inputs: (name, file text, words the error must contain).
BAD = [
    ("missing header", row() + "\n", "first line is data"),
    ("reordered header", HEADER.replace("pixel5,pixel6", "pixel6,pixel5") + "\n" + row() + "\n",
     "column 7 is 'pixel6', expected 'pixel5'"),
    ("duplicated column", HEADER.replace("pixel5", "pixel4") + "\n" + row() + "\n", "'pixel4' appears twice"),
    ("extra header column", HEADER + ",pixel784\n" + row() + ",0\n", "786 columns, expected 785"),
    ("missing header column", HEADER.rsplit(",", 1)[0] + "\n" + row() + "\n", "784 columns, expected 785"),
    ("extra column in a row", HEADER + "\n" + row() + "\n" + row() + ",0\n", "line 3: the row has more than 785"),
    ("missing column in a row", HEADER + "\n" + row().rsplit(",", 1)[0] + "\n", "line 2: the row has 784 columns"),
    ("text in a cell", HEADER + "\n" + row(first="abc") + "\n", "line 2, column 'pixel0': 'abc' is not a plain"),
    ("a float", HEADER + "\n" + row(first="3.0") + "\n", "'3.0' is not a plain integer"),
    ("exponent", HEADER + "\n" + row(first="1e2") + "\n", "'1e2' is not a plain integer"),
    ("minus one", HEADER + "\n" + row(first="-1") + "\n", "'-1' is not a plain integer"),
    ("pixel 256", HEADER + "\n" + row() + "\n" + row(first="256") + "\n",
     "line 3, column 'pixel0': value 256 is out of range 0-255"),
    ("pixel 1000", HEADER + "\n" + row(first="1000") + "\n", "value 1000 is out of range"),
    ("label 10", HEADER + "\n" + row(label="10") + "\n", "column 'label': value 10 is out of range 0-9"),
    ("empty file", "", "the file is empty"),
    ("header only", HEADER + "\n", "header but no data rows"),
    ("blank cell", HEADER + "\n" + row(first="") + "\n", "line 2, column 'pixel0': the cell is blank"),
    ("blank line inside", HEADER + "\n" + row() + "\n\n" + row() + "\n", "line 3"),
    ("truncated last line", HEADER + "\n" + row() + "\n" + row()[:301], "line 3"),
    ("quoted cell", HEADER + "\n" + row(first='"7"') + "\n", "'\"7\"' is not a plain integer"),
    ("stray carriage return", HEADER + "\n" + row(first="7\r7") + "\n", "is not a plain integer"),
    ("binary junk", b"\x00\xff\x10garbage", "line 1: column 1 is"),
]


@pytest.mark.parametrize("name, text, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_data_error_naming_the_problem(tmp_path, name, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError) as info:
        data.load_train(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)  # one line
    assert isinstance(info.value, ValueError)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        data.load_train(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        data.load_test(tmp_path)


def test_strict_parser_agrees_with_fast_path(tmp_path):
    X = np.random.default_rng(1).integers(0, 256, size=(50, 785), dtype=np.uint8)
    X[:, 0] %= 10
    path = tmp_path / "train.csv"
    data.write_int_csv(path, data.TRAIN_HEADER, X)
    np.testing.assert_array_equal(data.parse_strict(path, data.TRAIN_HEADER), X)
    np.testing.assert_array_equal(np.column_stack(data.load_train(path)[::-1]), X)


def test_test_file_with_label_column_is_refused(tmp_path):
    path = write(tmp_path, HEADER + "\n" + row() + "\n", "test.csv")
    with pytest.raises(DataError, match="column 1 is 'label', expected 'pixel0'"):
        data.load_test(path)
