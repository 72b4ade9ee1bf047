"""layers.runtime.parallel: a layer's chunks of samples on several threads give the serial
loop's results bit for bit (same chunks, partial sums added in chunk order),
BLAS is held at one thread meanwhile, and errors come back to the caller."""
import threading
import time

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

import kubik
from kubik import layers
from kubik.layers.conv import conv, winograd_conv
from kubik.layers.runtime import parallel

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture(autouse=True)
def serial_again():
    yield
    parallel.configure(1)
    threadpool_limits(limits=1, user_api="blas")     # the suite's setting (conftest)


def blas():
    return ThreadpoolController().select(user_api="blas").lib_controllers


def test_one_worker_runs_chunks_in_order_on_the_caller():
    seen = []
    parallel.run(lambda k, slot: seen.append((k, slot, threading.get_ident())), 5, 1 << 30)
    assert seen == [(k, 0, threading.get_ident()) for k in range(5)]


def test_workers_take_every_chunk_once_with_blas_at_one_thread():
    libs = blas()
    parallel.configure(2, libs)
    for lib in libs:
        lib.set_num_threads(2)
    seen = []

    def chunk(k, slot):
        time.sleep(0.01)                            # releases the GIL: both threads get chunks
        seen.append((k, slot, {lib.num_threads for lib in libs}))
    parallel.run(chunk, 8, parallel.MIN_CHUNK_BYTES)
    assert sorted(k for k, _, _ in seen) == list(range(8))
    assert {slot for _, slot, _ in seen} == {0, 1}
    assert all(threads == {1} for _, _, threads in seen)
    assert {lib.num_threads for lib in libs} == {2}     # restored afterwards


def test_small_chunks_stay_serial():
    parallel.configure(2)
    slots = []
    parallel.run(lambda k, slot: slots.append(slot), 6, parallel.MIN_CHUNK_BYTES - 1)
    assert slots == [0] * 6


def test_a_failing_chunk_raises_in_the_caller_and_the_pool_survives():
    parallel.configure(2)

    def chunk(k, slot):
        time.sleep(0.005)
        if k in (3, 5):
            raise ValueError(f"chunk {k} failed")
    with pytest.raises(ValueError, match="chunk 3 failed"):
        parallel.run(chunk, 40, parallel.MIN_CHUNK_BYTES)
    done = []
    parallel.run(lambda k, slot: done.append(k), 4, parallel.MIN_CHUNK_BYTES)
    assert sorted(done) == [0, 1, 2, 3]


def test_chunks_waiting_on_a_failed_chunk_give_up():
    """Chunk 0 fails before its partial sum is in; the chunks queued behind it in
    OrderedSum stop waiting, and the caller gets chunk 0's error."""
    parallel.configure(2)
    sums = parallel.OrderedSum([np.zeros(3)], np.float64, True)

    def chunk(k, slot):
        sums.parts(k)
        if k == 0:
            time.sleep(0.05)
            raise ValueError("chunk 0 failed")
        sums.done(k)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="chunk 0 failed"):
        parallel.run(chunk, 30, parallel.MIN_CHUNK_BYTES)
    assert time.perf_counter() - t0 < 5


def test_run_inside_a_chunk_is_serial():
    parallel.configure(2)
    inner = []

    def chunk(k, slot):
        me = threading.get_ident()
        parallel.run(lambda j, s: inner.append((s, threading.get_ident() == me)), 2, parallel.MIN_CHUNK_BYTES)
    parallel.run(chunk, 4, parallel.MIN_CHUNK_BYTES)
    assert inner == [(0, True)] * 8


def test_ordered_sum_adds_in_chunk_order_whatever_order_chunks_finish():
    values = np.array([1e8, 1, -1e8, 3, 1e8, 1, -1e8, 1, 7, -1e8], np.float32)
    serial = np.zeros(2, np.float32)
    for v in values:
        serial += v
    backwards = np.zeros(2, np.float32)
    for v in values[::-1]:
        backwards += v
    assert not np.array_equal(serial, backwards)      # the order shows in the result: the test can fail
    parallel.configure(3)
    target = np.zeros(2, np.float32)
    sums = parallel.OrderedSum([target], np.float32, True)
    finished = []

    def chunk(k, slot):
        part = sums.parts(k)[0]
        time.sleep(0.002 * (len(values) - k) % 7)   # later chunks tend to finish first
        part[:] = values[k]
        finished.append(k)
        sums.done(k)
    parallel.run(chunk, len(values), parallel.MIN_CHUNK_BYTES)
    assert finished != sorted(finished)
    np.testing.assert_array_equal(target, serial)


def test_set_num_threads_sets_the_workers():
    kubik.set_num_threads(2)
    assert parallel.workers() == 2
    kubik.set_num_threads(1)
    assert parallel.workers() == 1


CONVS = [dict(kernel_size=3, padding=1), dict(kernel_size=5, padding=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=3, dilation=2, padding=2), dict(kernel_size=3, groups=2, padding=1),
         dict(kernel_size=1), dict(kernel_size=3, padding=1, bias=False),
         dict(kernel_size=3, padding=1, algo="winograd"), dict(kernel_size=3, algo="winograd", bias=False)]


@pytest.mark.parametrize("args", CONVS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_on_several_threads_is_bitwise_the_serial_conv(monkeypatch, args, dtype):
    """Chunks of one sample (7 of them) so that every path runs threaded;
    two steps, so that reused work arrays are covered; dX skipped too."""
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(conv, "CACHE_BYTES", 0)
    monkeypatch.setattr(conv, "CHUNK_BYTES", 1)
    monkeypatch.setattr(conv, "NARROW_BYTES", 1)
    monkeypatch.setattr(winograd_conv, "CHUNK_BYTES", 1)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((7, 4, 10, 9)).astype(dtype)

    def steps(workers):
        parallel.configure(workers)
        c = layers.Conv2d(4, 6, rng=0, dtype=dtype, **args)
        out = []
        for step in range(2):
            c.set_propagate_down(step == 0)
            Y = c.forward(X * (step + 1))
            G = np.random.default_rng(step).standard_normal(Y.shape).astype(dtype)
            out += [Y.copy(), c.backward(G), c.weight.grad.copy()] + ([c.bias.grad.copy()] if c.bias else [])
        return out
    serial, threaded = steps(1), steps(3)
    assert len(serial) == len(threaded)
    for a, b in zip(serial, threaded):
        if a is None:
            assert b is None
        else:
            np.testing.assert_array_equal(a, b)


def test_training_a_cnn_on_two_threads_gives_the_one_thread_parameters(monkeypatch):
    """What the trainer does (BLAS at one thread beside convolutions): the same
    parameters bit for bit after a few SGD steps, conv chunks split or not."""
    from kubik import losses, nets, optim
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(conv, "CACHE_BYTES", 0)
    monkeypatch.setattr(conv, "CHUNK_BYTES", 1)
    monkeypatch.setattr(winograd_conv, "CHUNK_BYTES", 1)
    rng = np.random.default_rng(0)
    X, t = rng.standard_normal((6, 3, 12, 12)).astype(np.float32), rng.integers(0, 5, 6)

    def train(threads):
        layers.seed(0)
        net = nets.Sequential(layers.Conv2d(3, 16, 3, padding=1), layers.ReLU(),
                              layers.Conv2d(16, 16, 3, padding=1, algo="winograd"), layers.ReLU(),
                              layers.MaxPool2d(2), layers.Flatten(), layers.Linear(16 * 6 * 6, 5))
        kubik.set_num_threads(threads, blas=kubik.layers.runtime.threads.blas_threads_for(net, threads))
        net.flatten_parameters()
        opt, loss = optim.SGD(net.parameters(), lr=0.05, momentum=0.9), losses.CrossEntropy()
        for _ in range(3):
            opt.zero_grad()
            loss.forward(net.forward(X), t)
            net.backward(loss.backward())
            opt.step()
        return [p.data.copy() for p in net.parameters()]
    with threadpool_limits(limits=None):
        try:
            one, two = train(1), train(2)
            assert parallel.workers() == 2
        finally:
            kubik.set_num_threads(1)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
