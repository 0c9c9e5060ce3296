"""What every script shares: one-line errors and exit codes, preset overrides."""

import os
import signal

import pytest

from kaggle_mnist import cli
from kaggle_mnist.commands import options
from kaggle_mnist.errors import DataError, KaggleMnistError


def test_user_errors_are_one_line_and_exit_2(capsys):
    def main(argv):
        raise DataError("train.csv, line 3, column 'pixel4': value 300 is out of range 0-255")

    assert cli.run(main) == 2
    err = capsys.readouterr().err
    assert err == "error: train.csv, line 3, column 'pixel4': value 300 is out of range 0-255\n"


def test_ctrl_c_is_130_and_sigterm_is_143(capsys):
    def interrupted(argv):
        raise KeyboardInterrupt

    def terminated(argv):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler turns it into KeyboardInterrupt
        raise AssertionError("not reached")

    assert cli.run(interrupted) == 130 and capsys.readouterr().err == "interrupted\n"
    assert cli.run(terminated) == 143 and capsys.readouterr().err == "terminated\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back


def test_a_bug_keeps_its_traceback():
    def main(argv):
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        cli.run(main)


def test_parse_overrides_reads_json_and_names_the_known_parameters():
    assert options.parse_overrides(["max_iter=3", "hidden_layer_sizes=[64, 32]", "augment=mild", "tta=0",
                                    "filters=[64,128]"]) == {
        "max_iter": 3, "hidden_layer_sizes": (64, 32), "augment": "mild", "tta": 0, "filters": (64, 128)}
    with pytest.raises(KaggleMnistError, match="expected NAME=VALUE with NAME one of .*max_iter"):
        options.parse_overrides(["colour=red"])
    with pytest.raises(KaggleMnistError, match="expected NAME=VALUE"):
        options.parse_overrides(["max_iter"])
    with pytest.raises(KaggleMnistError, match="expected NAME=VALUE"):  # that is --seed's job
        options.parse_overrides(["random_state=3"])
