"""The subcommands of ``kaggle-mnist``, one module each.

Each module has ``HELP`` (one line for ``kaggle-mnist --help``), ``add_arguments(parser)``
and ``main(args)``; a docstring whose first line describes the command. ``scripts/*.py``
run the same functions (``cli.script``).
"""

from kaggle_mnist.commands import benchmark, cv, ensemble, predict, prepare, runs, score, submit, train, validate

COMMANDS = {
    "prepare": prepare,
    "cv": cv,
    "train": train,
    "ensemble": ensemble,
    "predict": predict,
    "validate": validate,
    "score": score,
    "submit": submit,
    "benchmark": benchmark,
    "runs": runs,
}
