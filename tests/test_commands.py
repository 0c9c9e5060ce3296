"""The kaggle-mnist command: subcommands, --help, one-line usage errors, paths from the
working folder."""

import json
import subprocess
import sys

import pytest

from kaggle_mnist import cli, paths
from kaggle_mnist.commands import COMMANDS


def kaggle_mnist(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kaggle_mnist", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def test_every_command_has_help_describing_every_option():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)
    for name, command_parser in sub.choices.items():
        for action in command_parser._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.option_strings or action.dest} has no help"
    text = sub.choices["cv"].format_help()
    assert "--folds FOLDS" in text and "(default: 5)" in text and "(default: 0)" in text and "(default: mlp)" in text


def test_python_m_runs_the_command():
    out = kaggle_mnist("--help")
    assert out.returncode == 0 and "cv" in out.stdout and "benchmark" in out.stdout


@pytest.mark.parametrize("args, message", [
    (["cv", "--seed", "-1"], "argument --seed: '-1' is not a seed in [0, 4294967295]"),
    (["cv", "--seed", str(2**32)], "is not a seed"),
    (["cv", "--folds", "x"], "argument --folds: 'x' is not an integer"),
    (["cv", "--folds", "1"], "argument --folds: '1' is below 2"),
    (["cv", "--holdout", "1.5"], "not a fraction strictly between 0 and 1"),
    (["cv", "--preset", "big"], "invalid choice: 'big' (choose from 'seed-2layer'"),
    (["train", "--colour", "red"], "unrecognized arguments: --colour red"),
    (["predict"], "the following arguments are required: --model, --out"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["--workdir", "/no/such/folder", "runs"], "--workdir /no/such/folder: no such folder"),
])
def test_usage_mistakes_are_one_line_exit_2_and_write_nothing(tmp_path, args, message):
    out = kaggle_mnist(*args, cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_workdir_and_defaults_are_relative_to_it(tmp_path, kaggle_dir):
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(kaggle_dir)
    out = kaggle_mnist("--workdir", work, "train", "--preset", "fast", "--set", "max_iter=1", "--quiet")
    assert out.returncode == 0, out.stderr
    assert (work / "models" / "fast-seed0" / "model.json").exists()
    assert sorted(p.name for p in work.iterdir()) == ["data", "models"]


def test_a_kaggle_notebook_reads_the_mounted_competition(tmp_path, monkeypatch, kaggle_dir):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(paths, "KAGGLE_INPUT", kaggle_dir)
    assert paths.default_data_dir() == kaggle_dir
    (tmp_path / "data").mkdir()  # a data folder of one's own wins
    assert paths.default_data_dir() == paths.DATA_DIR


def test_runs_lists_finished_runs_best_first(tmp_path):

    for name, oof, held in [("a", 0.97, 0.975), ("b", 0.99, 0.991), ("c", 0.98, None)]:
        run = tmp_path / name
        run.mkdir()
        (run / "config.json").write_text(json.dumps({"preset": "fast", "folds": 3, "holdout": None, "seed": 0}))
        (run / "metrics.json").write_text(json.dumps({"oof_accuracy": oof, "seconds": 90,
                                                      "submission_score": held and {"accuracy": held},
                                                      "submission": f"submissions/{name}.csv"}))
    (tmp_path / "unfinished").mkdir()
    out = kaggle_mnist("runs", tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:6] == ["#", "run", "preset", "folds", "seed", "out-of-fold"]
    assert [line.split()[1] for line in lines[1:]] == ["b", "a", "c"]
    assert "0.99100" in lines[1] and "1.5 min" in lines[1] and "submissions/b.csv" in lines[1]


def test_score_several_submissions_prints_each_and_the_mistakes_they_share(tmp_path, kaggle_dir):
    labels = [int(line.split(",")[1]) for line in (kaggle_dir / "solution.csv").read_text().splitlines()[1:]]
    wrong = lambda rows: [(label + 1) % 10 if i in rows else label for i, label in enumerate(labels)]  # noqa: E731
    for name, rows in (("a.csv", {0, 1, 2}), ("b.csv", {1, 2, 3, 4})):
        (tmp_path / name).write_text("ImageId,Label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(wrong(rows), 1)))
    out = kaggle_mnist("score", "a.csv", "b.csv", "--data-dir", kaggle_dir, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1: a.csv: accuracy 0.98500 on 200 rows, 3 mistakes (95% interval" in out.stdout
    assert "2: b.csv: accuracy 0.98000 on 200 rows, 4 mistakes" in out.stdout
    assert "   1:      3      2\n   2:      2      4\n" in out.stdout
    assert "wrong in all 2: 2, 2 of them with the same wrong digit" in out.stdout
    assert "in at least one: 5" in out.stdout
    assert "1 against 2: 1 rows only 1 gets wrong, 2 only 2 (p = 1)" in out.stdout
    as_json = kaggle_mnist("score", "a.csv", "b.csv", "--data-dir", kaggle_dir, "--json", cwd=tmp_path)
    report = json.loads(as_json.stdout)
    assert [(f["file"], f["mistakes"]) for f in report["files"]] == [("a.csv", 3), ("b.csv", 4)]
    assert report["shared_mistakes"]["shared"] == [[3, 2], [2, 4]]
    bad = kaggle_mnist("score", "a.csv", "missing.csv", "--data-dir", kaggle_dir, cwd=tmp_path)
    assert bad.returncode == 2 and "missing.csv" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("usage", ["Public", "Private"])
def test_score_a_solution_with_only_one_part(tmp_path, kaggle_dir, usage):
    lines = (kaggle_dir / "solution.csv").read_text().splitlines()
    (kaggle_dir / "solution.csv").write_text("\n".join([lines[0]] + [line.rsplit(",", 1)[0] + f",{usage}"
                                                                    for line in lines[1:]]) + "\n")
    (tmp_path / "a.csv").write_text("ImageId,Label\n" + "".join(f"{i},{line.split(',')[1]}\n"
                                                                for i, line in enumerate(lines[1:], 1)))
    for files in (["a.csv"], ["a.csv", "a.csv"]):
        out = kaggle_mnist("score", *files, "--data-dir", kaggle_dir, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert f"{usage.lower()} 1.00000" in out.stdout and "Traceback" not in out.stderr
        other = "private" if usage == "Public" else "public"
        assert f"{other} " not in out.stdout


def test_runs_lists_finished_runs_and_skips_hand_edited_ones(tmp_path):
    for name, oof in (("good", 0.9), ("edited", "high")):
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "config.json").write_text(json.dumps({"preset": "fast", "folds": 3, "seed": 0}))
        (tmp_path / "runs" / name / "metrics.json").write_text(json.dumps({"oof_accuracy": oof}))
    out = kaggle_mnist("runs", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "good" in out.stdout and "0.9000" in out.stdout and "edited" not in out.stdout
    missing = kaggle_mnist("runs", "elsewhere", cwd=tmp_path)
    assert missing.returncode == 2 and "elsewhere: no such folder" in missing.stderr
