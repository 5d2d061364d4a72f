"""Optimizers with PyTorch's update rules: ``SGD`` (momentum, weight decay) and ``Adam``.

    >>> from autograd_lite import Value
    >>> w = Value(1.0); opt = SGD([w], lr=0.1); (w * w).backward(); opt.step(); w.data   # 1 - 0.1 * 2
    0.8
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

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

    def vector_rule(self, positions: np.ndarray | None) -> VectorRule | None:
        """This optimizer's rule on a numpy vector (``VectorRule``), or None when it has none (a subclass
        with its own ``step``): ``fit(compiled=True)`` then steps the Values instead.

        >>> class Mine(SGD):
        ...     def step(self) -> None: super().step()
        >>> type(SGD([Value(1.0)], lr=0.1).vector_rule(None)).__name__, Mine([Value(1.0)], lr=0.1).vector_rule(None)
        ('_SGDVector', None)
        """
        rule = _VECTOR_RULES.get(type(self).step)
        return None if rule is None or not rule.fits(self) else rule(self, positions)


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


class VectorRule:
    """An optimizer's rule run on a numpy vector of parameters in place (``fit(compiled=True)``: the tape's held
    vector), with the optimizer's state as arrays; ``store()`` writes that state back into the optimizer.

    ``positions[i]``: where the optimizer's i-th parameter sits in the vector (None: the same order).

    >>> import numpy as np; w = Value(1.0); rule = SGD([w], lr=0.1).vector_rule(None)
    >>> vector = np.array([1.0]); rule.step(vector, np.array([2.0])); vector.tolist()   # 1 - 0.1 * 2
    [0.8]
    """

    def __init__(self, optimizer: Optimizer, positions: np.ndarray | None) -> None:
        self.optimizer, self.positions = optimizer, positions

    def step(self, vector: np.ndarray, grads: np.ndarray) -> None:
        """One update of ``vector`` (in place) from ``grads`` (both in the vector's order)."""
        at = self.positions
        if at is None:
            self._update(vector, grads)
        else:
            p = vector[at]
            self._update(p, grads[at])
            vector[at] = p

    @staticmethod
    def fits(optimizer: Optimizer) -> bool:
        """Whether the optimizer's state can be held as arrays (else it steps the Values)."""
        return True

    def _update(self, p: np.ndarray, g: np.ndarray) -> None:  # pragma: no cover - each rule overrides it
        raise NotImplementedError

    def store(self) -> None:
        """Write the state arrays back into the optimizer (its per-parameter lists), as its own steps would."""


class _SGDVector(VectorRule):
    optimizer: SGD

    @staticmethod
    def fits(optimizer: Optimizer) -> bool:  # momentum buffers: none yet, or all of them
        started = [b is not None for b in optimizer._buffers]  # type: ignore[attr-defined]
        return all(started) or not any(started)

    def __init__(self, optimizer: SGD, positions: np.ndarray | None) -> None:
        super().__init__(optimizer, positions)
        buffers = optimizer._buffers
        self.buf = None if buffers[0] is None else np.array(buffers, dtype=float)

    def _update(self, p: np.ndarray, g: np.ndarray) -> None:
        opt = self.optimizer
        lr, mu, wd = opt.lr, opt.momentum, opt.weight_decay
        if wd:
            g = g + wd * p
        if mu:  # buf = g (first step), then buf = mu * buf + g  (as SGD.step, element by element)
            if self.buf is None:
                self.buf = g.copy()
            else:
                self.buf *= mu
                self.buf += g
            g = self.buf
        p -= lr * g

    def store(self) -> None:
        if self.buf is not None:
            self.optimizer._buffers = self.buf.tolist()


class _AdamVector(VectorRule):
    optimizer: Adam

    def __init__(self, optimizer: Adam, positions: np.ndarray | None) -> None:
        super().__init__(optimizer, positions)
        self.m, self.v = np.array(optimizer._m, dtype=float), np.array(optimizer._v, dtype=float)

    def _update(self, p: np.ndarray, g: np.ndarray) -> None:
        opt = self.optimizer
        opt.t += 1
        b1, b2 = opt.betas
        lr, eps, wd = opt.lr, opt.eps, opt.weight_decay
        correction1, correction2 = 1.0 - b1 ** opt.t, 1.0 - b2 ** opt.t
        if wd:
            g = g + wd * p
        m, v = self.m, self.v
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * g * g
        # p <- p - lr * (m / c1) / (sqrt(v / c2) + eps), in Adam.step's order of operations
        step = np.sqrt(v / correction2)
        step += eps
        p -= (lr * (m / correction1)) / step

    def store(self) -> None:
        self.optimizer._m, self.optimizer._v = self.m.tolist(), self.v.tolist()


# Optimizer.step -> its vector form; a subclass that overrides step has none
_VECTOR_RULES: dict[Callable[..., None], type[VectorRule]] = {SGD.step: _SGDVector, Adam.step: _AdamVector}
