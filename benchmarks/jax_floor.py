"""The floor study of issue 12: can ANY numpy step of the tape's kind beat JAX jit at B = 100 and 1,000?

    OPENBLAS_NUM_THREADS=1 python3 benchmarks/jax_floor.py [--rounds 31] [B ...]    # needs JAX (the bench extra)

Engines, timed interleaved round by round in one process (rotated order; an engine's time in a round is the
best of 3 short runs of ~10 ms; ratios to JAX taken within each round; medians over the rounds):
  (a) JAX jit step (benchmarks/workload.jax_jit), float64, CPU, one thread;
  (b) the numpy closed form (workload.closed_form);
  (c) the leanest numpy step written by hand (``lean`` below): preallocated buffers, out= everywhere,
      Z = [W b] @ [A; 1] with a ones row, relu masks, L2 gradient added on one flat vector whose per-layer
      [W b] are views, SGD in place on that vector;
  (d) the compiled tape with held parameters (workload.compiled_held).
  (e) the "op-table floor": the leanest step a TAPE could run under the project's rules (``ruled`` below):
      the tape's own plan, every elementwise formula and derivative from the op table through ``array_math``
      (fresh arrays, copied into rows), the tape's checks; no closures, no lock, no wrapper;
  (f) (e) with the hidden relu layers as (c) has them (a mask kept from the forward, out= everywhere): what
      op-table kernels with ``out=`` would give.
Before timing, (c) is checked against (b) (loss and parameters after 3 steps at learning rate 1) and (c), (e),
(f) against the tape's value_and_grad (loss and the full gradient vector) to 1e-12.
Numpy calls are counted with benchmarks/numpy_calls.py (ufunc, array-function and fancy-index calls).
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run as a script from anywhere

try:
    import jax  # noqa: E402
except ImportError:
    sys.exit("benchmarks/jax_floor.py compares with JAX: pip install -e '.[bench]' (JAX on the CPU) first")
import numpy as np  # noqa: E402
import numpy_calls  # noqa: E402
import workload  # noqa: E402
from common import interleaved_times  # noqa: E402
from training_suite import moons  # noqa: E402

from autograd_lite.compiled import array_math, layer_replay, replay  # noqa: E402
from autograd_lite.compiled import tape as tape_module  # noqa: E402

jax.config.update("jax_enable_x64", True)
ALPHA = workload.ALPHA
K, STEPS = 1.11, 1  # learning rate 1 - 0.9 K / STEPS = 0.001, as benchmarks/compiled_scaling.py


def lean_parts(width: int, X: np.ndarray, y: np.ndarray, weights: list[float]) -> dict[str, Any]:
    """The buffers of the lean step: theta (flat [W b] per layer, row-major), grad (same layout), activations
    with a ones row, masks."""
    layers = workload.layers_of(width, weights)
    shapes = [(W.shape[0], W.shape[1] + 1) for W, _ in layers]
    n = sum(r * c for r, c in shapes)
    theta, grad = np.empty(n), np.empty(n)
    Wb, GWb, off = [], [], 0
    for (W, b), (r, c) in zip(layers, shapes):
        view = theta[off:off + r * c].reshape(r, c)
        view[:, :-1], view[:, -1] = W, b
        Wb.append(view)
        GWb.append(grad[off:off + r * c].reshape(r, c))
        off += r * c
    B, m = len(y), float(len(y))
    t = np.asarray(y, dtype=float)
    A0 = np.ones((3, B))
    A0[:2] = X.T
    return dict(theta=theta, grad=grad, Wb=Wb, GWb=GWb, A0=A0, A1=np.ones((width + 1, B)),
                A2=np.ones((width + 1, B)), Z1=np.empty((width, B)), Z2=np.empty((width, B)),
                D1=np.empty((width, B)), D2=np.empty((width, B)), s=np.empty(B), M=np.empty(B), f3=np.empty(B),
                d3=np.empty(B), negt=-t, negt_over_m=-t / m, inv_m=1.0 / m, tmp=np.empty(n),
                F1=np.empty((width, B)), F2=np.empty((width, B)))


def lean(width: int, X: np.ndarray, y: np.ndarray, weights: list[float], steps: int) -> Any:
    """(c): the leanest hand-written numpy step; returns step(k) -> loss before the update. 24 numpy calls."""
    P = lean_parts(width, X, y, weights)
    theta, grad, tmp = P["theta"], P["grad"], P["tmp"]
    Wb1, Wb2, Wb3 = P["Wb"]
    GWb1, GWb2, gwb3 = P["GWb"][0], P["GWb"][1], P["GWb"][2][0]
    wb3 = Wb3[0]
    W2T, W3T = Wb2[:, :width].T, Wb3[:, :width].T  # (W^{l+1})^T as views of theta
    A0, A1, A2 = P["A0"], P["A1"], P["A2"]
    A0T, A1T = A0.T, A1.T
    A1h, A2h = A1[:width], A2[:width]  # the activations; the last row stays 1
    Z1, Z2, D1, D2 = P["Z1"], P["Z2"], P["D1"], P["D2"]
    s, M, f3, d3, D3 = P["s"], P["M"], P["f3"], P["d3"], P["d3"][None]
    F1, F2 = P["F1"], P["F2"]
    negt, negt_over_m, inv_m = P["negt"], P["negt_over_m"], P["inv_m"]
    two_alpha = 2.0 * ALPHA
    dot, multiply, add, subtract = np.dot, np.multiply, np.add, np.subtract
    greater = np.greater

    def step(k: float) -> float:
        dot(Wb1, A0, out=Z1)  # z^l = [W b] [a^{l-1}; 1] (notes 004)
        greater(Z1, 0.0, out=F1)  # relu'(z^l) as 0.0 / 1.0 (bool cast to float on output)
        multiply(Z1, F1, out=A1h)  # a^l = relu(z^l) = z^l relu'(z^l)
        dot(Wb2, A1, out=Z2)
        greater(Z2, 0.0, out=F2)
        multiply(Z2, F2, out=A2h)
        dot(wb3, A2, out=s)
        multiply(negt, s, out=M)
        add(M, 1.0, out=M)  # margin = 1 - t s
        greater(M, 0.0, out=f3)  # relu'(margin) as 0.0 / 1.0
        loss = dot(f3, M) * inv_m + ALPHA * dot(theta, theta)  # mean relu(margin) + alpha |theta|^2
        multiply(f3, negt_over_m, out=d3)  # delta^3 = dC/ds
        dot(A2, d3, out=gwb3)  # [dW db] = delta [a; 1]^T
        dot(W3T, D3, out=D2)  # W^T delta
        multiply(D2, F2, out=D2)  # delta^2 = W^T delta^3 * relu'(z^2)
        dot(D2, A1T, out=GWb2)
        dot(W2T, D2, out=D1)
        multiply(D1, F1, out=D1)
        dot(D1, A0T, out=GWb1)
        multiply(theta, two_alpha, out=tmp)
        add(grad, tmp, out=grad)  # + d(alpha theta^2)/dtheta
        multiply(grad, 1.0 - 0.9 * k / steps, out=tmp)
        subtract(theta, tmp, out=theta)  # SGD in place
        return float(loss)

    step.theta, step.grad = theta, grad  # for the checks
    return step


def ruled_with_masks(width: int, X: np.ndarray, y: np.ndarray, weights: list[float], steps: int) -> Any:
    """(f): (e) with the two hidden layers' relu as (c) has it (a 0/1 mask made once in the forward, a = z * mask,
    delta = W^T delta' * mask): what kernels with ``out=`` and a kept mask would give. Everything else as (e)."""
    return ruled(width, X, y, weights, steps, masks=True)


def ruled(width: int, X: np.ndarray, y: np.ndarray, weights: list[float], steps: int, masks: bool = False) -> Any:
    """(e): the leanest step a tape could run UNDER THE PROJECT'S RULES, written by hand: the same plan as the tape
    (steps in its order), every elementwise formula and local derivative from the op table evaluated with
    ``array_math`` (fresh arrays, copied into preallocated rows), the layers as (c)'s products, and the tape's
    checks (inputs copied and checked finite in one sum, loss and summed gradient checked, errstate, gradient
    copied out). Generous to the tape: the held vector is used in place (no copy into U), the seed row is a
    constant, no step closures, no lock, no batch-size lookup."""
    from autograd_lite.compiled import array_math as am
    from autograd_lite.core import scalar_math
    from autograd_lite.core.ops import OPS

    P = lean_parts(width, X, y, weights)
    theta, grad, tmp = P["theta"], P["grad"], P["tmp"]
    Wb1, Wb2, Wb3 = P["Wb"]
    GWb1, GWb2, gwb3 = P["GWb"][0], P["GWb"][1], P["GWb"][2][0]
    wb3 = Wb3[0]
    W2T, W3T = Wb2[:, :width].T, Wb3[:, :width].T
    B = len(y)
    IN = np.ones((4, B))  # rows t, x1, x2, 1: the inputs (checked in one sum) and [a^0; 1] as views
    inputs, A0, T = IN[:3], IN[1:], IN[0]
    x1, x2, t = X[:, 0].copy(), X[:, 1].copy(), np.asarray(y, dtype=float)
    A1, A2 = P["A1"], P["A2"]
    A1T, A0T = A1.T, A0.T
    A1h, A2h = A1[:width], A2[:width]
    Z1, Z2, D1, D2 = P["Z1"], P["Z2"], P["D1"], P["D2"]
    F1, F2, greater = P["F1"], P["F2"], np.greater
    NT, S, TS, M, H, OUT, GH, GM, GTS, GS = (np.empty(B) for _ in range(10))
    SQ = np.empty_like(theta)
    ONE = np.ones(1)
    L2 = np.empty(1)
    inv_m = 1.0 / B
    G_OUT = np.full(B, inv_m)  # d loss / d output_b (the seed)
    neg, mul, add, relu = OPS["neg"], OPS["mul"], OPS["add"], OPS["relu"]
    dot, multiply, npadd, reduce, isfinite = np.dot, np.multiply, np.add, np.add.reduce, math.isfinite
    errstate, ALPHA_ = np.errstate, ALPHA

    def step(k: float) -> float:
        T[...] = t  # the tape copies the inputs into its buffer
        A0[0] = x1
        A0[1] = x2
        with errstate(all="ignore"):
            if not isfinite(reduce(inputs, axis=None)):
                raise ValueError("not finite")
            NT[...] = neg.forward(am, (T,), None)
            SQ[...] = mul.forward(am, (theta, theta), None)  # p * p
            dot(Wb1, A0, out=Z1)
            if masks:
                greater(Z1, 0.0, out=F1)
                multiply(Z1, F1, out=A1h)
            else:
                A1h[...] = relu.forward(am, (Z1,), None)
            l2_sum = reduce(SQ)
            dot(Wb2, A1, out=Z2)
            if masks:
                greater(Z2, 0.0, out=F2)
                multiply(Z2, F2, out=A2h)
            else:
                A2h[...] = relu.forward(am, (Z2,), None)
            L2[0] = mul.forward(scalar_math, (ALPHA_, float(l2_sum)), None)
            dot(wb3, A2, out=S)
            TS[...] = mul.forward(am, (NT, S), None)
            M[...] = add.forward(am, (ONE, TS), None)
            H[...] = relu.forward(am, (M,), None)
            OUT[...] = add.forward(am, (H, L2), None)
            loss = float(reduce(OUT) * inv_m)
            if not isfinite(loss):
                raise ValueError("not finite")
            # backward, fresh rows written (the partials of add are 1.0: g itself)
            GH[...] = G_OUT
            g_l2 = float(reduce(G_OUT))
            multiply(relu.local(am, (M,), H, None)[0], GH, out=GM)
            GTS[...] = GM
            multiply(mul.local(am, (NT, S), TS, None)[1], GTS, out=GS)
            dot(A2, GS, out=gwb3)
            dot(W3T, GS[None], out=D2)
            g_sum = mul.local(scalar_math, (ALPHA_, float(l2_sum)), L2[0], None)[1] * g_l2
            multiply(D2, F2 if masks else relu.local(am, (Z2,), A2h, None)[0], out=D2)
            dot(D2, A1T, out=GWb2)
            np.matmul(W2T, D2, out=D1)
            multiply(D1, F1 if masks else relu.local(am, (Z1,), A1h, None)[0], out=D1)
            dot(D1, A0T, out=GWb1)
            for d in mul.local(am, (theta, theta), SQ, None):  # d(p p)/dp, twice, times d loss / d(p p)
                multiply(d, g_sum, out=tmp)
                npadd(grad, tmp, out=grad)
            grads = grad.copy()
            if not isfinite(reduce(grads)):
                raise ValueError("not finite")
        np.subtract(theta, (1.0 - 0.9 * k / steps) * grads, out=theta)  # the benchmark's SGD on the held vector
        return loss

    step.theta, step.grad = theta, grad
    return step


def closed_form_params(step: Any) -> np.ndarray:
    """The closed form's parameters (its closure's [W1, b1, ...]) as one vector in the lean layout."""
    params = next(c.cell_contents for c in step.__closure__ if isinstance(c.cell_contents, list))
    return np.concatenate([np.column_stack([W, b]).ravel() for W, b in zip(params[::2], params[1::2])])


def check(width: int, B: int) -> str:
    X, y = moons(B)
    w = workload.initial_weights(width)
    ours, ref = lean(width, X, y, w, 1), workload.closed_form(width, X, y, w, 1)
    worst_loss = worst_param = 0.0
    for _ in range(3):  # learning rate 1: the parameters move by the whole gradient
        worst_loss = max(worst_loss, abs(ours(0) - ref(0)))
        worst_param = max(worst_param, float(np.abs(ours.theta - closed_form_params(ref)).max()))
    # the gradient itself, against the tape's value_and_grad (equal to the eager engine's to 1e-12)
    tape, params = workload._demo_tape(width, w)  # noqa: SLF001
    value, grads = tape.value_and_grad(X[:, 0].copy(), X[:, 1].copy(), np.asarray(y, dtype=float))
    fresh = lean(width, X, y, w, 1)
    fresh.grad[:] = 0.0  # (the step overwrites the layer rows; nothing else is in grad)
    loss = fresh(K)  # the step's grad buffer holds dC/dtheta (L2 term included) after the call
    order = layer_order(width)
    worst_grad = float(np.abs(fresh.grad - grads[order]).max())
    worst_tape_loss = abs(loss - value)
    ruled_step = ruled(width, X, y, w, 1)
    ruled_step.grad[:] = 0.0
    worst_ruled = max(abs(ruled_step(K) - value), float(np.abs(ruled_step.grad - grads[order]).max()))
    masked = ruled_with_masks(width, X, y, w, 1)
    masked.grad[:] = 0.0
    worst_ruled = max(worst_ruled, abs(masked(K) - value), float(np.abs(masked.grad - grads[order]).max()))
    ok = max(worst_loss, worst_param, worst_grad, worst_tape_loss, worst_ruled) <= 1e-12
    if not ok:
        raise SystemExit(f"a step differs: {worst_loss=} {worst_param=} {worst_grad=} {worst_tape_loss=} "
                         f"{worst_ruled=}")
    return (f"B={B}: lean vs closed form: loss {worst_loss:.1e}, parameters after 3 steps {worst_param:.1e}; "
            f"lean vs tape: loss {worst_tape_loss:.1e}, gradient {worst_grad:.1e}; "
            f"(e), (f) vs tape: {worst_ruled:.1e} (all <= 1e-12)")


def layer_order(width: int) -> np.ndarray:
    """Index into nn.MLP's parameter order (per neuron: weights then bias, neuron by neuron) for each lean
    slot: nn's neuron j of a layer is row j of [W b], so the orders coincide; checked, not assumed."""
    import nn
    model = nn.MLP(2, [width, width, 1])
    for i, p in enumerate(model.parameters()):
        p.data = float(i)
    order = np.concatenate([np.column_stack([W, b]).ravel() for W, b in model.to_numpy()]).astype(int)
    return order


def timed(makers: dict[str, Any], width: int, B: int, rounds: int, base: str) -> dict[str, list[float]]:
    X, y = moons(B)
    w = workload.initial_weights(width)
    steps = {name: make(width, X, y, w, STEPS) for name, make in makers.items()}
    return interleaved_times(steps, rounds, K, warmups=3, max_reps=200)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("batches", nargs="*", type=int, default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--width", type=int, default=16)
    args = parser.parse_args()
    makers = {"(a) JAX jit": workload.jax_jit(jax), "(b) numpy closed form": workload.closed_form,
              "(c) lean numpy": lean, "(d) tape, held": workload.compiled_held, "(e) op-table floor": ruled,
              "(f) (e) + relu masks": ruled_with_masks}
    base = "(a) JAX jit"
    X, y = moons(100)
    modules = [tape_module, layer_replay, replay, array_math, workload]
    counts = {name: numpy_calls.count_step(makers[name](args.width, X, y, workload.initial_weights(args.width),
                                                        STEPS), modules, K)[0]
              for name in ("(b) numpy closed form", "(c) lean numpy", "(d) tape, held", "(e) op-table floor",
                           "(f) (e) + relu masks")}
    print(f"numpy {np.__version__}, jax {jax.__version__}, width {args.width}, {args.rounds} rounds")
    for B in args.batches:
        print(check(args.width, B))
    for B in args.batches:
        times = timed(makers, args.width, B, args.rounds, base)
        print(f"\nB = {B:,}: median us per step; median over rounds of time / JAX's in the same round")
        print(f"  {'engine':24} {'numpy calls':>11} {'median us':>10} {'min us':>8} {'vs JAX':>8} {'vs (c)':>8}")
        for name, ts in times.items():
            vs_jax = statistics.median(a / b for a, b in zip(ts, times[base]))
            vs_lean = statistics.median(a / b for a, b in zip(ts, times["(c) lean numpy"]))
            calls = counts.get(name, "-")
            print(f"  {name:24} {calls!s:>11} {statistics.median(ts) * 1e6:10.1f} {min(ts) * 1e6:8.1f} "
                  f"{vs_jax:7.2f}x {vs_lean:7.2f}x")


if __name__ == "__main__":
    main()
