"""An installed copy (not editable) works from any folder and writes only there."""

import os
import subprocess
import sysconfig
import venv

from conftest import ROOT, fake_digits, write_idx


def test_installed_copy_runs_from_an_empty_folder_and_writes_only_there(tmp_path):
    # A fresh virtual environment with `pip install --no-deps .`; it borrows this test
    # environment's NumPy, pandas and scikit-learn (a .pth file) rather than download them.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(site, "borrowed.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    out = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(ROOT)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    command = env_dir / "bin" / "kaggle-mnist"
    assert command.exists()  # the console entry point
    installed = subprocess.run([str(python), "-c", "import kaggle_mnist; print(kaggle_mnist.__file__)"],
                               capture_output=True, text=True, cwd=tmp_path).stdout
    assert installed.startswith(site)  # the copy in the venv, not the checkout

    idx = tmp_path / "idx"  # MNIST-format files to prepare from (no network)
    idx.mkdir()
    images, labels = fake_digits(300)
    for name, array in [("train-images-idx3-ubyte", images[:200]), ("train-labels-idx1-ubyte", labels[:200]),
                        ("t10k-images-idx3-ubyte", images[200:]), ("t10k-labels-idx1-ubyte", labels[200:])]:
        write_idx(idx / name, array)
    work = tmp_path / "elsewhere"
    work.mkdir()
    before = sorted(p for p in env_dir.rglob("*") if "__pycache__" not in p.parts)

    def km(*args):
        res = subprocess.run([str(command), *map(str, args)], cwd=work, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, (args, res.stderr[-2000:])
        return res.stdout

    km("prepare", "--source", "idx", "--idx-dir", idx)
    km("cv", "--preset", "fast", "--folds", "2", "--set", "max_iter=2", "--quiet")
    assert "valid submission" in km("validate", "--test", "data/test.csv")
    assert "accuracy" in km("score")
    assert "cv-fast-2fold-seed0" in km("runs")
    assert sorted(p.name for p in work.iterdir()) == ["data", "runs", "submissions"]
    assert (work / "runs" / "cv-fast-2fold-seed0" / "report.md").exists()
    assert sorted(p for p in env_dir.rglob("*") if "__pycache__" not in p.parts) == before  # nothing written there
