"""The one family of errors a user can cause.

Every mistake in what a user hands us (a malformed CSV, a wrong path, a corrupt model
file, a bad option) raises a subclass of :class:`KaggleMnistError` with a one-line
message naming the file, row, column or parameter at fault. The scripts catch exactly
this family, print the message and exit with status 2; anything else is a bug and keeps
its traceback.
"""


class KaggleMnistError(Exception):
    """Base class of the errors a user can cause and fix."""


class DataError(KaggleMnistError, ValueError):
    """A data file (CSV or IDX) is missing or malformed."""


class ModelFileError(KaggleMnistError, ValueError):
    """A saved model is missing, corrupt, truncated or from an incompatible version."""


class SubmissionError(KaggleMnistError, ValueError):
    """A submission file breaks the competition's format."""


class TrainingDivergedError(KaggleMnistError, ArithmeticError):
    """The training loss became NaN or infinite."""
