"""Where trainings run side by side: this machine's processes, or a Dask cluster.

Folds of a cross-validation and members of an ensemble are independent trainings. With
``n_jobs`` above 1 they run at once in joblib's worker processes (``loky``), each
given its share of the cores for BLAS; with ``backend="dask"`` they run on the workers
of a Dask cluster (``scheduler``: its address) through joblib's dask backend. Results
arrive in the order they finish, so that each can be saved the moment it is done.
"""

import os
import sys
import time

from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.progress import fmt_seconds


def share_cores(n_jobs, n_tasks):
    """(jobs side by side, BLAS threads for each): no more jobs than tasks."""
    n_jobs = max(1, min(n_jobs, n_tasks or 1))
    return n_jobs, max(1, (os.cpu_count() or 1) // n_jobs)


# loky's resource tracker, a process of its own writing to our stderr, warns about the
# semaphores of workers that Ctrl-C or SIGTERM stopped, after our last line ("terminated").
# It starts with this process's -W options, so this one keeps it quiet.
QUIET_TRACKER = "ignore::UserWarning:joblib.externals.loky.backend.resource_tracker"


def run_unordered(tasks, n_jobs=1, backend="loky", scheduler=None):
    """Run the no-argument callables ``tasks``; yield their results as they finish."""
    from joblib import Parallel, delayed, parallel_config

    if backend == "dask":
        client = dask_client(scheduler)
        context = parallel_config(backend="dask", n_jobs=n_jobs)
    elif n_jobs > 1:
        if QUIET_TRACKER not in sys.warnoptions:  # loky starts its tracker with these options
            sys.warnoptions.append(QUIET_TRACKER)
        client, context = None, parallel_config(backend="loky", n_jobs=n_jobs)
    else:
        client, context = None, parallel_config(backend="sequential")
    try:
        with context:
            yield from Parallel(return_as="generator_unordered")(delayed(task)() for task in tasks)
    finally:
        if client is not None:
            client.close()


def eta(start, finished, total):
    """"; whole run: ETA ..." after ``finished`` of ``total`` equal tasks, or ""."""
    if not 0 < finished < total:
        return ""
    return f"; whole run: ETA {fmt_seconds((time.perf_counter() - start) / finished * (total - finished))}"


def check_scheduler(address, timeout=5):
    """Raise unless something answers at the Dask scheduler ``address`` (tcp://HOST:PORT)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if parts.scheme not in ("tcp", "tls") or not host or not port:
        raise KaggleMnistError(f"--scheduler {address!r}: expected tcp://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        raise KaggleMnistError(f"--scheduler {address}: cannot reach the Dask scheduler ({e.strerror or e})") from None


def dask_client(scheduler):
    try:
        from dask.distributed import Client
    except ImportError:
        raise KaggleMnistError("--backend dask needs dask.distributed (pip install 'dask[distributed]', or the kit's dask extra: pip install '.[dask]' in its checkout)") from None
    try:
        return Client(scheduler, timeout=10)
    except (OSError, TimeoutError) as e:
        raise KaggleMnistError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
