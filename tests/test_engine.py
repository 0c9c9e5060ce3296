"""The engine (kaggle_mnist/engine/) against the plain step: the same numbers, on one
thread or two, and a thread hand-off that a signal cannot break."""

import os
import signal
import threading
import time

import numpy as np
import pytest
from conftest import blob_digits

from kaggle_mnist import architectures, engine, seeds
from kaggle_mnist.engine.convolutions import (ChunkedConv2D, FastConv2D, SpectralConv2D, fastest_way, frame,
                                              spectral_pays)
from kaggle_mnist.engine.normalization import FastBatchNorm, Meeting, SyncBatchNorm
from kaggle_mnist.engine.winograd import WinogradConv2D
from kaggle_mnist.estimator import NumpyNetClassifier
from kaggle_mnist.nn import (
    SGD, Adam, BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, PlainStep, ReLU, Reshape, Sequential,
    SoftmaxCrossEntropy,
)
from kaggle_mnist.training import stepper


# ------------------------------------------------------------------ Workers
def test_workers_run_each_index_on_its_own_thread_and_return_in_order():
    workers = engine.Workers(2)
    try:
        results = workers.run([lambda i=i: (i, threading.get_ident()) for i in range(4)])
    finally:
        workers.close()
    assert [i for i, _ in results] == [0, 1, 2, 3]
    idents = [ident for _, ident in results]
    assert idents[0] == idents[2] == threading.get_ident()  # thread 0 is the caller
    assert idents[1] == idents[3] != idents[0]


def test_workers_raise_a_helpers_error_after_waiting_for_all():
    done = []

    def slow():
        time.sleep(0.05)
        done.append("caller")

    def fail():
        raise ValueError("in the helper")

    workers = engine.Workers(2)
    with pytest.raises(ValueError, match="in the helper"):
        workers.run([slow, fail])
    assert done == ["caller"]
    assert workers.run([lambda: 1, lambda: 2]) == [1, 2]  # still usable: nothing was lost
    workers.close()
    assert not any(t.name.startswith("kaggle-mnist-engine") for t in threading.enumerate())


def test_a_signal_during_a_step_waits_for_both_threads_then_arrives():
    """SIGINT sent while the helper works is held until the hand-off is complete, then
    raised in the caller; the pool is intact afterwards."""
    # Python's own Ctrl-C handler, even where the tests were started with SIGINT ignored
    # (a background job of a shell script).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    finished = []

    def helper():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the caller must not stop waiting for this
        finished.append("helper")
        return "h"

    workers = engine.Workers(2)
    try:
        with pytest.raises(KeyboardInterrupt):
            workers.run([lambda: finished.append("caller"), helper])
        assert sorted(finished) == ["caller", "helper"]
        for _ in range(50):
            assert workers.run([lambda: 0, lambda: 1]) == [0, 1]
    finally:
        workers.close()
        signal.signal(signal.SIGINT, previous)


# ------------------------------------------------------------------ the strategies against the plain step
def mlp(dtype=np.float64, dropout=0.0, seed=1):
    params = dict(hidden_layer_sizes=(40, 24), activation="relu", init="he", batchnorm=False, dropout=dropout)
    return architectures.build("mlp", 30, 5, params, seeds.streams(seed), dtype)


def small_cnn(dtype=np.float64, dropout=0.0, seed=1):
    rng = seeds.streams(seed)
    layers = [Reshape((6, 6, 1)), Conv2D(1, 3, 3, rng.init, padding=1, dtype=dtype), MaxPool2D(2), ReLU(), Flatten()]
    layers += [Dropout(dropout, rng.dropout)] if dropout else []
    return Sequential(layers + [Dense(27, 5, rng.init, dtype=dtype)])


def run_steps(runner_for, net, optimizer, batches):
    losses = []
    with runner_for(net, SoftmaxCrossEntropy(0.1), optimizer) as runner:
        for x, y in batches:
            losses.append(runner.step(x, y)[0])
        logits = runner.predict(batches[0][0])
    return losses, logits


def wide_cnn(dtype=np.float64, seed=1):
    """A 5x5 convolution wide enough for the spectral way (:func:`spectral_pays`)."""
    rng = seeds.streams(seed).init
    return Sequential([Reshape((8, 8, 1)), Conv2D(1, 32, 3, rng, padding=1, dtype=dtype), ReLU(),
                       Conv2D(32, 32, 5, rng, padding=2, dtype=dtype), MaxPool2D(2), ReLU(), Flatten(),
                       Dense(512, 5, rng, dtype=dtype)])


def batches(n_features, sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(n, n_features)), rng.integers(0, 5, n)) for n in sizes]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("sizes", [[8, 7, 8], [1, 8]], ids=["odd-batch", "one-row"])
def test_split_batches_take_the_plain_steps(threads, sizes):
    data = batches(36, sizes)
    plain_net, fast_net = small_cnn(), small_cnn()
    expected_losses, expected_logits = run_steps(PlainStep, plain_net, Adam(0.01, weight_decay=0.1), data)
    losses, logits = run_steps(lambda *a: engine.SplitBatch(*a, threads=threads), fast_net,
                               Adam(0.01, weight_decay=0.1), data)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-12)
    np.testing.assert_allclose(logits, expected_logits, rtol=1e-10)
    for name, p in plain_net.params().items():
        np.testing.assert_allclose(fast_net.params()[name], p, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("threads", [1, 2])
def test_split_batches_with_spectral_convolutions_take_the_plain_steps(threads):
    # SGD, not Adam: Adam's step is about lr wherever a gradient is tiny, so it turns
    # rounding differences there into differences of the weights
    data = batches(64, [8, 7, 8])
    plain_net, fast_net = wide_cnn(), wide_cnn()
    expected_losses, expected_logits = run_steps(PlainStep, plain_net, SGD(0.1, momentum=0.9), data)
    with engine.SplitBatch(fast_net, SoftmaxCrossEntropy(0.1), SGD(0.1, momentum=0.9),
                           threads=threads) as runner:
        losses = [runner.step(x, y)[0] for x, y in data]
        logits = runner.predict(data[0][0])
        ways = [layer.way for layer in runner.replicas[0].layers if isinstance(layer, FastConv2D)]
    assert ways == [ChunkedConv2D, SpectralConv2D]
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-10)
    np.testing.assert_allclose(logits, expected_logits, rtol=0, atol=1e-10 * np.abs(expected_logits).max())
    for name, p in plain_net.params().items():
        np.testing.assert_allclose(fast_net.params()[name], p, rtol=0, atol=1e-10 * np.abs(p).max(), err_msg=name)


def bn_cnn(seed=1):
    """Two 3x3 convolutions with BatchNorm: the first of one channel (the patch matrix),
    the second of three (Winograd's way)."""
    rng = seeds.streams(seed).init
    return Sequential([Reshape((6, 6, 1)), Conv2D(1, 3, 3, rng, padding=1, dtype=np.float64),
                       BatchNorm(3, dtype=np.float64, channel_axis=-1), ReLU(),
                       Conv2D(3, 4, 3, rng, padding=1, dtype=np.float64),
                       BatchNorm(4, dtype=np.float64, channel_axis=-1), ReLU(), MaxPool2D(2), Flatten(),
                       Dense(36, 5, rng, dtype=np.float64)])


def test_batchnorm_networks_take_the_plain_steps_with_fast_layers():
    data = batches(36, [8, 7, 8])
    plain_net, fast_net = bn_cnn(), bn_cnn()
    expected_losses, expected_logits = run_steps(PlainStep, plain_net, SGD(0.1, momentum=0.9), data)
    losses, logits = run_steps(lambda *a: engine.WholeBatch(*a), fast_net, SGD(0.1, momentum=0.9), data)
    with engine.WholeBatch(bn_cnn(), SoftmaxCrossEntropy(), SGD(0.1)) as runner:
        assert {type(layer) for layer in runner.model.layers} >= {FastConv2D, FastBatchNorm}
        runner.step(*data[0])
        assert [layer.way for layer in runner.model.layers if isinstance(layer, FastConv2D)] == [
            ChunkedConv2D, WinogradConv2D]
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-12)
    np.testing.assert_allclose(logits, expected_logits, rtol=1e-10)
    for name, p in {**plain_net.params(), **plain_net.buffers()}.items():
        # atol: the bias of a convolution before BatchNorm has a gradient of zero, give or take rounding
        np.testing.assert_allclose({**fast_net.params(), **fast_net.buffers()}[name], p, rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def test_split_batchnorm_networks_take_the_plain_steps_with_the_whole_batchs_statistics():
    """The halves meet at each BatchNorm layer: the same losses, weights and running
    statistics as one whole batch, also for an odd batch and a one-row batch."""
    data = batches(36, [8, 7, 1, 8])
    plain_net, fast_net = bn_cnn(), bn_cnn()
    expected_losses, expected_logits = run_steps(PlainStep, plain_net, SGD(0.1, momentum=0.9), data)
    losses, logits = run_steps(lambda *a: engine.SplitBatch(*a, threads=2), fast_net, SGD(0.1, momentum=0.9), data)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-12)
    np.testing.assert_allclose(logits, expected_logits, rtol=1e-10)
    for name, p in {**plain_net.params(), **plain_net.buffers()}.items():
        np.testing.assert_allclose({**fast_net.params(), **fast_net.buffers()}[name], p, rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def test_a_half_that_fails_releases_the_other_from_its_meeting(monkeypatch):
    """An error in one half's forward pass (here: its first BatchNorm) reaches the
    caller; the other half, waiting there for its sums, is released, not left hanging."""
    data = batches(36, [8])
    with engine.SplitBatch(bn_cnn(), SoftmaxCrossEntropy(), SGD(0.1), threads=2) as runner:
        failing = next(layer for layer in runner.replicas[1].layers if isinstance(layer, BatchNorm))

        def fail(x, training=False):
            raise MemoryError("no room for this half")

        monkeypatch.setattr(failing, "forward", fail)
        started = time.monotonic()
        with pytest.raises(MemoryError, match="no room"):
            runner.step(*data[0])
        assert time.monotonic() - started < 5


def test_engine_parameters_are_views_of_one_flat_vector():
    net = mlp()
    before = {k: v.copy() for k, v in net.params().items()}
    flat = engine.Flat(net)
    for name, p in net.params().items():
        assert np.shares_memory(p, flat.params) and np.array_equal(p, before[name]), name
        assert np.shares_memory(net.grads()[name], flat.grads), name
    assert flat.n_weights == sum(p.size for p in net.params().values() if p.ndim == 2)
    covered = sorted((a, b) for thread in flat.halves() for _, a, b in thread)
    assert covered[0][0] == 0 and covered[-1][1] == flat.params.size
    assert all(b0 == a1 for (_, b0), (a1, _) in zip(covered, covered[1:]))  # no gap, no overlap
    assert all(name.startswith("weights") == (b <= flat.n_weights) for thread in flat.halves()
               for name, _, b in thread)


def test_make_chooses_by_architecture():
    assert engine.make(mlp()) is None  # measured: the plain step is the fastest for an MLP
    assert isinstance(engine.make(small_cnn()), engine.SplitBatch)
    assert engine.make(Sequential([Dense(3, 2, np.random.default_rng(0))])) is None  # nothing to gain
    with_batchnorm = Sequential([Reshape((6, 6, 1)), Conv2D(1, 3, 3, np.random.default_rng(0)),
                                 BatchNorm(3, channel_axis=-1), Flatten(), Dense(48, 5, np.random.default_rng(0))])
    assert isinstance(engine.make(with_batchnorm, threads=2), engine.SplitBatch)  # the halves meet
    assert isinstance(engine.make(with_batchnorm, threads=1), engine.WholeBatch)  # one thread: they cannot
    assert isinstance(stepper(mlp(), use_engine=False), PlainStep)


# ------------------------------------------------------------------ whole runs: one thread or two
def test_training_gives_the_same_model_on_one_thread_or_two(monkeypatch):
    X, y = blob_digits(160)
    made = []
    real_make = engine.make

    def fit(threads):
        monkeypatch.setattr(engine, "make", lambda *a: made.append(real_make(*a, threads=threads)) or made[-1])
        return NumpyNetClassifier(architecture="lenet", hidden_layer_sizes=(16,), max_iter=2, batch_size=32,
                                  dropout=0.3, random_state=0).fit(X / 255, y)

    one, two = fit(1), fit(2)
    assert [m.threads for m in made if m is not None and m.optimizer is not None] == [1, 2]
    for name, p in two.model_.params().items():
        assert np.array_equal(one.model_.params()[name], p), name


def test_dropout_replicas_draw_from_their_own_children_of_the_layers_generator():
    net = small_cnn(dropout=0.5)
    split = engine.SplitBatch(net, SoftmaxCrossEntropy(), Adam(), threads=1)
    rngs = [r.layers[5].rng for r in split.replicas]
    assert rngs[0] is not rngs[1] and all(r is not net.layers[5].rng for r in rngs)
    assert rngs[0].random() != rngs[1].random()


def test_training_with_the_engine_equals_training_without_it_for_an_mlp():
    """An MLP takes the plain step either way: the same model, bit for bit."""
    X, y = blob_digits(200)

    def fit(use_engine):
        return NumpyNetClassifier(hidden_layer_sizes=(16,), max_iter=2, batch_size=32, augment="affine", dropout=0.2,
                                  random_state=0, engine=use_engine).fit(X / 255, y)

    with_engine, without = fit(True), fit(False)
    for name, p in without.model_.params().items():
        assert np.array_equal(with_engine.model_.params()[name], p), name


# ------------------------------------------------------------------ kernels
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("way", [ChunkedConv2D, SpectralConv2D, WinogradConv2D], ids=["chunked", "spectral", "winograd"])
def test_fast_convolutions_are_the_textbook_convolution(way, seed):
    """Random batch sizes (a chunk that does not divide them), kernels (Winograd's:
    3x3 only), strides (spectral and Winograd: 1 only), paddings and non-square images
    (sides that are not whole tiles): the same output, weight, bias and input gradients
    as Conv2D."""
    rng = np.random.default_rng(seed)
    k, stride = int(rng.integers(1, 6)), int(rng.integers(1, 3)) if way is ChunkedConv2D else 1
    k = 3 if way is WinogradConv2D else k
    padding = int(rng.integers(0, k))
    n, h, w, c, f = (rng.integers(1, 4, 5) + np.array([2, k + 3, k + 1, 0, 1])).tolist()
    plain = Conv2D(c, f, k, rng, stride=stride, padding=padding, dtype=np.float64)
    plain.params["b"][...] = rng.normal(size=f)
    plain.need_dx = bool(seed % 4)
    fast = way.like(plain)
    fast.grads = {name: np.zeros_like(g) for name, g in plain.grads.items()}
    fast.chunk = 2
    x = rng.normal(size=(n, h, w, c))
    out = plain.forward(x, training=True)
    np.testing.assert_allclose(fast.forward(x, training=True), out, rtol=1e-10, atol=1e-12)
    dout = rng.normal(size=out.shape)
    dx, fast_dx = plain.backward(dout), fast.backward(dout)
    for name in ("W", "b"):
        np.testing.assert_allclose(fast.grads[name], plain.grads[name], rtol=1e-10, atol=1e-11, err_msg=name)
    if plain.need_dx:
        np.testing.assert_allclose(fast_dx, dx, rtol=1e-10, atol=1e-11)
    else:
        assert dx is None and fast_dx is None


@pytest.mark.parametrize("h, w, k, padding, frames", [
    (14, 14, 5, 2, (16, 16)),  # lenet: the input and the zeros before it
    (3, 2, 5, 2, (5, 5)),  # smaller than the kernel: the frame holds every tap
    (5, 6, 3, 4, (11, 12)),  # padding wider than the kernel: the frame holds every output
])
def test_spectral_frames_that_the_kernel_or_the_output_decide(h, w, k, padding, frames):
    """Each of frame()'s three lower bounds decides somewhere, and the convolution is
    still the textbook one there."""
    assert (frame(h, padding, k), frame(w, padding, k)) == frames
    rng = np.random.default_rng(h)
    plain = Conv2D(3, 4, k, rng, padding=padding, dtype=np.float64)
    plain.params["b"][...] = rng.normal(size=4)
    fast = SpectralConv2D.like(plain)
    fast.grads = {name: np.zeros_like(g) for name, g in plain.grads.items()}
    x = rng.normal(size=(2, h, w, 3))
    out = plain.forward(x, training=True)
    np.testing.assert_allclose(fast.forward(x, training=True), out, rtol=1e-10, atol=1e-12)
    dout = rng.normal(size=out.shape)
    np.testing.assert_allclose(fast.backward(dout), plain.backward(dout), rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(fast.grads["W"], plain.grads["W"], rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("way, k, tol", [(SpectralConv2D, 5, 2e-6), (WinogradConv2D, 3, 1e-5)],
                         ids=["spectral", "winograd"])
def test_fast_convolutions_in_float32_are_within_float32_rounding(way, k, tol):
    """Within a few float32 roundings of the largest value (Winograd's transforms add
    values up to 8 times the result's size, so it rounds a little coarser)."""
    rng = np.random.default_rng(0)
    plain = Conv2D(32, 64, k, rng, padding=k // 2, dtype=np.float32)
    fast = way.like(plain)
    fast.grads = {name: np.zeros_like(g) for name, g in plain.grads.items()}
    x = rng.random((4, 14, 14, 32), dtype=np.float32)
    out = plain.forward(x, training=True)
    fast_out = fast.forward(x, training=True)
    assert fast_out.dtype == np.float32
    np.testing.assert_allclose(fast_out, out, rtol=0, atol=tol * np.abs(out).max())
    dout = rng.normal(size=out.shape).astype(np.float32)
    dx, fast_dx = plain.backward(dout), fast.backward(dout)
    assert fast_dx.dtype == np.float32 and fast.grads["W"].dtype == np.float32
    np.testing.assert_allclose(fast_dx, dx, rtol=0, atol=tol * np.abs(dx).max())
    np.testing.assert_allclose(fast.grads["W"], plain.grads["W"], rtol=0, atol=tol * np.abs(plain.grads["W"]).max())


def test_each_convolution_takes_its_fastest_way():
    """lenet's 5x5 32 -> 64 convolution on 14x14 maps is spectral; a first convolution
    (one input channel) and cnn's 3x3 ones on 28x28 maps are not; strides never. cnn's
    3x3 convolutions of several channels are Winograd's; of one channel, a patch matrix."""
    rng = np.random.default_rng(0)
    assert spectral_pays(Conv2D(32, 64, 5, rng, padding=2), 14, 14)
    assert not spectral_pays(Conv2D(1, 32, 5, rng, padding=2), 28, 28)
    assert not spectral_pays(Conv2D(32, 32, 3, rng, padding=1), 28, 28)
    assert not spectral_pays(Conv2D(32, 64, 5, rng, stride=2, padding=2), 14, 14)
    assert fastest_way(Conv2D(32, 64, 5, rng, padding=2), 14, 14) is SpectralConv2D
    assert fastest_way(Conv2D(32, 32, 3, rng, padding=1), 28, 28) is WinogradConv2D
    assert fastest_way(Conv2D(1, 32, 3, rng, padding=1), 28, 28) is ChunkedConv2D
    assert fastest_way(Conv2D(32, 32, 3, rng, stride=2, padding=1), 28, 28) is ChunkedConv2D


@pytest.mark.parametrize("training", [True, False], ids=["batch-statistics", "running-statistics"])
def test_fast_batchnorm_is_the_textbook_batchnorm(training):
    """Outputs, gradients and running statistics of image channels (N, H, W, C)."""
    rng = np.random.default_rng(3)
    plain = BatchNorm(5, dtype=np.float64, channel_axis=-1)
    plain.params["gamma"][...] = rng.normal(size=5)
    plain.params["beta"][...] = rng.normal(size=5)
    plain.buffers["running_mean"][...] = rng.normal(size=5)
    plain.buffers["running_var"][...] = rng.uniform(0.5, 2, size=5)
    fast = FastBatchNorm.like(plain)
    fast.grads = {name: np.zeros_like(g) for name, g in plain.grads.items()}
    fast.buffers = {name: b.copy() for name, b in plain.buffers.items()}
    x = rng.normal(2, 3, size=(4, 3, 6, 5))
    out = plain.forward(x, training=training)
    np.testing.assert_allclose(fast.forward(x, training=training), out, rtol=1e-12, atol=1e-12)
    for name, b in plain.buffers.items():
        np.testing.assert_allclose(fast.buffers[name], b, rtol=1e-12, err_msg=name)
    dout = rng.normal(size=out.shape)
    np.testing.assert_allclose(fast.backward(dout), plain.backward(dout), rtol=1e-10, atol=1e-12)
    for name, g in plain.grads.items():
        np.testing.assert_allclose(fast.grads[name], g, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("layer", ["fast", "sync"])
def test_fast_batchnorm_keeps_float32_float32(layer):
    bn = BatchNorm(4, channel_axis=-1)
    fast = FastBatchNorm.like(bn) if layer == "fast" else SyncBatchNorm.part_of(bn, 0, Meeting(1))
    x = np.random.default_rng(0).normal(size=(3, 5, 5, 4)).astype(np.float32)
    for training in (True, False):
        out = fast.forward(x, training=training)
        assert out.dtype == np.float32 and fast.backward(out).dtype == np.float32
