"""Grad mode and the tracing guard are per thread: ``no_grad`` in one thread never reaches another.

Every test here runs real threads and forces the interesting overlap with ``threading.Event`` /
``threading.Barrier`` (never with sleeps): one thread is held inside ``no_grad()`` (or inside a
trace of ``autograd_lite.compile``) while another builds graphs, compares Values or trains.

With one process-wide flag, as before, a graph built in thread B while thread A sat inside
``no_grad`` silently recorded nothing (``op == ""`` and ``inputs == ()``), and overlapping blocks
could leave recording off for good. Every multi-threaded test below fails when the thread-local
state of ``grad_mode`` is swapped for a process-wide one (the stress test then loses about 15,000
of its 18,792 graphs).

Worker exceptions fail the test: ``Workers.join`` re-raises the first one. Every wait has a
timeout, so a broken run fails instead of hanging.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import autograd_lite as ag
import nn
from autograd_lite import TraceError, Value, enable_grad, grad, is_grad_enabled, no_grad
from autograd_lite.core import grad_mode

TIMEOUT = 10.0  # seconds: any single wait longer than this is a failure, not a hang


# --- helpers ----------------------------------------------------------------------------------
class Workers:
    """Threads whose exceptions fail the test.

    ``start(fn, *args)`` runs ``fn`` in a new thread; ``join()`` waits for them all and re-raises
    the first exception a worker raised. When a worker fails, the barriers and events given to the
    constructor are aborted / set, so that the other workers stop waiting for it.
    """

    def __init__(self, *, barriers: tuple[threading.Barrier, ...] = (),
                 events: tuple[threading.Event, ...] = ()) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[tuple[str, BaseException]] = []
        self._barriers, self._events = barriers, events

    def start(self, fn, *args, name: str | None = None) -> None:
        def run() -> None:
            try:
                fn(*args)
            except BaseException as error:  # every failure must reach the test
                self.errors.append((threading.current_thread().name, error))
                for barrier in self._barriers:
                    barrier.abort()
                for event in self._events:
                    event.set()

        thread = threading.Thread(target=run, name=name or f"worker-{len(self.threads)}", daemon=True)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(TIMEOUT)
        hung = [t.name for t in self.threads if t.is_alive()]
        if self.errors:
            names = ", ".join(name for name, _ in self.errors)
            first_name, first = self.errors[0]
            raise AssertionError(f"worker(s) {names} failed; first {first_name}: {first!r}") from first
        assert not hung, f"threads still running after {TIMEOUT} s: {hung}"


def wait_for(event: threading.Event, what: str) -> None:
    assert event.wait(TIMEOUT), f"timed out waiting for {what}"


def recorded(v: Value) -> bool:
    """Whether the op that made ``v`` was recorded (it is a graph node, not a leaf)."""
    return v.op != "" and v.inputs != ()


def unrecorded(v: Value) -> bool:
    """Whether ``v`` was made under no_grad: a leaf with no op and no inputs."""
    return v.op == "" and v.inputs == ()


def make_graph(k: int) -> tuple[Value, Value, Value]:
    """``out = a * b + a`` on exactly representable numbers, so its gradients are exact."""
    a, b = Value(0.5 + k % 7), Value(-1.25 - k % 5)
    return a, b, a * b + a


def op_nodes(out: Value) -> tuple[Value, ...]:
    """The nodes of ``make_graph``'s ``out`` that ops made: ``out`` and, if it was recorded, its product."""
    return (out, out.inputs[0]) if out.inputs else (out,)


def check_graph_records(k: int) -> None:
    """Build graph ``k``, check that both ops were recorded, backpropagate and check the gradients exactly."""
    a, b, out = make_graph(k)
    assert out.op == "add" and out.inputs[1] is a, out
    product = out.inputs[0]
    assert product.op == "mul" and product.inputs == (a, b), product
    out.backward()
    assert (a.grad, b.grad) == (b.data + 1.0, a.data)  # d(ab + a)/da = b + 1, d/db = a


def check_graph_does_not_record(k: int) -> None:
    a, b, out = make_graph(k)
    assert unrecorded(out), out
    assert out.data == a.data * b.data + a.data


@pytest.fixture
def fast_thread_switching():
    """Switch threads every 10 us instead of 5 ms, so that free-running loops interleave finely."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


@pytest.fixture(autouse=True)
def main_thread_mode_is_clean():
    """Every test starts and ends with recording on and no read hook in the main thread."""
    assert is_grad_enabled() and grad_mode.current_mode() == grad_mode.DEFAULT
    yield
    assert is_grad_enabled(), "a test left the main thread inside no_grad"
    assert grad_mode.current_mode() == grad_mode.DEFAULT, "a test left the main thread in another mode"


# --- 1. one thread inside no_grad, another recording -----------------------------------------
def test_graphs_built_while_another_thread_is_inside_no_grad_record():
    a_inside, b_done = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def thread_a() -> None:
        with no_grad():
            seen["A inside"] = is_grad_enabled()
            a_inside.set()
            wait_for(b_done, "B's graphs")  # held inside no_grad until B has built and checked all its graphs
            seen["A inside, after B"] = is_grad_enabled()
            check_graph_does_not_record(0)
        seen["A after"] = is_grad_enabled()
        check_graph_records(1)

    def thread_b() -> None:
        wait_for(a_inside, "A to enter no_grad")
        seen["B while A inside"] = is_grad_enabled()
        for k in range(300):
            check_graph_records(k)
        b_done.set()

    workers = Workers(events=(a_inside, b_done))
    workers.start(thread_a, name="A")
    workers.start(thread_b, name="B")
    workers.join()
    assert seen == {"A inside": False, "B while A inside": True, "A inside, after B": False, "A after": True}


# --- 2. stress: many threads entering and leaving no_grad at once ----------------------------
N_THREADS = 8
LOCKSTEP_ROUNDS = 30  # rounds in which half the threads are inside no_grad while the other half build graphs
FREE_ITERATIONS = 1000  # then each thread free-runs: graph, no_grad block(s), graph, ...


def test_stress_overlapping_no_grad_blocks_in_many_threads(fast_thread_switching):
    barrier = threading.Barrier(N_THREADS, timeout=TIMEOUT)
    counts = [dict.fromkeys(("outside ok", "outside lost", "inside ok", "inside leaked"), 0) for _ in range(N_THREADS)]
    enabled_at_end: list[bool | None] = [None] * N_THREADS

    def count(i: int, nodes: tuple[Value, ...], inside: bool) -> bool:
        """Tally one graph by its op-made nodes: all recorded (outside no_grad) or all leaves (inside)."""
        if inside:
            ok = all(map(unrecorded, nodes))
            counts[i]["inside ok" if ok else "inside leaked"] += 1
        else:
            ok = all(map(recorded, nodes))
            counts[i]["outside ok" if ok else "outside lost"] += 1
        return ok

    def worker(i: int) -> None:
        barrier.wait()
        for r in range(LOCKSTEP_ROUNDS):
            if (i + r) % 2 == 0:
                with no_grad():
                    barrier.wait()  # half the threads are now inside their block ...
                    out = make_graph(r)[2]
                    count(i, op_nodes(out), inside=True)
                    barrier.wait()  # ... and none leaves it before every thread has built its graph
            else:
                barrier.wait()
                out = make_graph(r)[2]
                count(i, op_nodes(out), inside=False)
                barrier.wait()
        barrier.wait()
        for k in range(FREE_ITERATIONS):
            a, b, before = make_graph(k)
            count(i, op_nodes(before), inside=False)
            with no_grad():
                count(i, (a * b,), inside=True)
                if k % 3 == 0:
                    with no_grad():  # nested blocks, and enable_grad inside them
                        count(i, (a + b,), inside=True)
                        with enable_grad():
                            count(i, (a - b,), inside=False)
                        count(i, (a / b,), inside=True)
                count(i, (b - a,), inside=True)
            product = a * b
            after = product + b
            if count(i, (product, after), inside=False):
                after.backward()  # every recorded graph backpropagates correctly
                assert (a.grad, b.grad) == (b.data, a.data + 1.0)
        barrier.wait()  # every thread is done with its blocks before anyone looks at its mode
        enabled_at_end[i] = is_grad_enabled()

    workers = Workers(barriers=(barrier,))
    for i in range(N_THREADS):
        workers.start(worker, i)
    workers.join()

    totals = {key: sum(c[key] for c in counts) for key in counts[0]}
    per_thread_outside = LOCKSTEP_ROUNDS // 2 + FREE_ITERATIONS * 2 + (FREE_ITERATIONS + 2) // 3
    per_thread_inside = LOCKSTEP_ROUNDS // 2 + FREE_ITERATIONS * 2 + (FREE_ITERATIONS + 2) // 3 * 2
    assert totals == {"outside ok": N_THREADS * per_thread_outside, "outside lost": 0,
                      "inside ok": N_THREADS * per_thread_inside, "inside leaked": 0}, totals
    assert enabled_at_end == [True] * N_THREADS
    assert is_grad_enabled()


# --- 3. one decorator / context manager instance shared by threads ---------------------------
def test_one_no_grad_decorator_called_from_many_threads_at_once():
    n, rounds = 8, 20
    inside_together = threading.Barrier(n, timeout=TIMEOUT)

    @no_grad()  # one no_grad instance, entered by all n threads at the same time
    def evaluate_inside(x: Value) -> tuple[Value, bool]:
        inside_together.wait()  # every thread is inside this decorated call now
        y = x * 2 + 1
        mode = is_grad_enabled()
        inside_together.wait()  # and nobody returns before every thread has built y
        return y, mode

    def worker(i: int) -> list[bool]:
        modes_after = []
        try:
            for r in range(rounds):
                x = Value(float(i + r))
                y, mode_inside = evaluate_inside(x)
                assert unrecorded(y) and y.data == 2 * x.data + 1 and mode_inside is False
                modes_after.append(is_grad_enabled())
                check_graph_records(r)
        except BaseException:
            inside_together.abort()  # release the other threads waiting inside evaluate_inside
            raise
        return modes_after

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(worker, i) for i in range(n)]
        results = [f.result(TIMEOUT) for f in futures]  # re-raises a worker's exception here
    assert results == [[True] * rounds] * n
    assert is_grad_enabled()


def check_nested_reuse(ng: no_grad, eg: enable_grad, step: threading.Barrier | None = None) -> None:
    """Enter the same ``ng`` / ``eg`` instances several times, nested; check the mode at every level."""
    def sync() -> None:
        if step is not None:
            step.wait()

    assert is_grad_enabled()
    with ng:
        sync()
        assert not is_grad_enabled()
        check_graph_does_not_record(1)
        with ng:
            sync()
            assert not is_grad_enabled()
            with eg:
                sync()
                assert is_grad_enabled()
                check_graph_records(2)  # enable_grad inside no_grad records
                with ng:
                    sync()
                    assert not is_grad_enabled()
                    check_graph_does_not_record(3)
                assert is_grad_enabled()
            assert not is_grad_enabled()
        assert not is_grad_enabled()  # leaving the inner block of the same instance restores no_grad, not grad
        check_graph_does_not_record(4)
        with pytest.raises(ZeroDivisionError), ng:
            1 / 0
        assert not is_grad_enabled()  # an exception in a nested block restores the mode too
    sync()
    assert is_grad_enabled()
    check_graph_records(5)


def test_no_grad_instance_reused_in_nested_blocks_in_one_thread():
    check_nested_reuse(no_grad(), enable_grad())


def test_no_grad_instances_reused_in_nested_blocks_by_several_threads_at_once():
    n = 4
    shared_ng, shared_eg = no_grad(), enable_grad()
    step = threading.Barrier(n, timeout=TIMEOUT)  # every thread at the same nesting level at each step
    workers = Workers(barriers=(step,))
    for _ in range(n):
        workers.start(check_nested_reuse, shared_ng, shared_eg, step)
    workers.join()


# --- 4. nn.evaluate (decorated with no_grad) in a background thread while the main thread trains
TRAIN_STEPS_IN_LOCKSTEP = 10  # each of these runs while the evaluating thread is held inside no_grad
TRAIN_STEPS_FREE = 20  # then the evaluator loops freely


def train(model: nn.MLP, steps: int, X: np.ndarray, y: np.ndarray, before_step=None, after_step=None):
    """``steps`` SGD steps on the whole set; returns each step's loss and gradients, and the final weights."""
    optimizer = nn.SGD(model.parameters(), lr=0.2)
    rows, targets = X.tolist(), y.tolist()
    losses, grads = [], []
    for step in range(steps):
        if before_step:
            before_step(step)
        loss, _ = nn.train_step(model, rows, targets, nn.mse_loss, optimizer)
        losses.append(loss)
        grads.append([p.grad for p in model.parameters()])
        if after_step:
            after_step(step)
    return losses, grads, [p.data for p in model.parameters()]


def test_evaluate_in_a_background_thread_does_not_change_training_gradients():
    X, y = nn.datasets.make_moons(24, noise=0.1, seed=0)
    steps = TRAIN_STEPS_IN_LOCKSTEP + TRAIN_STEPS_FREE
    reference = train(nn.MLP(2, [6, 1], seed=0), steps, X, y)

    model = nn.MLP(2, [6, 1], seed=0)
    rendezvous = threading.Barrier(2, timeout=TIMEOUT)
    stop = threading.Event()
    evaluations: list[tuple[float, bool]] = []

    def held_mse(outputs, targets):
        """evaluate's loss: during the lockstep steps it holds the evaluator inside no_grad for one training step."""
        if len(evaluations) < TRAIN_STEPS_IN_LOCKSTEP:
            assert not is_grad_enabled()  # we are inside evaluate's no_grad
            rendezvous.wait()  # the main thread now runs one training step ...
            rendezvous.wait()  # ... and has finished it
        return nn.mse_loss(outputs, targets)

    def evaluator() -> None:
        while not stop.is_set():
            loss, accuracy = nn.evaluate(model, X, y, loss=held_mse)  # the same model the main thread trains
            assert accuracy is None and np.isfinite(loss)
            evaluations.append((loss, is_grad_enabled()))

    def hold(step: int) -> None:
        if step < TRAIN_STEPS_IN_LOCKSTEP:
            rendezvous.wait()  # the evaluator is inside nn.evaluate's no_grad now

    def release(step: int) -> None:
        if step < TRAIN_STEPS_IN_LOCKSTEP:
            rendezvous.wait()

    workers = Workers(barriers=(rendezvous,), events=(stop,))
    workers.start(evaluator, name="evaluator")
    try:
        with_evaluator = train(model, steps, X, y, before_step=hold, after_step=release)
    except BaseException:
        rendezvous.abort()  # do not leave the evaluator waiting for a step that will not come
        raise
    finally:
        stop.set()
        workers.join()

    assert len(evaluations) >= TRAIN_STEPS_IN_LOCKSTEP
    assert all(enabled for _, enabled in evaluations)  # the evaluator's own mode is back on after each call
    losses, grads, weights = with_evaluator
    assert losses == reference[0]
    assert grads == reference[1]  # exactly: the evaluator changed nothing in the main thread's graphs
    assert weights == reference[2]
    assert any(g != 0.0 for g in grads[0])  # the gradients are real, not all zero from an unrecorded graph


# --- 5. the compiled tape's tracing mode is per thread ------------------------------------------
def held_first_call(fn, entered: threading.Event, release: threading.Event):
    """``fn``, except that its first call (compile's first trace) signals ``entered`` and waits for ``release``."""
    calls = []

    def wrapper(*args):
        if not calls:
            calls.append(grad_mode.current_mode())  # the mode the trace put this thread in
            entered.set()
            wait_for(release, "the other thread")
        return fn(*args)

    wrapper.modes_seen = calls
    return wrapper


def compare_values_freely(w: Value) -> None:
    """Comparisons and conversions that a trace refuses in its own thread; here they must just work.

    ``w`` is a parameter of the function being traced in the other thread: it is refused.
    """
    assert grad_mode.current_mode() == grad_mode.DEFAULT  # the other thread's trace is not this thread's
    a, b = Value(1.0), Value(-2.0)
    assert (Value(1.0) > 0) is True and (a < b) is False and a >= b and b <= a
    assert float(a) == 1.0 and b.item() == -2.0
    assert max(a, b) is a and min(a, b) is b
    v = Value(0.7)  # not the other thread's parameter: a number here, whatever A traces
    assert (v > 0) is True and (v < 1) is True and float(v * 2) == 1.4 and max(v, Value(0.5)) is v
    # A's parameter itself is unknown while A traces: using it here is refused, never a wrong number
    with pytest.raises(TraceError, match="in another thread"):
        w * 3


def test_a_trace_in_one_thread_does_not_refuse_comparisons_in_another():
    w = Value(0.7, label="w")
    in_good_trace, in_bad_trace = threading.Event(), threading.Event()
    b_compared_once, b_compared_twice = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def branch_free(x: Value) -> Value:
        return (w * x).tanh()

    def branching(x: Value) -> Value:
        if x > 0:  # Python control flow on a traced Value: compile must refuse it
            return w * x
        return -w * x

    good = held_first_call(branch_free, in_good_trace, b_compared_once)
    bad = held_first_call(branching, in_bad_trace, b_compared_twice)

    def thread_a() -> None:
        with pytest.raises(TraceError, match="another thread used the captured Value 'w'"):
            ag.compile(good, [0.5], parameters=[w])  # B used w meanwhile: this trace cannot be trusted
        tape = ag.compile(good, [0.5], parameters=[w])  # again, alone
        results["mode after compile"] = grad_mode.current_mode()
        results["tape"] = tape.value_and_grad(np.array([1.0, -2.0]))
        with pytest.raises(TraceError, match=r"compares \(>\) input 0"):
            ag.compile(bad, [0.5], parameters=[w])
        results["mode after failed compile"] = grad_mode.current_mode()

    def thread_b() -> None:
        wait_for(in_good_trace, "A's first trace")
        compare_values_freely(w)
        b_compared_once.set()
        wait_for(in_bad_trace, "A's trace of the branching function")
        compare_values_freely(w)
        b_compared_twice.set()

    workers = Workers(events=(in_good_trace, in_bad_trace, b_compared_once, b_compared_twice))
    workers.start(thread_a, name="A")
    workers.start(thread_b, name="B")
    workers.join()

    assert good.modes_seen[0][1] is not None and bad.modes_seen[0][1] is not None  # A was really tracing
    assert results["mode after compile"] == grad_mode.DEFAULT
    assert results["mode after failed compile"] == grad_mode.DEFAULT
    loss, grads = results["tape"]
    eager = [Value(1.0), Value(-2.0)]
    want = ag.grad(ag.sum([branch_free(x) for x in eager]) * 0.5, [w])[0].data
    assert loss == pytest.approx((np.tanh(0.7) + np.tanh(-1.4)) / 2, rel=1e-12, abs=1e-15)
    assert grads[0] == pytest.approx(want, rel=1e-12)


def test_a_trace_in_one_thread_leaves_other_threads_computing_numbers():
    a_tracing, b_done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def fn(x: Value) -> Value:
        if "A's mode" not in seen:
            seen["A's mode"] = grad_mode.current_mode()[1] is not None
            a_tracing.set()
            wait_for(b_done, "B's graphs")
        return x * 2

    def thread_a() -> None:
        ag.compile(fn, [1.0])

    def thread_b() -> None:
        wait_for(a_tracing, "A's trace")
        seen["B's mode"] = grad_mode.current_mode()
        y = (Value(1.5) * 2).tanh()  # B's nodes hold numbers, not A's unknowns
        seen["B's value"] = y.data
        b_done.set()

    workers = Workers(events=(a_tracing, b_done))
    workers.start(thread_a, name="A")
    workers.start(thread_b, name="B")
    workers.join()
    assert seen == {"A's mode": True, "B's mode": grad_mode.DEFAULT, "B's value": pytest.approx(np.tanh(3.0))}


def test_compile_in_one_thread_while_another_is_inside_no_grad():
    """compile refuses to trace inside no_grad; another thread's no_grad must not count."""
    a_inside, b_done = threading.Event(), threading.Event()
    w = Value(1.5)
    out: dict[str, object] = {}

    def thread_a() -> None:
        with no_grad():
            a_inside.set()
            wait_for(b_done, "B's compile")
            with pytest.raises(RuntimeError, match="inside no_grad"):  # but A's own no_grad does count
                ag.compile(lambda x: w * x, [1.0], parameters=[w])

    def thread_b() -> None:
        wait_for(a_inside, "A to enter no_grad")
        out["tape"] = ag.compile(lambda x: (w * x) ** 2, [1.0], parameters=[w])
        b_done.set()

    workers = Workers(events=(a_inside, b_done))
    workers.start(thread_a, name="A")
    workers.start(thread_b, name="B")
    workers.join()
    loss, grads = out["tape"].value_and_grad(np.array([2.0]))
    assert (loss, grads.tolist()) == (9.0, [12.0])  # (w x)^2 = 9, d/dw = 2 w x^2 = 12


def test_another_thread_never_computes_with_a_wrong_number_for_a_parameter_being_traced():
    """compile makes the captured parameters unknown while it traces; a thread that uses one meanwhile gets a
    TraceError that says why, never another number, and that compile fails too (its trace was not alone);
    afterwards the number is back and compiling again gives the right tape."""
    w = Value(2.0, label="w")
    in_second_trace, release = threading.Event(), threading.Event()
    calls: list[int] = []
    seen: dict[str, object] = {}

    def fn(x: Value) -> Value:
        calls.append(1)
        if len(calls) == 2:  # the second trace, with w unknown: hold it open
            in_second_trace.set()
            wait_for(release, "the other thread's use of w")
        return w * x

    def thread_a() -> None:
        with pytest.raises(TraceError, match="another thread used the captured Value 'w'"):
            ag.compile(fn, [1.0], parameters=[w])
        seen["tape"] = ag.compile(fn, [1.0], parameters=[w])  # again, with no other thread using w

    def thread_b() -> None:
        wait_for(in_second_trace, "A's second trace")
        with pytest.raises(TraceError, match=r"'w' is being traced by compile\(.*\) in another thread"):
            w * 3
        with pytest.raises(TraceError, match="another thread"):
            float(w)
        release.set()

    workers = Workers(events=(in_second_trace, release))
    workers.start(thread_a, name="A")
    workers.start(thread_b, name="B")
    workers.join()
    assert w.data == 2.0 and (w * 3).data == 6.0  # the number is back
    loss, grads = seen["tape"].value_and_grad(np.array([1.5]))
    assert (loss, grads.tolist()) == (3.0, [1.5])


# --- 6. a new thread starts with grad enabled --------------------------------------------------
def test_a_new_thread_starts_with_grad_enabled_even_if_its_parent_is_inside_no_grad():
    seen: dict[str, bool] = {}

    def grandchild() -> None:
        seen["grandchild"] = is_grad_enabled()
        check_graph_records(2)

    def child() -> None:
        seen["child"] = is_grad_enabled()
        check_graph_records(1)
        with no_grad():
            inner = Workers()
            inner.start(grandchild, name="grandchild")  # started from inside the child's no_grad
            inner.join()
            seen["child inside, after grandchild"] = is_grad_enabled()

    with no_grad():
        workers = Workers()
        workers.start(child, name="child")
        workers.join()
        with ThreadPoolExecutor(max_workers=2) as pool:  # a pool made and used inside no_grad
            seen["pool"] = all(pool.map(lambda _: is_grad_enabled(), range(4)))
        seen["parent inside"] = is_grad_enabled()
    assert seen == {"child": True, "grandchild": True, "child inside, after grandchild": False, "pool": True,
                    "parent inside": False}


# --- 7. grad(create_graph=True) records inside no_grad, in any thread --------------------------
def test_grad_with_create_graph_records_inside_no_grad_while_another_thread_is_in_no_grad():
    a_inside, b_done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def thread_a() -> None:
        x = Value(3.0)
        y = x * x  # recorded, before A enters no_grad
        with no_grad():
            a_inside.set()
            wait_for(b_done, "B's grad")
            seen["A inside"] = is_grad_enabled()  # B's enable_grad (inside grad) did not reach A
            check_graph_does_not_record(0)
            (dy,) = grad(y, [x], create_graph=True)  # A's own grad records too ...
            seen["A inside, after grad"] = is_grad_enabled()  # ... and leaves A in no_grad
        seen["A dy"] = (recorded(dy), dy.data, grad(dy, [x])[0].data)  # 2x = 6, then 2

    def thread_b() -> None:
        wait_for(a_inside, "A to enter no_grad")
        x = Value(2.0)
        y = x ** 3  # recorded: B is not in no_grad
        with no_grad():
            (dy,) = grad(y, [x], create_graph=True)  # as in PyTorch: recorded even under no_grad
            seen["B inside, after grad"] = is_grad_enabled()
            check_graph_does_not_record(1)  # grad's enable_grad ended when grad returned
            (plain,) = grad(y, [x])  # without create_graph: a leaf
        assert recorded(dy) and dy.data == 12.0  # 3 x^2
        assert unrecorded(plain) and plain.data == 12.0
        (d2y,) = grad(dy, [x], create_graph=True)
        assert recorded(d2y) and d2y.data == 12.0  # 6 x
        assert grad(d2y, [x])[0].data == 6.0
        b_done.set()

    workers = Workers(events=(a_inside, b_done))
    workers.start(thread_a, name="A")
    workers.start(thread_b, name="B")
    workers.join()
    assert seen == {"B inside, after grad": False, "A inside": False, "A inside, after grad": False,
                    "A dy": (True, 6.0, 2.0)}


# --- 8. a thread that ends inside no_grad leaves nothing behind --------------------------------
def test_a_thread_that_ends_inside_no_grad_does_not_leave_its_id_switched_off():
    """A block entered and never left (a generator suspended inside it, or __enter__ by hand): when the
    thread ends, its id leaves the set, so a later thread that gets the same id records."""
    idents: list[int] = []

    def enter_and_end() -> None:
        no_grad().__enter__()
        idents.append(threading.get_ident())
        assert not is_grad_enabled()

    for _ in range(3):
        thread = threading.Thread(target=enter_and_end)
        thread.start()
        thread.join()
        assert idents[-1] not in grad_mode.modes
    assert grad_mode.modes == {}
    check_graph_records(0)


def test_a_generator_closed_in_another_thread_does_not_change_that_threads_mode():
    seen: dict[str, bool] = {}

    def inside_no_grad():
        with no_grad():
            yield is_grad_enabled()

    def owner() -> None:
        gen = inside_no_grad()
        seen["in the generator"] = next(gen)  # the generator's block is this thread's, for now
        closer = threading.Thread(target=gen.close)
        closer.start()
        closer.join()  # its __exit__ runs in the closing thread, which has no open block: nothing changes there
        seen["owner after close"] = is_grad_enabled()  # the owner's block was never left
        with enable_grad():
            check_graph_records(1)

    workers = Workers()
    workers.start(owner, name="owner")
    workers.join()
    assert seen == {"in the generator": False, "owner after close": False}
    assert grad_mode.modes == {}  # the owner ended; its id was forgotten
