"""SGD and Adam against PyTorch's update formulas, written out with numpy."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_lite import Value

GRADS = np.array([[0.5, -1.0, 2.0], [0.1, 0.3, -0.7], [-0.4, 0.0, 1.5], [1.0, 1.0, 1.0]])


def _run(make, start):
    params = [Value(x) for x in start]
    opt = make(params)
    for g in GRADS:
        opt.zero_grad()
        assert all(p.grad == 0.0 for p in params)
        for p, gi in zip(params, g):
            p.grad = gi
        opt.step()
    return np.array([p.data for p in params])


@pytest.mark.parametrize("momentum, wd", [(0.0, 0.0), (0.9, 0.0), (0.0, 0.1), (0.8, 0.05)])
def test_sgd_matches_pytorch_formula(momentum, wd):
    start, lr = np.array([1.0, -2.0, 0.5]), 0.1
    p, buf = start.copy(), None
    for t, g in enumerate(GRADS):
        g = g + wd * p
        if momentum:
            buf = g if t == 0 else momentum * buf + g
            g = buf
        p = p - lr * g
    got = _run(lambda ps: nn.SGD(ps, lr=lr, momentum=momentum, weight_decay=wd), start)
    np.testing.assert_allclose(got, p, rtol=1e-14)


@pytest.mark.parametrize("betas, wd", [((0.9, 0.999), 0.0), ((0.5, 0.9), 0.01)])
def test_adam_matches_pytorch_formula(betas, wd):
    start, lr, eps = np.array([1.0, -2.0, 0.5]), 0.05, 1e-8
    b1, b2 = betas
    p, m, v = start.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    got = _run(lambda ps: nn.Adam(ps, lr=lr, betas=betas, eps=eps, weight_decay=wd), start)
    np.testing.assert_allclose(got, p, rtol=1e-13)


def test_adam_first_step_moves_every_parameter_by_lr():
    params = [Value(0.0), Value(0.0)]
    opt = nn.Adam(params, lr=0.01)
    params[0].grad, params[1].grad = 1e-3, -50.0
    opt.step()
    assert [p.data for p in params] == pytest.approx([-0.01, 0.01], rel=1e-4)


def test_optimizers_train_a_model_downhill():
    model = nn.MLP(1, [4, 1], activation="tanh", seed=0)
    for opt in (nn.SGD(model.parameters(), lr=0.05, momentum=0.9), nn.Adam(model.parameters(), lr=0.05)):
        losses = []
        for _ in range(30):
            opt.zero_grad()
            loss = nn.mse_loss([model([x]) for x in (-1.0, 0.0, 1.0)], [1.0, 0.0, 1.0])
            loss.backward()
            opt.step()
            losses.append(loss.data)
        assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.SGD([], lr=0.1), ValueError, "empty"),
    (lambda: nn.SGD([Value(1.0)], lr=-0.1), ValueError, "lr must be"),
    (lambda: nn.SGD([Value(1.0)], lr=float("nan")), ValueError, "lr must be"),
    (lambda: nn.SGD([Value(1.0)], lr=0.1, momentum=-1), ValueError, "momentum"),
    (lambda: nn.SGD([1.0], lr=0.1), TypeError, r"params\[0\] must be a Value"),
    (lambda: nn.SGD(Value(1.0), lr=0.1), TypeError, "iterable of Values"),
    (lambda: nn.Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be < 1"),
    (lambda: nn.Adam([Value(1.0)], betas=0.9), ValueError, "pair"),
    (lambda: nn.Adam([Value(1.0)], eps=-1e-8), ValueError, "eps"),
])
def test_bad_arguments_are_rejected(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_duplicate_parameters_are_rejected():
    p = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        nn.SGD([p, p], lr=0.1)
