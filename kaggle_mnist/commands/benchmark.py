"""Time the same network trained with kaggle-mnist, scikit-learn and PyTorch, side by side.

    kaggle-mnist benchmark [--data-dir data] [--network mlp|lenet|cnn] [--epochs N] [--repeats 1] [--peers A,B]
                           [--seed 0] [--out FILE] [--force]

``--network lenet`` times the LeNet-like CNN instead, and ``--network cnn`` the BatchNorm
CNN (kaggle-mnist and PyTorch only).

``numpynet`` is kaggle-mnist as it trains by default, with its engine
(``kaggle_mnist/engine/``); ``plain`` is the same network trained with the textbook
step alone (``engine=False``), so every run shows what the engine buys on its machine.

The network: 784-256-128-10, ReLU, Adam at learning rate 1e-3, batch 128, on pixels
/ 255, trained on train.csv and scored on test.csv against solution.csv. kaggle-mnist
and PyTorch train in float32. scikit-learn trains in the dtype it is given, so it runs
twice: ``sklearn`` on ``X / 255`` as NumPy makes it (float64, what users get by
default) and ``sklearn32`` on float32 input. PyTorch (CPU) joins when it can be
imported; it is never a dependency. With
``--repeats N`` each peer is timed N times, interleaved, and the median is reported
(this machine is shared and noisy: compare ratios, not seconds).

It also prints the arithmetic floor: the multiply-adds of the run divided by the
float32 matrix-product rate NumPy reaches here on the same shapes.
"""

import platform
import resource
import statistics
import time
from functools import partial

import numpy as np

from kaggle_mnist import __version__, paths
from kaggle_mnist.commands.options import add_data_dir, at_least, data_dir, seed
from kaggle_mnist.data import load_competition
from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.fileio import check_writable, write_json

HIDDEN = (256, 128)
BATCH, LR = 128, 1e-3


def time_fit_predict(clf, X, y, Xt):
    """(training seconds, prediction seconds, predicted labels) of a scikit-learn-style model."""
    t0 = time.perf_counter()
    clf.fit(X, y)
    t1 = time.perf_counter()
    pred = clf.predict(Xt)
    return t1 - t0, time.perf_counter() - t1, pred


def bench_numpynet(X, y, Xt, epochs, seed, engine=True):
    from kaggle_mnist import NumpyNetClassifier

    return time_fit_predict(NumpyNetClassifier(hidden_layer_sizes=HIDDEN, solver="adam", learning_rate_init=LR,
                                               batch_size=BATCH, max_iter=epochs, random_state=seed,
                                               engine=engine), X, y, Xt)


def bench_plain(X, y, Xt, epochs, seed):
    """kaggle-mnist without its engine: the textbook step (nn.PlainStep)."""
    return bench_numpynet(X, y, Xt, epochs, seed, engine=False)


def bench_sklearn(X, y, Xt, epochs, seed):
    return bench_sklearn32(X.astype(np.float64), y, Xt.astype(np.float64), epochs, seed)


def bench_sklearn32(X, y, Xt, epochs, seed):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, solver="adam", learning_rate_init=LR, batch_size=BATCH,
                        max_iter=epochs, alpha=0.0, tol=0.0, n_iter_no_change=epochs + 1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return time_fit_predict(clf, X, y, Xt)


def torch_fit_predict(model, X, y, Xt, epochs, seed, image_shape=None):
    """Train ``model`` with Adam as the others are trained; same timing contract."""
    import torch

    def as_input(a):  # rows of pixels, or (N, 1, 28, 28) images for a CNN
        t = torch.from_numpy(a)
        return t.reshape(-1, *image_shape) if image_shape else t

    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xtr, ytr = as_input(X), torch.from_numpy(y)
    g = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(Xtr), generator=g)
        Xs, ys = Xtr[order], ytr[order]
        for i in range(0, len(Xs), BATCH):
            opt.zero_grad(set_to_none=True)
            loss_fn(model(Xs[i:i + BATCH]), ys[i:i + BATCH]).backward()
            opt.step()
    t1 = time.perf_counter()
    with torch.no_grad():
        pred = torch.cat([model(as_input(Xt[i:i + 4096])).argmax(1) for i in range(0, len(Xt), 4096)]).numpy()
    return t1 - t0, time.perf_counter() - t1, pred


def bench_torch(X, y, Xt, epochs, seed):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, HIDDEN[0]), nn.ReLU(), nn.Linear(*HIDDEN), nn.ReLU(), nn.Linear(HIDDEN[1], 10))
    return torch_fit_predict(model, X, y, Xt, epochs, seed)


# ------------------------------------------------------------------ the LeNet-like CNN
def bench_numpynet_conv(architecture, X, y, Xt, epochs, seed, engine=True):
    """A convolutional architecture with a Dense layer of 128, trained as the others."""
    from kaggle_mnist import NumpyNetClassifier

    return time_fit_predict(NumpyNetClassifier(architecture=architecture, hidden_layer_sizes=(128,), solver="adam",
                                               learning_rate_init=LR, batch_size=BATCH, max_iter=epochs,
                                               random_state=seed, engine=engine), X, y, Xt)


def bench_torch_lenet(X, y, Xt, epochs, seed):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(),
                          nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(),
                          nn.Linear(7 * 7 * 64, 128), nn.ReLU(), nn.Linear(128, 10))
    return torch_fit_predict(model, X, y, Xt, epochs, seed, image_shape=(1, 28, 28))


# ------------------------------------------------------------------ the BatchNorm CNN
def bench_torch_cnn(X, y, Xt, epochs, seed):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    layers, c_in = [], 1
    for width in (32, 64):
        for i in range(2):
            layers += [nn.Conv2d(c_in, width, 3, padding=1), nn.BatchNorm2d(width, momentum=0.1, eps=1e-5)]
            if i == 1:
                layers.append(nn.MaxPool2d(2))
            layers.append(nn.ReLU())
            c_in = width
    model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(7 * 7 * 64, 128), nn.ReLU(), nn.Linear(128, 10))
    return torch_fit_predict(model, X, y, Xt, epochs, seed, image_shape=(1, 28, 28))


NETWORKS = {
    "mlp": {"numpynet": bench_numpynet, "plain": bench_plain, "sklearn": bench_sklearn, "sklearn32": bench_sklearn32,
            "torch": bench_torch},
    "lenet": {"numpynet": partial(bench_numpynet_conv, "lenet"),
              "plain": partial(bench_numpynet_conv, "lenet", engine=False), "torch": bench_torch_lenet},
    "cnn": {"numpynet": partial(bench_numpynet_conv, "cnn"),
            "plain": partial(bench_numpynet_conv, "cnn", engine=False), "torch": bench_torch_cnn},
}
DESCRIPTION = {
    "mlp": f"784-256-128-10, Adam lr {LR}, batch {BATCH}, float32",
    "lenet": f"LeNet-like conv5x5x32-pool-conv5x5x64-pool-fc128, Adam lr {LR}, batch {BATCH}, float32",
    "cnn": f"BatchNorm CNN 2x(conv3x3x32-BN)-pool-2x(conv3x3x64-BN)-pool-fc128, Adam lr {LR}, batch {BATCH}, float32",
}


def matmul_gflops(dtype=np.float32, repeats=20):
    """The float32 rate of the run's own matrix products: (128 x 784) @ (784 x 256) etc."""
    rng = np.random.default_rng(0)
    shapes = [(BATCH, 784, HIDDEN[0]), (BATCH, HIDDEN[0], HIDDEN[1]), (784, BATCH, HIDDEN[0])]
    mats = [(rng.random((m, k), dtype), rng.random((k, n), dtype)) for m, k, n in shapes]
    flops = sum(2 * m * k * n for m, k, n in shapes)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(50):
            for a, b in mats:
                a @ b
        times.append((time.perf_counter() - t) / 50)
    return flops / statistics.median(times) / 1e9


def floor_seconds(n_rows, epochs, gflops):
    """Multiply-adds of training: forward, weight gradients, input gradients (not for
    the first layer, whose input gradient is never needed)."""
    sizes = [784, *HIDDEN, 10]
    layer_macs = [a * b for a, b in zip(sizes, sizes[1:])]
    macs_per_row = 2 * sum(layer_macs) + sum(layer_macs[1:])
    return 2 * macs_per_row * n_rows * epochs / (gflops * 1e9)


def blas_kernel():
    """What BLAS NumPy runs here, e.g. 'openblas SkylakeX x2'.

    Where OPENBLAS_CORETYPE is set (some machines set it to Haswell for older OpenBLAS
    builds), current OpenBLAS may run slower kernels than the processor allows; the
    kernel is printed so that runs on different machines can be told apart.
    """
    from threadpoolctl import threadpool_info

    return ", ".join(f"{i['internal_api']} {i.get('architecture')} x{i['num_threads']}" for i in threadpool_info()
                     if i["user_api"] == "blas")


HELP = "time kaggle-mnist against scikit-learn and PyTorch on the same network"


def add_arguments(parser):
    add_data_dir(parser)
    parser.add_argument("--network", default="mlp", choices=list(NETWORKS),
                        help="mlp: 784-256-128-10 (20 epochs); lenet: the LeNet-like CNN (2 epochs); cnn: the "
                             "BatchNorm CNN (1 epoch)")
    parser.add_argument("--epochs", type=at_least(1), help="epochs per run (default: 20 for mlp, 2 for lenet, "
                                                           "1 for cnn)")
    parser.add_argument("--repeats", type=at_least(1), default=1, help="time each peer this many times; report medians")
    parser.add_argument("--seed", type=seed, default=0, help="seeds every peer's run")
    parser.add_argument("--peers", help="comma-separated subset of the peers (default: all for the network)")
    parser.add_argument("--out", default=str(paths.RUNS_DIR / "benchmark.json"), help="where the results go (JSON)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing results file")


def main(args):
    args.epochs = args.epochs or {"mlp": 20, "lenet": 2, "cnn": 1}[args.network]
    check_writable(args.out, args.force)
    comp = load_competition(data_dir(args))
    if comp.solution is None:
        raise KaggleMnistError(f"{comp.folder} has no solution file to score against (kaggle-mnist prepare writes one "
                               "from MNIST)")
    X, y, yt = comp.X.astype(np.float32) / 255, comp.y, comp.solution.labels
    Xt = comp.X_test.astype(np.float32) / 255

    peers = NETWORKS[args.network]
    wanted = args.peers.split(",") if args.peers else list(peers)
    unknown = set(wanted) - peers.keys()
    if unknown:
        raise KaggleMnistError(f"--peers: unknown {', '.join(sorted(unknown))}; choose from {', '.join(peers)}")
    if "torch" in wanted:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("PyTorch is not installed: skipping it (pip install torch==2.13.0 for the CPU build)")
            wanted.remove("torch")

    # Interleave the repeats (A B C, A B C, ...): this machine's speed drifts by tens of
    # percent over minutes, and interleaving spreads the drift over every peer alike.
    all_runs = {name: [] for name in wanted}
    peak_rss = {}
    for repeat in range(args.repeats):
        for name in wanted:
            all_runs[name].append(peers[name](X, y, Xt, args.epochs, args.seed))
            print(f"  repeat {repeat + 1}: {name} {all_runs[name][-1][0]:.2f}s", flush=True)
            if repeat == 0 and name == wanted[0]:  # the process's peak so far: data + this peer
                peak_rss[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    results = {}
    for name, runs in all_runs.items():
        results[name] = {
            "train_seconds": statistics.median(r[0] for r in runs),
            "predict_seconds": statistics.median(r[1] for r in runs),
            "accuracy": float(np.mean(runs[0][2] == yt)),
            "train_seconds_all": [r[0] for r in runs],
        }

    print(f"\n{DESCRIPTION[args.network]}, {args.epochs} epochs; "
          f"{len(X)} train rows, {len(Xt)} test rows; medians of {args.repeats}; BLAS: {blas_kernel()}")
    print(f"{'peer':>9} {'train s':>9} {'s/epoch':>8} {'predict s':>10} {'accuracy':>9} {'numpynet / peer':>16}")
    ours = results.get("numpynet")
    for name, r in results.items():
        ratio = f"{ours['train_seconds'] / r['train_seconds']:.2f}x" if ours else "-"
        print(f"{name:>9} {r['train_seconds']:>9.2f} {r['train_seconds'] / args.epochs:>8.2f} "
              f"{r['predict_seconds']:>10.3f} {r['accuracy']:>9.4f} {ratio:>16}")
    for name, gib in peak_rss.items():
        print(f"peak memory of the process after {name}'s first run: {gib:.2f} GiB")
    gflops = floor = None
    if args.network == "mlp":
        gflops = matmul_gflops()
        floor = floor_seconds(len(X), args.epochs, gflops)
        print(f"\nfloat32 matmul rate on the run's shapes: {gflops:.0f} GFLOP/s; arithmetic floor {floor:.2f}s"
              + (f"; numpynet at {ours['train_seconds'] / floor:.2f}x the floor" if ours else ""))

    report = {"version": __version__, "machine": platform.machine(), "blas": blas_kernel(), "network": args.network,
              "epochs": args.epochs, "peak_rss_gib": peak_rss,
              "repeats": args.repeats, "results": results, "matmul_gflops": gflops, "floor_seconds": floor,
              "ratios": {f"numpynet/{k}": ours["train_seconds"] / v["train_seconds"] for k, v in results.items()
                         if ours and k != "numpynet"}}
    write_json(args.out, report)
    print(f"wrote {args.out}")

