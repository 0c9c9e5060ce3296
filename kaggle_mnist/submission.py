"""Submissions: write them, check them as Kaggle does, score them offline.

A Digit Recognizer submission is a CSV with the header ``ImageId,Label`` and one row
per test image: ImageId 1..N in test.csv order, Label an integer 0-9. A solution file
(made by ``kaggle-mnist prepare``) adds the true labels and Kaggle's ``Usage`` column,
which splits the rows into a Public and a Private part of the leaderboard.
"""

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kaggle_mnist.errors import SubmissionError
from kaggle_mnist.fileio import check_writable, unreadable, write_text

HEADER = "ImageId,Label"
N_TEST = 28000
LABELS = range(10)


_DIGITS = re.compile("[0-9]+")  # ASCII digits only: str.isdigit() also takes "²" and "٣"


def write_submission(path, labels, force=False):
    """Write ``labels`` (n,) as a submission to ``path``, atomically.

    Refuses to replace an existing file unless ``force``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.isin(labels, LABELS).all():
        raise SubmissionError("submission labels must be a 1-d array of integers 0-9")
    check_writable(path, force)
    rows = "".join(f"{i},{int(label)}\n" for i, label in enumerate(labels, start=1))
    write_text(path, f"{HEADER}\n{rows}", force=True)


def find_problems(path, n_rows=N_TEST, limit=20):
    """Check a submission file as Kaggle does; return up to ``limit`` problems.

    Each problem is a string naming its line. An empty list means the file is valid.
    Checked: the exact header, the row count, every ImageId 1..n_rows exactly once,
    integer labels 0-9, two columns on every row, no blank lines.
    """
    path = Path(path)
    if problem := unreadable(path, "CSV file"):
        return [f"{path}: {problem}"]
    try:
        text = path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as e:
        return [f"{path}: not UTF-8 text ({e.reason} at byte {e.start})"]
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    problems = []

    def problem(msg):
        problems.append(f"{path}, {msg}")
        return len(problems) >= limit

    if not lines:
        return [f"{path}: the file is empty"]
    if lines[0] != HEADER:
        if problem(f"line 1: header is {lines[0][:40]!r}, expected {HEADER!r}"):
            return problems
    seen = {}
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if line.strip() == "":
            stop = problem(f"line {number}: blank line")
        elif len(cells) != 2:
            stop = problem(f"line {number}: {len(cells)} columns, expected 2 (ImageId,Label)")
        else:
            image_id, label = cells
            stop = False
            if not _DIGITS.fullmatch(image_id) or not 1 <= int(image_id) <= n_rows:
                stop = problem(f"line {number}: ImageId {image_id!r} is not an integer 1-{n_rows}")
            elif int(image_id) in seen:
                stop = problem(f"line {number}: ImageId {image_id} appears again (first on line {seen[int(image_id)]})")
            else:
                seen[int(image_id)] = number
            if not stop and (not _DIGITS.fullmatch(label) or int(label) not in LABELS):
                stop = problem(f"line {number}: Label {label!r} is not an integer 0-9")
        if stop:
            return problems
    n_data = len(lines) - 1
    if n_data != n_rows:
        problem(f"{n_data} rows, expected {n_rows} (one per test image)")
    elif len(seen) < n_rows:
        missing = min(set(range(1, n_rows + 1)) - seen.keys())
        problem(f"ImageId {missing} is missing")
    return problems


def read_submission(path, n_rows=N_TEST):
    """Labels (n_rows,) of a valid submission, in ImageId order; SubmissionError if not."""
    problems = find_problems(path, n_rows, limit=1)
    if problems:
        raise SubmissionError(problems[0])
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    labels = np.empty(n_rows, dtype=np.int64)
    labels[table[:, 0] - 1] = table[:, 1]
    return labels


@dataclass
class Solution:
    """True test labels: labels (n,) in ImageId order; public (n,) bool or None."""

    labels: np.ndarray
    public: np.ndarray = None


def read_solution(path):
    """Read ``solution.csv`` (ImageId,Label[,Usage]); SubmissionError if malformed."""
    import pandas as pd

    path = Path(path)
    if problem := unreadable(path, "CSV file"):
        raise SubmissionError(f"{path}: {problem}")
    try:
        frame = pd.read_csv(path, dtype={"Usage": str}, keep_default_na=False)  # a blank Usage stays ""
    except (ValueError, pd.errors.ParserError) as e:
        raise SubmissionError(f"{path}: not a solution file ({str(e).splitlines()[0]})") from None
    if frame.empty:
        raise SubmissionError(f"{path}: no rows")
    if list(frame.columns[:2]) != ["ImageId", "Label"]:
        raise SubmissionError(f"{path}: header must start with ImageId,Label, got {','.join(map(str, frame.columns))}")
    if not frame["ImageId"].equals(pd.Series(range(1, len(frame) + 1))) or not frame["Label"].isin(LABELS).all():
        raise SubmissionError(f"{path}: ImageId must run 1..{len(frame)} and Label be integers 0-9")
    public = None
    if "Usage" in frame:
        other = ~frame["Usage"].isin(["Public", "Private"])
        if other.any():
            row = int(np.argmax(other.to_numpy()))
            raise SubmissionError(f"{path}, ImageId {row + 1}: Usage must be Public or Private, "
                                  f"got {frame['Usage'].iloc[row][:40]!r}")
        public = (frame["Usage"] == "Public").to_numpy()
    return Solution(frame["Label"].to_numpy(np.int64), public)


def score(pred, solution):
    """Accuracy overall and on the Public/Private parts, each with its 95% interval, per
    class, and the confusion matrix.

    Args:
        pred: (n,) predicted labels in ImageId order. solution: a :class:`Solution`.
    Returns:
        A JSON-ready dict.
    """
    from sklearn.metrics import confusion_matrix

    truth = solution.labels
    right = pred == truth
    cm = confusion_matrix(truth, pred, labels=list(LABELS))
    per_class = {str(k): float(cm[k, k] / cm[k].sum()) if cm[k].sum() else None for k in LABELS}
    result = {"accuracy": float(right.mean()), "n": int(len(truth)), "mistakes": int((~right).sum()),
              "accuracy_interval": accuracy_interval(int(right.sum()), len(truth))}
    if solution.public is not None:
        for part, mask in (("public", solution.public), ("private", ~solution.public)):
            scored = mask.any()
            result[f"{part}_accuracy"] = float(right[mask].mean()) if scored else None
            result[f"{part}_interval"] = accuracy_interval(int(right[mask].sum()), int(mask.sum())) if scored else None
    result["per_class_accuracy"] = per_class
    result["confusion_matrix"] = cm.tolist()
    return result


def accuracy_interval(n_right, n, z=1.96):
    """The 95% interval of an accuracy measured on ``n`` rows (Wilson's score interval).

    An accuracy is a count over a sample of rows, so it carries sampling noise: about
    sqrt(p (1 - p) / n) for an accuracy p. 85 mistakes in 28,000 rows is 99.696%, and
    the accuracy on digits like these, which many more rows would approach, lies with 95%
    confidence in 99.625-99.754%; 17 mistakes in 7,000 rows, the size of Kaggle's public
    leaderboard, is 99.757%, in 99.611-99.848%. This is the noise of which rows were
    scored, not of training (another seed trains another network). Scores of two
    submissions on the *same* rows are compared more sharply by the rows only one of
    them gets wrong (:func:`sign_test`). Wilson's interval, unlike the plain
    p +- z sqrt(p (1 - p) / n), stays inside [0, 1] and is not zero-width at p = 1.

    Args:
        n_right: rows predicted right. n: rows scored (> 0). z: the normal quantile
            (1.96 for 95%).
    Returns:
        [low, high], accuracies in [0, 1].
    """
    p = n_right / n
    shrink = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / shrink
    half = z / shrink * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [float(max(0.0, centre - half)), float(min(1.0, centre + half))]


def sign_test(only_a, only_b):
    """Could two submissions scored on the same rows differ by chance? (McNemar's exact test)

    Only the rows exactly one of them gets wrong tell them apart. If both were equally
    good, each such row would be A's mistake or B's with probability 1/2, like a coin.
    The p-value is the chance of a split at least this uneven, either way: 22 rows
    against 10 gives 0.05, 21 against 17 gives 0.63.

    Args:
        only_a, only_b: rows only A gets wrong, rows only B gets wrong.
    Returns:
        The two-sided p-value, in (0, 1].
    """
    n = only_a + only_b
    tail = sum(math.comb(n, k) for k in range(min(only_a, only_b) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def shared_mistakes(preds, truth):
    """How far the mistakes of several submissions overlap: the question to ask before
    averaging them.

    Averaging models mends a row only if some of them get it right, or at least rank
    the right digit higher: a row every one of them gets wrong *with the same digit*
    stays wrong, since each ranks that digit above the true one, and so does their
    average. Two models with 100 mistakes each, 90 of them the same rows with the same
    digits, make at least 90 averaged.

    Args:
        preds: (m, n) predicted labels of m submissions. truth: (n,) true labels.
    Returns:
        A JSON-ready dict: ``shared`` (m, m), the rows both i and j get wrong (the
        diagonal: each one's own mistakes); ``in_all``, the rows all m get wrong;
        ``same_wrong_in_all``, those of them where all m give the same wrong digit;
        ``in_any``, the rows at least one gets wrong; ``pairs``, for each pair i < j
        (counted from 1), the rows only i and only j get wrong and :func:`sign_test`'s
        p-value.
    """
    preds, truth = np.asarray(preds), np.asarray(truth)
    wrong = preds != truth  # (m, n)
    counts = wrong.astype(np.int64)
    shared = counts @ counts.T
    pairs = []
    for i, j in itertools.combinations(range(len(preds)), 2):
        only_i, only_j = int(shared[i, i] - shared[i, j]), int(shared[j, j] - shared[i, j])
        pairs.append({"i": i + 1, "j": j + 1, "only_i": only_i, "only_j": only_j, "p": sign_test(only_i, only_j)})
    return {"shared": shared.tolist(), "in_all": int(wrong.all(0).sum()),
            "same_wrong_in_all": int((wrong[0] & (preds == preds[0]).all(0)).sum()),
            "in_any": int(wrong.any(0).sum()), "pairs": pairs}
