"""An installed copy (not editable) works from any folder and writes only there."""

import os
import subprocess
import sys

from conftest import ROOT, fake_digits, write_idx


def test_installed_copy_runs_from_an_empty_folder_and_writes_only_there(tmp_path):
    site = tmp_path / "site"
    out = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                          "--target", str(site), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    command = site / "bin" / "kaggle-mnist"
    assert command.exists()  # the console entry point
    before = sorted(p.relative_to(site) for p in site.rglob("*"))

    idx = tmp_path / "idx"  # MNIST-format files to prepare from (no network)
    idx.mkdir()
    images, labels = fake_digits(300)
    for name, array in [("train-images-idx3-ubyte", images[:200]), ("train-labels-idx1-ubyte", labels[:200]),
                        ("t10k-images-idx3-ubyte", images[200:]), ("t10k-labels-idx1-ubyte", labels[200:])]:
        write_idx(idx / name, array)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}

    def km(*args):
        res = subprocess.run([str(command), *map(str, args)], cwd=work, capture_output=True, text=True, env=env,
                             timeout=600)
        assert res.returncode == 0, (args, res.stderr[-2000:])
        return res.stdout

    km("prepare", "--source", "idx", "--idx-dir", idx)
    km("cv", "--preset", "fast", "--folds", "2", "--set", "max_iter=2", "--quiet")
    assert "valid submission" in km("validate", "--test", "data/test.csv")
    assert "accuracy" in km("score")
    assert "cv-fast-2fold-seed0" in km("runs")
    assert sorted(p.name for p in work.iterdir()) == ["data", "runs", "submissions"]
    assert (work / "runs" / "cv-fast-2fold-seed0" / "report.md").exists()
    assert sorted(p.relative_to(site) for p in site.rglob("*")
                  if "__pycache__" not in p.parts) == [p for p in before if "__pycache__" not in p.parts]
