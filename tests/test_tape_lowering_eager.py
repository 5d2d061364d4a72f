"""The eager engine's faster backward (issue 12): the new topological walk gives the same order as the recursive
definition, and the garbage collector is paused during backward and restored after, also after an error."""

from __future__ import annotations

import gc
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value
from autograd_lite.core.backprop import collector_paused
from autograd_lite.core.graph import topological_order


def recursive_order(root):
    """The definition: depth first, inputs in order, a node after all of its inputs, each node once."""
    order, seen = [], set()

    def visit(v):
        seen.add(v)
        for x in v.inputs:
            if x not in seen:
                visit(x)
        order.append(v)

    visit(root)
    return order


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 3), st.sampled_from(["add", "mul", "sum", "tanh"])),
                min_size=1, max_size=40), st.integers(1, 4))
def test_topological_order_is_the_recursive_post_order_on_random_dags(steps, n_leaves):
    nodes = [Value(0.1 * (i + 1)) for i in range(n_leaves)]
    for pick, k, op in steps:
        rng = random.Random(pick)
        ins = [nodes[rng.randrange(len(nodes))] for _ in range(k)]  # repeats allowed: x * x, shared subgraphs
        if op == "tanh" or len(ins) == 1:
            nodes.append(ins[0].tanh())
        elif op == "sum":
            nodes.append(ag.sum(ins))
        else:
            out = ins[0]
            for x in ins[1:]:
                out = out + x if op == "add" else out * x
            nodes.append(out)
    root = nodes[-1]
    got = topological_order(root)
    assert got == recursive_order(root)
    position = {v: i for i, v in enumerate(got)}
    assert all(position[x] < position[v] for v in got for x in v.inputs)


def test_a_long_chain_backpropagates_with_the_collector_paused_and_restored():
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    assert gc.isenabled()
    y.backward()
    assert x.grad == 1.0 and gc.isenabled()
    gc.disable()
    try:
        y.backward()  # a collector the user turned off stays off
        assert not gc.isenabled() and x.grad == 2.0
    finally:
        gc.enable()


def test_the_collector_comes_back_after_a_failed_backward():
    x = Value(1e-300)
    z = x.sqrt() * 1e200  # forward 1e50; backward 1e200 * 0.5 / 1e-150 overflows
    with pytest.raises(OverflowError, match="overflow"):
        z.backward()
    assert x.grad == 0.0  # nothing written
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
