"""Loss functions: values against hand formulas, gradients against finite differences, stability, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd_lite import Value


def _grads(loss_fn, xs, target):
    vs = [Value(x) for x in xs]
    loss = loss_fn(vs, target)
    loss.backward()
    return loss.data, [v.grad for v in vs]


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


CASES = [
    # (loss, inputs, target, closed form of the value)
    (nn.mse_loss, [0.5, -1.0, 2.0], [1.0, 0.0, 2.5], lambda x, t: np.mean((np.array(x) - t) ** 2)),
    (nn.binary_cross_entropy, [0.2, 0.9, 0.6], [0.0, 1.0, 0.3],
     lambda p, t: -np.mean(np.array(t) * np.log(p) + (1 - np.array(t)) * np.log(1 - np.array(p)))),
    (nn.binary_cross_entropy_with_logits, [-1.5, 0.3, 4.0], [0.0, 1.0, 0.25],
     lambda x, t: -np.mean([ti * math.log(_sigmoid(xi)) + (1 - ti) * math.log(1 - _sigmoid(xi)) for xi, ti in zip(x, t)])),
    (nn.hinge_loss, [0.5, -2.0, 0.2], [1, -1, -1], lambda s, t: np.mean(np.maximum(0, 1 - np.array(t) * s))),
]


@pytest.mark.parametrize("loss_fn, xs, target, closed", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_elementwise_losses_value_and_gradient(loss_fn, xs, target, closed, fd):
    value, grads = _grads(loss_fn, xs, target)
    assert value == pytest.approx(closed(xs, target), rel=1e-12)
    for i in range(len(xs)):
        assert grads[i] == pytest.approx(fd(lambda v: loss_fn(v, target).data, xs, i), rel=1e-7, abs=1e-10)


def test_bce_gradient_through_sigmoid_is_y_minus_t_over_n():
    for x, t in [(0.3, 1.0), (-2.0, 0.0), (1.7, 0.0)]:
        z = Value(x)
        nn.binary_cross_entropy(z.sigmoid(), t).backward()
        assert z.grad == pytest.approx(_sigmoid(x) - t, rel=1e-12)  # notes 000: delta_out = y - t
        z2 = Value(x)
        nn.binary_cross_entropy_with_logits(z2, t).backward()
        assert z2.grad == pytest.approx(_sigmoid(x) - t, rel=1e-12)


def test_cross_entropy_value_gradient_and_batch_mean():
    logits = [[2.0, -1.0, 0.5], [0.0, 0.0, 3.0]]
    targets = [0, 1]
    vs = [[Value(x) for x in row] for row in logits]
    loss = nn.cross_entropy(vs, targets)
    loss.backward()
    expected = 0.0
    for row, k, vrow in zip(logits, targets, vs):
        p = np.exp(row) / np.exp(row).sum()
        expected += -math.log(p[k]) / 2
        onehot = np.eye(3)[k]
        assert [v.grad for v in vrow] == pytest.approx(((p - onehot) / 2).tolist(), rel=1e-12)  # eq. 19, / m
    assert loss.data == pytest.approx(expected, rel=1e-12)
    single = nn.cross_entropy([Value(x) for x in logits[0]], 0)
    assert single.data == pytest.approx(-math.log(np.exp(2) / np.exp(logits[0]).sum()), rel=1e-12)
    assert nn.cross_entropy([Value(x) for x in logits[0]], np.int64(0)).data == single.data


@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_extreme_logits_neither_overflow_nor_nan(big):
    vs = [Value(big), Value(0.0), Value(-big)]
    loss = nn.cross_entropy(vs, 1)
    loss.backward()
    assert loss.data == pytest.approx(abs(big))
    assert all(math.isfinite(v.grad) for v in vs)
    assert sorted(v.grad for v in vs) == pytest.approx([-1.0, 0.0, 1.0])
    x = Value(big)
    b = nn.binary_cross_entropy_with_logits(x, 0.0)
    b.backward()
    assert b.data == pytest.approx(max(big, 0.0)) and x.grad == pytest.approx(1.0 if big > 0 else 0.0)


def test_bce_on_saturated_probabilities_is_clamped_like_pytorch():
    assert nn.binary_cross_entropy(Value(1.0), 1.0).data == 0.0
    assert nn.binary_cross_entropy(Value(1.0), 0.0).data == 100.0
    assert nn.binary_cross_entropy(Value(0.0), 1.0).data == 100.0


def test_losses_accept_single_values_and_multi_output_batches():
    assert nn.mse_loss(Value(3.0), 1).data == 4.0
    batch = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
    assert nn.mse_loss(batch, [[1.0, 2.0], [3.0, 2.0]]).data == 1.0
    assert nn.mse_loss(batch, np.array([[1.0, 2.0], [3.0, 2.0]])).data == 1.0


@pytest.mark.parametrize("call, message", [
    (lambda: nn.mse_loss([Value(1.0), Value(2.0)], [1.0]), r"input has shape \(2,\) but target has shape \(1,\)"),
    (lambda: nn.mse_loss([Value(1.0), Value(2.0)], [[1.0, 2.0], [3.0, 4.0]]), "target has shape"),
    (lambda: nn.mse_loss([], []), "empty"),
    (lambda: nn.mse_loss([Value(1.0)], [Value(1.0)]), "plain numbers"),
    (lambda: nn.mse_loss(["a"], [1.0]), r"input\[0\] must be a Value"),
    (lambda: nn.mse_loss([Value(1.0)], [float("nan")]), "finite"),
    (lambda: nn.binary_cross_entropy([Value(1.5)], [1.0]), "not a probability"),
    (lambda: nn.binary_cross_entropy([Value(0.5)], [2.0]), r"target\[0\] = 2.0 is not in \[0, 1\]"),
    (lambda: nn.hinge_loss([Value(0.5)], [0]), "-1 or \\+1"),
    (lambda: nn.cross_entropy([Value(1.0), Value(2.0)], 2), "target = 2 is out of range for 2 classes"),
    (lambda: nn.cross_entropy([Value(1.0), Value(2.0)], -1), "out of range"),
    (lambda: nn.cross_entropy([[Value(1.0), Value(2.0)]], [0, 1]), "needs a list of 1 class indices"),
    (lambda: nn.cross_entropy([Value(1.0), Value(2.0)], 0.5), "int class index"),
    (lambda: nn.cross_entropy([[Value(1.0), Value(2.0)], [Value(1.0)]], [0, 0]), r"input\[1\] must be a list of 2"),
    (lambda: nn.cross_entropy(Value(1.0), 0), "non-empty list of logits"),
])
def test_bad_arguments_raise_clear_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("name, batch_loss, xs, target", [
    ("mse", nn.mse_loss, [0.5, -1.0], [1.0, 0.0]),
    ("bce_with_logits", nn.binary_cross_entropy_with_logits, [-1.5, 4.0], [0.0, 0.25]),
    ("hinge", nn.hinge_loss, [0.5, -2.0], [1.0, 1.0]),
])
def test_per_element_terms_take_value_targets_and_average_to_the_batch_loss(name, batch_loss, xs, target):
    # nn.losses.TERMS is each formula's one home: the batch losses and compiled training both use it
    ts = [Value(t) for t in target]
    vs = [Value(x) for x in xs]
    terms = nn.losses.TERMS[name](vs, ts)
    mean = sum(terms) * (1.0 / len(terms))
    mean.backward()
    assert mean.data == batch_loss(xs, target).data
    assert all(t.grad != 0.0 for t in ts)  # the targets are graph inputs, as a tape needs them


def test_cross_entropy_term_with_a_one_hot_of_values():
    z = [Value(1.0), Value(-2.0), Value(0.5)]
    (term,) = nn.losses.TERMS["cross_entropy"](z, [Value(0.0), Value(1.0), Value(0.0)])
    assert term.data == pytest.approx(nn.cross_entropy([1.0, -2.0, 0.5], 1).data, rel=1e-15)
    assert term.data == pytest.approx(math.log(math.exp(1.0) + math.exp(-2.0) + math.exp(0.5)) + 2.0, rel=1e-14)


def test_a_column_of_targets_pairs_with_single_outputs():
    """Targets shaped (n, 1), as numpy users keep them, pair with n single outputs (tester2's find); a real
    mismatch is still refused."""
    import numpy as np
    import pytest

    import nn

    model = nn.MLP(2, [3, 1], seed=0)
    X, T = np.array([[0.5, -1.5], [1.0, 2.0]]), np.array([[0.7], [0.1]])
    outputs = [model(x) for x in X.tolist()]
    assert nn.mse_loss(outputs, T).data == nn.mse_loss(outputs, T.ravel()).data
    history = nn.fit(model, X, T, loss="mse", epochs=2, progress=False)
    assert len(history.loss) == 2
    with pytest.raises(ValueError, match="shape"):
        nn.mse_loss(outputs, np.array([[0.7, 0.1]] * 2))


def test_a_loss_of_one_term_is_that_term_named_c():
    """One example, one output: the loss is the term itself, named C, with no sum of one and no "* 1" for a
    picture or a walkthrough to show; with more terms it is their mean, also named C."""
    import nn
    from autograd_lite import Value

    y = Value(0.25, label="yhat_1")
    loss = nn.mse_loss(y, 1.0)
    assert loss.label == "C" and loss.op == "pow" and loss.inputs[0].inputs[0] is y
    assert loss.data == (0.25 - 1.0) ** 2
    two = nn.mse_loss([y, Value(2.0)], [1.0, 1.0])
    assert two.label == "C" and two.op == "mul" and two.data == ((0.25 - 1.0) ** 2 + 1.0) / 2
