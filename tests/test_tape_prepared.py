"""The lowered plan prepared per batch size: which path each layer takes ([W b] [A; 1] in one product, or W A + b),
and that every path gives the eager engine's gradients to 1e-12; the batch's fast checks; relu's array formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_tape_lowering import check, data, mlp

import autograd_lite as ag
from autograd_lite import Value
from autograd_lite.compiled import array_math
from autograd_lite.core import scalar_math


def _max_margin(model, params):
    def loss(x1, x2, t):
        return (1 + -t * model([x1, x2])[0]).relu() + 1e-4 * ag.sum([p * p for p in params])

    return loss


def _kinds(tape, B):
    bufs = tape._workspace.batch(B)
    return [f.__qualname__.split(".")[0] for f in bufs.forward_ops]


def test_neuron_by_neuron_parameters_run_as_one_product_with_the_bias_column():
    model, params = mlp([2, 5, 4, 1], seed=3)
    fn = _max_margin(model, params)
    tape = ag.compile(fn, [0.0, 0.0, 1.0], parameters=params)
    batch = data(2, 37, seed=4)
    check(tape, fn, params, batch)
    kinds = _kinds(tape, 37)
    assert kinds.count("_augmented_layer_ops") == 3 and "_layer_ops" not in kinds
    bufs = tape._workspace.batch(37)
    ones = sorted(bufs.ones)
    assert len(ones) == 3 and (bufs.V[ones] == 1.0).all()  # a ones row after each layer's outputs
    assert [layer.ones for layer in tape.layers] == ones


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_other_parameter_orders_take_the_w_a_plus_b_path_with_the_same_gradients(order):
    model, params = mlp([2, 4, 3, 1], seed=5)
    listed = params[::-1] if order == "reversed" else [params[i] for i in np.random.default_rng(0).permutation(len(params))]
    fn = _max_margin(model, params)
    tape = ag.compile(fn, [0.0, 0.0, 1.0], parameters=listed)
    batch = data(2, 21, seed=6)
    loss, grads = tape.value_and_grad(*batch)
    want = ag.compile(fn, [0.0, 0.0, 1.0], parameters=params)
    _, want_grads = want.value_and_grad(*batch)
    by_param = dict(zip(map(id, params), want_grads))
    np.testing.assert_allclose(grads, [by_param[id(p)] for p in listed], rtol=1e-12, atol=1e-12)
    check(tape, fn, listed, batch)
    assert "_augmented_layer_ops" not in _kinds(tape, 21) and _kinds(tape, 21).count("_layer_ops") == 3


def test_layers_without_bias_and_several_batch_sizes():
    model, params = mlp([3, 4, 2], bias=False, seed=2)

    def fn(a, b, c, t):
        out = model([a, b, c])
        return (out[0] - t) ** 2 + out[1].tanh()

    tape = ag.compile(fn, [0.0, 0.0, 0.0, 0.0], parameters=params)
    for B in (1, 9, 30, 9):
        check(tape, fn, params, data(3, B, seed=B))
    assert "_augmented_layer_ops" not in _kinds(tape, 9)


def test_a_non_finite_input_is_named_and_a_huge_finite_batch_is_accepted():
    model, params = mlp([2, 3, 1], seed=1)
    fn = _max_margin(model, params)
    tape = ag.compile(fn, [0.0, 0.0, 1.0], parameters=params)
    x = np.array([0.5, np.nan, 1.0])
    with pytest.raises(ValueError, match="input 1: contains a non-finite number"):
        tape.value_and_grad(np.zeros(3), x, np.ones(3))
    with pytest.raises(ValueError, match="input 2: contains a non-finite number"):
        tape(np.zeros(3), np.zeros(3), np.array([1.0, -np.inf, 1.0]))

    w = Value(0.5)
    scaled = ag.compile(lambda x, y: ag.dot([w], [x * 1e-300]) + y * 0.0, [0.0, 0.0], parameters=[w])
    big = np.array([1e308, 1e308, 1e308])  # sums to inf, but every number is finite: not an error
    loss, grads = scaled.value_and_grad(big, big)
    assert loss == pytest.approx(0.5 * 1e8) and grads[0] == pytest.approx(1e8)


def test_array_relu_is_scalar_relu_number_for_number_with_the_sign_of_zero():
    xs = [-0.0, 0.0, math.nan, math.inf, -math.inf, 1e-300, -1e-300, 2.5, -2.5, 5e-324, -5e-324]
    got = array_math.relu(np.array(xs * 7))  # long enough for numpy's vector loops and their tails
    want = [scalar_math.relu(x) for x in xs * 7]
    assert [(v, math.copysign(1.0, v)) for v in got.tolist()] == [(v, math.copysign(1.0, v)) for v in want]
    assert array_math.relu(np.array([[-0.0], [3.0]])).tolist() == [[0.0], [3.0]]


def test_scalar_groups_and_a_penalty_on_some_weights_match_eager():
    model, params = mlp([2, 3, 1], seed=7)
    c = Value(0.3)

    def fn(x1, x2, t):
        s = model([x1, x2])[0]
        penalty = (params[0] * params[1] + c * params[2]) / (1 + params[3] * params[3])  # scalar ops, x * x
        return (s - t) ** 2 + penalty + 1e-3 * ag.sum([p * p for p in params])

    tape = ag.compile(fn, [0.0, 0.0, 0.0], parameters=params)
    check(tape, fn, params, data(2, 13, seed=8))
    assert "_scalar_ops" in _kinds(tape, 13)
