"""Toy classification data sets, seeded numpy, examples as rows.

Every function returns ``(X, y)``: ``X`` a float array of shape (n_samples, n_features) and
``y`` an int array of shape (n_samples,) holding class indices 0, 1, ... The same ``seed``
gives the same data. (``nn.reference`` wants examples as columns, as in the notes: pass ``X.T``.)

    >>> X, y = make_moons(100, noise=0.1, seed=0); X.shape, y.shape, sorted(set(y.tolist()))
    ((100, 2), (100,), [0, 1])
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .checks import count, nonnegative

Data = tuple[np.ndarray, np.ndarray]


def _rng(seed: int | None) -> np.random.Generator:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise ValueError(f"seed must be an int >= 0 or None, got {seed!r:.60}")
    return np.random.default_rng(seed)


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator, shuffle: bool = True) -> Data:
    X = X + rng.normal(0.0, noise, size=X.shape) if noise > 0 else X
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    return X.astype(float), y.astype(np.int64)


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: int | None = None) -> Data:
    """Two interleaving half circles (class 0 on top, class 1 below), as ``sklearn.datasets.make_moons``.

    >>> X, y = make_moons(4, seed=0); X.shape
    (4, 2)
    """
    n = count(n_samples, "n_samples", 2)
    noise, rng = nonnegative(noise, "noise"), _rng(seed)
    n_top = n // 2
    t_top, t_bottom = np.linspace(0, math.pi, n_top), np.linspace(0, math.pi, n - n_top)
    top = np.stack([np.cos(t_top), np.sin(t_top)], axis=1)
    bottom = np.stack([1 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)], axis=1)
    y = np.r_[np.zeros(n_top), np.ones(n - n_top)]
    return _finish(np.vstack([top, bottom]), y, noise, rng)


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.5, seed: int | None = None) -> Data:
    """A circle of radius ``factor`` (class 1) inside a circle of radius 1 (class 0).

    >>> X, y = make_circles(10, seed=0); float(np.abs(np.hypot(*X[y == 0].T) - 1).max()) < 1e-12
    True
    """
    n = count(n_samples, "n_samples", 2)
    noise, rng = nonnegative(noise, "noise"), _rng(seed)
    if not 0 < nonnegative(factor, "factor") < 1:
        raise ValueError(f"factor must be between 0 and 1 (the inner radius), got {factor!r}")
    n_out = n // 2
    t_out = np.linspace(0, 2 * math.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * math.pi, n - n_out, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)
    y = np.r_[np.zeros(n_out), np.ones(n - n_out)]
    return _finish(np.vstack([outer, inner]), y, noise, rng)


def make_xor(n_samples: int = 4, noise: float = 0.0, seed: int | None = None) -> Data:
    """Points around the corners (0,0), (0,1), (1,0), (1,1), labelled x1 XOR x2; cycling through the corners.

    With the defaults it is the truth table itself:

    >>> X, y = make_xor(); X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    n = count(n_samples, "n_samples")
    noise, rng = nonnegative(noise, "noise"), _rng(seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    X = corners[np.arange(n) % 4]
    y = (X[:, 0] != X[:, 1]).astype(np.int64)
    return _finish(X, y, noise, rng, shuffle=False)


def make_blobs(n_samples: int = 100, centers: int = 3, n_features: int = 2, cluster_std: float = 1.0,
               seed: int | None = None) -> Data:
    """Gaussian blobs around ``centers`` random centres drawn in [-10, 10]^n_features; class k = blob k.

    >>> X, y = make_blobs(30, centers=3, seed=0); X.shape, np.bincount(y).tolist()
    ((30, 2), [10, 10, 10])
    """
    n = count(n_samples, "n_samples")
    k, d = count(centers, "centers"), count(n_features, "n_features")
    std, rng = nonnegative(cluster_std, "cluster_std"), _rng(seed)
    middle = rng.uniform(-10.0, 10.0, size=(k, d))
    y = np.arange(n) % k
    return _finish(middle[y], y, std, rng)


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int | None = None) -> Data:
    """``n_classes`` interleaved spiral arms from the origin (CS231n's classic), radius up to 1.

    >>> X, y = make_spirals(90, n_classes=3, seed=0); X.shape, np.bincount(y).tolist()
    ((90, 2), [30, 30, 30])
    """
    n = count(n_samples, "n_samples")
    k = count(n_classes, "n_classes", 2)
    noise, rng = nonnegative(noise, "noise"), _rng(seed)
    y = np.arange(n) % k
    r = np.empty(n)
    t = np.empty(n)
    for c in range(k):
        idx = np.flatnonzero(y == c)
        r[idx] = np.linspace(0.0, 1.0, len(idx))
        t[idx] = np.linspace(c * 4.0, (c + 1) * 4.0, len(idx)) + rng.normal(0.0, noise, len(idx))
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return _finish(X, y, 0.0, rng)
