"""Submissions: writing, the catalogue of bad files Kaggle would refuse, scoring."""

import subprocess
import sys

import numpy as np
import pytest

from kaggle_mnist.errors import SubmissionError
from conftest import ROOT
from kaggle_mnist.submission import (Solution, accuracy_interval, find_problems, read_submission, score,
                                     shared_mistakes, sign_test, write_submission)

N = 28000


def valid_lines(n=N):
    return ["ImageId,Label"] + [f"{i},{i % 10}" for i in range(1, n + 1)]


def write(tmp_path, lines, end="\n"):
    path = tmp_path / "sub.csv"
    path.write_text("\n".join(lines) + end)
    return path


def test_written_submission_is_valid_and_reads_back(tmp_path):
    labels = np.arange(N) % 10
    path = tmp_path / "sub.csv"
    write_submission(path, labels)
    assert find_problems(path) == []
    assert path.read_text().startswith("ImageId,Label\n1,0\n2,1\n")
    np.testing.assert_array_equal(read_submission(path), labels)
    with pytest.raises(Exception, match="already exists"):
        write_submission(path, labels)


def edit(lines, index, value):
    lines = list(lines)
    lines[index] = value
    return lines


BAD = [
    ("wrong header", lambda l: edit(l, 0, "Id,Label"), "line 1: header is 'Id,Label'"),
    ("27,999 rows", lambda l: l[:-1], "27999 rows, expected 28000"),
    ("28,001 rows", lambda l: l + ["28001,3"], "ImageId '28001' is not an integer 1-28000"),
    ("an id twice", lambda l: edit(l, 5, "4,4"), "line 6: ImageId 4 appears again (first on line 5)"),
    ("id 0", lambda l: edit(l, 1, "0,1"), "line 2: ImageId '0' is not an integer"),
    ("label 10", lambda l: edit(l, 3, "3,10"), "line 4: Label '10' is not an integer 0-9"),
    ("label 3.0", lambda l: edit(l, 3, "3,3.0"), "line 4: Label '3.0' is not an integer 0-9"),
    ("negative label", lambda l: edit(l, 3, "3,-1"), "Label '-1'"),
    ("an extra column", lambda l: edit(l, 2, "2,2,7"), "line 3: 3 columns, expected 2"),
    ("a blank line", lambda l: l[:10] + [""] + l[10:], "line 11: blank line"),
    ("text id", lambda l: edit(l, 2, "two,2"), "ImageId 'two'"),
    ("empty file", lambda l: [], "the file is empty"),
]


@pytest.mark.parametrize("name, change, message", BAD, ids=[b[0] for b in BAD])
def test_bad_submissions_each_named_with_its_line(tmp_path, name, change, message):
    lines = change(valid_lines())
    path = write(tmp_path, lines, end="\n" if lines else "")
    problems = find_problems(path)
    assert problems and message in problems[0], problems
    with pytest.raises(SubmissionError):
        read_submission(path)


def test_missing_id_is_named(tmp_path):
    path = write(tmp_path, edit(valid_lines(), 7, "8,1"))  # ImageId 7 replaced by a second 8
    assert any("appears again" in p for p in find_problems(path))


def test_validate_script_lists_every_problem(tmp_path):
    lines = edit(edit(valid_lines(), 3, "3,10"), 9, "9,x")
    path = write(tmp_path, lines)
    out = subprocess.run([sys.executable, str(ROOT / "scripts/validate_submission.py"), str(path)],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "line 4" in out.stdout and "line 10" in out.stdout
    ok = subprocess.run([sys.executable, str(ROOT / "scripts/validate_submission.py"), str(write(tmp_path, valid_lines()))],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "valid submission" in ok.stdout


def test_score_overall_public_private_and_per_class():
    truth = np.array([0, 1, 2, 3, 0, 1])
    public = np.array([True, True, False, False, False, False])
    pred = np.array([0, 1, 2, 0, 1, 1])
    result = score(pred, Solution(truth, public))
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["public_accuracy"] == 1.0 and result["private_accuracy"] == pytest.approx(0.5)
    assert result["per_class_accuracy"]["0"] == 0.5 and result["per_class_accuracy"]["3"] == 0.0
    assert result["confusion_matrix"][3][0] == 1
    assert result["mistakes"] == 2
    low, high = result["accuracy_interval"]
    assert low < 4 / 6 < high
    assert result["public_interval"][1] == 1.0 and result["private_interval"][0] < 0.5 < result["private_interval"][1]


def test_accuracy_interval_is_wilsons_and_narrows_with_more_rows():
    # Wilson's 95% interval for 0 of 10 is the textbook [0, 0.2775]; it stays inside [0, 1].
    assert accuracy_interval(0, 10) == pytest.approx([0.0, 0.27754], abs=1e-5)
    low, high = accuracy_interval(10, 10)
    assert high == 1.0 and low == pytest.approx(1 - 0.27754, abs=1e-5)
    # README's figure: 85 mistakes in 28,000 rows.
    assert accuracy_interval(27915, 28000) == pytest.approx([0.99625, 0.99754], abs=5e-6)
    # The same accuracy on four times the rows: about half the width.
    small, large = accuracy_interval(6983, 7000), accuracy_interval(27932, 28000)
    ratio = (small[1] - small[0]) / (large[1] - large[0])
    assert 1.9 < ratio < 2.1


def test_shared_mistakes_counts_rows_wrong_in_pairs_in_all_and_in_any():
    truth = np.array([0, 1, 2, 3, 4])
    preds = np.array([[1, 1, 2, 0, 4],     # wrong at rows 0 and 3
                      [1, 1, 0, 3, 4],     # wrong at rows 0 and 2
                      [1, 1, 5, 0, 4]])    # wrong at rows 0, 2 and 3
    overlap = shared_mistakes(preds, truth)
    assert overlap["shared"] == [[2, 1, 2], [1, 2, 2], [2, 2, 3]]
    assert overlap["in_all"] == 1 and overlap["same_wrong_in_all"] == 1 and overlap["in_any"] == 3
    assert [(p["i"], p["j"], p["only_i"], p["only_j"]) for p in overlap["pairs"]] == [(1, 2, 1, 1), (1, 3, 0, 1),
                                                                                      (2, 3, 0, 1)]
    preds[2, 0] = 2  # row 0: wrong in all three, but not with the same digit
    assert shared_mistakes(preds, truth)["same_wrong_in_all"] == 0


def test_sign_test_is_the_exact_binomial_tail_both_ways():
    assert sign_test(0, 0) == 1.0 and sign_test(3, 3) == 1.0
    assert sign_test(5, 0) == sign_test(0, 5) == pytest.approx(2 / 32)
    # 22 against 10: P(X <= 10) for X ~ Binomial(32, 1/2), doubled.
    assert sign_test(22, 10) == pytest.approx(0.0501, abs=1e-4)
