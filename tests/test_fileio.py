"""Atomic writes: the target appears whole or not at all; nothing old is lost."""

import os

import pytest

from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.fileio import atomic_dir, atomic_path, check_writable, write_json, write_text


def test_write_text_and_json_replace_whole_and_leave_no_temporary(tmp_path):
    path = tmp_path / "a.txt"
    write_text(path, "one\n")
    write_text(path, "two\n")
    assert path.read_text() == "two\n" and os.listdir(tmp_path) == ["a.txt"]
    write_json(tmp_path / "b.json", {"x": [1, 2]})
    assert (tmp_path / "b.json").read_text() == '{\n  "x": [\n    1,\n    2\n  ]\n}\n'


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash in the middle")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]


def test_existing_file_needs_force(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("mine")
    with pytest.raises(KaggleMnistError, match="already exists"):
        write_text(path, "theirs", force=False)
    assert path.read_text() == "mine"
    (tmp_path / "file").write_text("")
    with pytest.raises(KaggleMnistError, match="is not a folder"):
        check_writable(tmp_path / "file" / "x.csv")


def test_missing_folders_are_made_when_the_output_is_written_not_when_checked(tmp_path):
    check_writable(tmp_path / "a" / "b" / "s.csv")
    check_writable(tmp_path / "a" / "model", folder=True)
    assert os.listdir(tmp_path) == []  # a command failing after its checks leaves nothing
    write_text(tmp_path / "a" / "b" / "s.csv", "x\n")
    with atomic_dir(tmp_path / "c" / "model") as tmp:
        (tmp / "model.json").write_text("{}")
    assert (tmp_path / "a/b/s.csv").read_text() == "x\n" and (tmp_path / "c/model/model.json").is_file()


def test_atomic_dir_swaps_whole_folders_and_keeps_the_old_one_on_failure(tmp_path):
    target = tmp_path / "model"
    with atomic_dir(target) as tmp:
        (tmp / "w").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_dir(target, force=True) as tmp:
            (tmp / "w").write_text("2")
            raise RuntimeError
    assert (target / "w").read_text() == "1" and os.listdir(tmp_path) == ["model"]
    with atomic_dir(target, force=True) as tmp:
        (tmp / "w").write_text("3")
    assert (target / "w").read_text() == "3" and os.listdir(tmp_path) == ["model"]


def test_files_get_the_usual_permissions(tmp_path):
    write_text(tmp_path / "a.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask
