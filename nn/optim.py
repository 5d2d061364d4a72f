"""Optimizers with PyTorch's update rules: ``SGD`` (momentum, weight decay) and ``Adam``.

    >>> from autograd_lite import Value
    >>> w = Value(1.0); opt = SGD([w], lr=0.1); (w * w).backward(); opt.step(); w.data   # 1 - 0.1 * 2
    0.8
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd_lite import Value

from .checks import nonnegative


class Optimizer:
    """Base class: holds the parameters; ``zero_grad()`` clears their gradients, ``step()`` updates them.

    >>> w = Value(1.0); (3 * w).backward(); opt = SGD([w], lr=0.1); opt.zero_grad(); w.grad
    0.0
    """

    def __init__(self, params: Iterable[Value]) -> None:
        if isinstance(params, Value):
            raise TypeError("params must be an iterable of Values (e.g. model.parameters()), got one Value")
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty parameter list")
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"params[{i}] must be a Value, got {type(p).__name__}")
            if id(p) in seen:
                raise ValueError(f"params[{i}] appears more than once; each parameter must be listed once")
            seen.add(id(p))

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:  # pragma: no cover - every optimizer overrides it
        """Update every parameter from its ``.grad`` (each optimizer's own rule)."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule (dampening 0, no Nesterov).

    g = grad + weight_decay * p;  with momentum: buf = g (first step), then buf = momentum * buf + g; g = buf;
    p <- p - lr * g   (notes 001 eq. 13: theta <- theta - lambda grad).

    >>> w = Value(1.0); opt = SGD([w], lr=0.5, momentum=0.9)
    >>> for _ in range(2): opt.zero_grad(); w.grad = 1.0; opt.step()
    >>> round(w.data, 12)   # 1 - 0.5 * 1 - 0.5 * (0.9 + 1)
    -0.45
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params)
        self.lr = nonnegative(lr, "lr")
        self.momentum = nonnegative(momentum, "momentum")
        self.weight_decay = nonnegative(weight_decay, "weight_decay")
        self._buffers: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        """Update every parameter from its current ``.grad``."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            if mu:
                buf = self._buffers[i]
                g = self._buffers[i] = g if buf is None else mu * buf + g
            p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's rule, with bias correction; ``weight_decay`` adds wd * p to the gradient.

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

    >>> w = Value(1.0); opt = Adam([w], lr=0.1); w.grad = 3.0; opt.step(); round(w.data, 6)   # first step moves lr
    0.9
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params)
        self.lr = nonnegative(lr, "lr")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r:.60}")
        self.betas = (nonnegative(betas[0], "betas[0]", 1.0), nonnegative(betas[1], "betas[1]", 1.0))
        self.eps = nonnegative(eps, "eps")
        self.weight_decay = nonnegative(weight_decay, "weight_decay")
        self.t = 0
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        """Update every parameter from its current ``.grad``."""
        self.t += 1
        b1, b2 = self.betas
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        correction1, correction2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        m, v = self._m, self._v
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= lr * (m[i] / correction1) / (math.sqrt(v[i] / correction2) + eps)
