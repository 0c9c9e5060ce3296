"""Two threads owning row blocks (nn/parallel.py): same numbers as one thread, every
parameter updated exactly once, by the thread that computed its gradient."""

import copy
import pickle
import threading
from functools import partial

import numpy as np
import pytest
from conftest import blob_digits
from threadpoolctl import threadpool_limits

from kaggle_mnist import NumpyNetClassifier, architectures, training
from kaggle_mnist.nn import Adam, Dense, ReLU, Sequential
from kaggle_mnist.nn.parallel import Workers


def test_workers_run_each_index_on_its_own_thread_and_return_in_order():
    with Workers(2) as workers:
        results = workers.run([lambda i=i: (i, threading.get_ident()) for i in range(4)])
    assert [i for i, _ in results] == [0, 1, 2, 3]
    idents = [ident for _, ident in results]
    assert idents[0] == idents[2] == threading.get_ident()  # thread 0 is the caller
    assert idents[1] == idents[3] != idents[0]


def test_workers_raise_a_helpers_error_after_waiting_for_all():
    done = []

    def fail():
        raise ValueError("in the helper")

    with Workers(2) as workers, pytest.raises(ValueError, match="in the helper"):
        workers.run([lambda: done.append(0), fail])
    assert done == [0]
    assert workers.n == 1 and not any(t.name.startswith("kaggle-mnist-worker") for t in threading.enumerate())


def test_one_worker_runs_in_order_on_the_caller():
    seen = []
    Workers(1).run([lambda i=i: seen.append((i, threading.get_ident())) for i in range(3)])
    assert seen == [(i, threading.get_ident()) for i in range(3)]


def model(rng, blocks=2, dtype=np.float64):
    return Sequential([Dense(12, 8, rng, dtype=dtype, blocks=blocks), ReLU(), Dense(8, 6, rng, dtype=dtype, blocks=blocks),
                       ReLU(), Dense(6, 3, rng, dtype=dtype)])


def test_blocks_compute_the_same_product_on_one_thread_or_two():
    rng = np.random.default_rng(0)
    one, two = model(np.random.default_rng(1), blocks=1), model(np.random.default_rng(1), blocks=2)
    x, dout = rng.normal(size=(5, 12)), rng.normal(size=(5, 3))
    with Workers(2) as workers:
        two.set_workers(workers)
        out = two.forward(x, training=True)
        two.backward(dout)
    np.testing.assert_allclose(out, one.forward(x, training=True), rtol=1e-12)
    one.backward(dout)
    for name, g in one.grads().items():
        np.testing.assert_allclose(two.grads()[name], g, rtol=1e-12, atol=1e-15, err_msg=name)


def test_parameters_are_views_of_one_flat_vector_also_after_pickle_and_copy():
    net = model(np.random.default_rng(0))
    original = net.params()["0.W"][0, 0]
    for clone in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net), net):
        flat = clone.flat_params()
        assert all(np.shares_memory(p, flat["weights"]) or np.shares_memory(p, flat["others"])
                   for p in clone.params().values())
        flat["weights"][0] += 1  # the first weight of the first layer
        assert clone.params()["0.W"][0, 0] == original + 1
        assert clone is net or net.params()["0.W"][0, 0] == original  # a copy is a copy


def test_shards_cover_every_parameter_once_each_block_with_its_thread():
    net = model(np.random.default_rng(0))
    shards = net.shards()
    assert len(shards) == 2
    marks = np.zeros(net.flat_params()["weights"].size + net.flat_params()["others"].size, int)
    base = net._params
    for thread, (params, grads) in enumerate(shards):
        assert params.keys() == grads.keys()
        for p in params.values():
            start = (p.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // p.itemsize
            marks[start:start + p.size] += 1
            assert np.shares_memory(p, base)
    assert (marks == 1).all()
    # block 0 of each blocked W (rows 0..5 of the 12x8 W, rows 0..3 of the 8x6) belongs to thread 0
    w0, w2 = net.params()["0.W"], net.params()["2.W"]
    thread0 = list(shards[0][0].values())
    assert any(np.shares_memory(p, w0[:6]) for p in thread0) and not any(np.shares_memory(p, w0[6:]) for p in thread0)
    assert any(np.shares_memory(p, w2[:4]) for p in thread0) and not any(np.shares_memory(p, w2[4:]) for p in thread0)


@pytest.mark.parametrize("fused", [False, True], ids=["update-after-backward", "update-inside-backward"])
def test_adam_on_shards_and_threads_equals_adam_on_everything(fused):
    rng = np.random.default_rng(0)
    a, b = model(np.random.default_rng(1), dtype=np.float32), model(np.random.default_rng(1), dtype=np.float32)
    opt_a, opt_b = Adam(0.01, weight_decay=0.1), Adam(0.01, weight_decay=0.1)
    with Workers(2) as workers:
        b.set_workers(workers)
        for _ in range(3):
            x, dout = rng.normal(size=(5, 12)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)
            a.forward(x, training=True)
            a.backward(dout)
            opt_a.step(a.params(), a.grads())
            b.forward(x, training=True)
            opt_b.begin_step()
            updates = [partial(opt_b.update, p, g) for p, g in b.shards()]
            if fused:
                b.backward(dout, then=updates, workers=workers)
            else:
                b.backward(dout)
                workers.run(updates)
    for name, p in a.params().items():
        np.testing.assert_allclose(b.params()[name], p, rtol=1e-5, atol=1e-7, err_msg=name)


def test_training_gives_the_same_model_on_one_thread_or_two(monkeypatch):
    X, y = blob_digits(300)
    monkeypatch.setattr(architectures, "BLOCKS_FROM", 64)
    made = []
    monkeypatch.setattr(training, "Workers", lambda n: made.append(n) or Workers(n))

    def fit():
        return NumpyNetClassifier(hidden_sizes=(32, 16), max_epochs=3, batch_size=32, random_state=0).fit(X / 255, y)

    two = fit()
    with threadpool_limits(1):  # what a worker of a parallel cross-validation sees
        one = fit()
    assert made == [2, 1]
    for name, p in two.model_.params().items():
        assert np.array_equal(one.model_.params()[name], p), name


def small_cnn(rng, dtype=np.float64, dropout=0.0):
    from kaggle_mnist.nn import Conv2D, Dropout, Flatten, MaxPool2D, Reshape

    layers = [Reshape((6, 6, 1)), Conv2D(1, 3, 3, rng, padding=1, dtype=dtype), MaxPool2D(2), ReLU(), Flatten()]
    layers += [Dropout(dropout, rng)] if dropout else []
    return Sequential(layers + [Dense(27, 4, rng, dtype=dtype)], split_batch=True)


@pytest.mark.parametrize("rows", [7, 1], ids=["odd-batch", "one-row"])
def test_batch_split_step_is_the_full_batch_step(rows):
    """Two halves through two replicas, gradients added: the same update as the whole batch."""
    from kaggle_mnist.nn import SGD, SoftmaxCrossEntropy
    from kaggle_mnist.nn.parallel import BatchSplit

    rng = np.random.default_rng(0)
    whole, split = small_cnn(np.random.default_rng(1)), small_cnn(np.random.default_rng(1))
    x, y = rng.normal(size=(rows, 36)), rng.integers(0, 4, rows)
    loss_fn = SoftmaxCrossEntropy()
    expected_loss = loss_fn.forward(whole.forward(x, training=True), y)
    whole.backward(loss_fn.backward())
    SGD(0.1).step(whole.params(), whole.grads())
    with Workers(2) as workers:
        loss, logits = BatchSplit(split, SoftmaxCrossEntropy(), workers).step(x, y, SGD(0.1))
    assert loss == pytest.approx(expected_loss, rel=1e-12) and logits.shape == (rows, 4)
    for name, p in whole.params().items():
        np.testing.assert_allclose(split.params()[name], p, rtol=1e-12, err_msg=name)


def test_replicas_share_parameters_not_gradients_and_refuse_batchnorm():
    from kaggle_mnist.nn import BatchNorm

    net = small_cnn(np.random.default_rng(0))
    twin = net.replica()
    assert all(np.shares_memory(twin.params()[k], p) for k, p in net.params().items())
    assert not any(np.shares_memory(twin.grads()[k], g) for k, g in net.grads().items())
    assert twin.layers[1] is not net.layers[1]
    with pytest.raises(ValueError, match="running statistics"):
        Sequential([Dense(3, 2, np.random.default_rng(0)), BatchNorm(2)]).replica()


def test_split_batch_training_gives_the_same_model_on_one_thread_or_two(monkeypatch):
    from kaggle_mnist.nn import SoftmaxCrossEntropy, make_schedule

    X, y = blob_digits(96)
    X, y = X.reshape(-1, 28, 28)[:, ::5, ::5][:, :6, :6].reshape(-1, 36).astype(np.float32) / 255, y % 4
    made = []
    monkeypatch.setattr(training, "Workers", lambda n: made.append(n) or Workers(n))

    def fit():
        rng = np.random.default_rng(0)
        net = small_cnn(rng, np.float32, dropout=0.3)
        for layer in net.layers:
            if hasattr(layer, "rng"):
                layer.rng = np.random.default_rng(5)
        training.train(net, X, y, loss_fn=SoftmaxCrossEntropy(), optimizer=Adam(0.01),
                       schedule=make_schedule("constant", 0.01, 10), epochs=2, batch_size=16, rng=rng)
        return net

    two = fit()
    with threadpool_limits(1):
        one = fit()
    assert made == [2, 1]
    for name, p in two.params().items():
        assert np.array_equal(one.params()[name], p), name
