"""An elementwise step's backward writes (rather than adds) each gradient target nothing has added to before it in
the call (``layer_replay._fresh_rows``): a product's partial times g, add's g itself, a uniform operand summed
over the batch. The second operand of ``x * x`` reads the rows the first wrote, so it adds. With the gradient
buffers poisoned with NaN before a lowered call, every loss still gives the eager engine's numbers exactly."""

from __future__ import annotations

import numpy as np
import pytest
from test_tape_lowering import check, data, mlp

import autograd_lite as ag
from autograd_lite.compiled import layer_replay

model, params = mlp([2, 5, 4, 1], seed=3)
c = ag.Value(0.7)

LOSSES = {
    "max margin + L2": lambda x1, x2, t: (1 + -t * model([x1, x2])[0]).relu() + 1e-3 * sum(p * p for p in params),
    "square of the output": lambda x1, x2, t: (model([x1, x2])[0] - t) * (model([x1, x2])[0] - t),
    "x * x on the batch": lambda x1, x2, t: (lambda s: s * s + s * t)(model([x1, x2])[0]),
    "uniform times batch": lambda x1, x2, t: (c * model([x1, x2])[0] + params[0] * t).tanh() + params[1] * params[1],
    "batch x * x alone": lambda x1, x2, t: (lambda s: (s * s).tanh() * t)(model([x1, x2])[0]),
    "uniform c * c": lambda x1, x2, t: (c * c) * t + model([x1, x2])[0],
    "output read twice": lambda x1, x2, t: (lambda s: (s + t).relu() + (s - t).relu() + s)(model([x1, x2])[0]),
}


def _fresh_targets(tape):
    return layer_replay._fresh_rows(tape._plan.steps, tape._workspace.seed)[1]


@pytest.mark.parametrize("name", LOSSES)
def test_written_gradients_equal_eager_even_over_poisoned_buffers(name):
    fn = LOSSES[name]
    tape = ag.compile(fn, [0.0, 0.0, 1.0], parameters=[*params, c])
    assert tape.layers
    for seed in (1, 2):
        batch = data(2, 13 + seed, seed=seed)
        check(tape, fn, [*params, c], batch)  # the tape's loss and gradients are eager's
        want = tape.value_and_grad(*batch)
        bufs = tape._workspace.batch(len(batch[0]))
        bufs.GV.fill(np.nan)  # a target added to instead of written, or a row left unzeroed, would show
        tape._workspace.GU.fill(np.nan)
        found = tape._lowered(batch, grad=True)  # the lowered path itself, not the interpreter fallback
        assert found is not None and found[0] == want[0]
        np.testing.assert_array_equal(found[1], want[1])
    written = any(any(flags) for flags in _fresh_targets(tape).values())  # some target is written in one call
    assert written == (name != "output read twice")  # there replay's general backward runs first: nothing is fresh


def test_x_times_x_writes_its_first_operand_and_adds_its_second():
    fn = LOSSES["batch x * x alone"]
    tape = ag.compile(fn, [0.0, 0.0, 1.0], parameters=params)
    tape.value_and_grad(*data(2, 5))
    fresh = _fresh_targets(tape)
    squares = [s for s in tape._plan.steps if id(s) in fresh and s.op.name == "mul"
               and len({(o.batch, o.block.start) for o in s.operands}) == 1]
    assert squares and all(fresh[id(s)] == (True, False) for s in squares)
