"""Toy data sets: shapes, labels, seeding, geometry."""

from __future__ import annotations

import numpy as np
import pytest

from nn import datasets

MAKERS = [datasets.make_moons, datasets.make_circles, datasets.make_xor, datasets.make_blobs, datasets.make_spirals]


@pytest.mark.parametrize("make", MAKERS)
def test_shapes_dtypes_and_seeding(make):
    X, y = make(60, noise=0.1, seed=3) if make is not datasets.make_blobs else make(60, seed=3)
    assert X.shape == (60, 2) and X.dtype == np.float64
    assert y.shape == (60,) and y.dtype == np.int64
    X2, y2 = make(60, noise=0.1, seed=3) if make is not datasets.make_blobs else make(60, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make(60, noise=0.1, seed=4) if make is not datasets.make_blobs else make(60, seed=4)
    assert not np.array_equal(X, X3)


def test_moons_geometry_without_noise():
    X, y = datasets.make_moons(200, seed=0)
    top, bottom = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(top[:, 0], top[:, 1]), 1.0)
    assert np.allclose(np.hypot(bottom[:, 0] - 1, bottom[:, 1] - 0.5), 1.0)
    assert np.all(top[:, 1] >= -1e-12) and np.all(bottom[:, 1] <= 0.5 + 1e-12)
    assert np.bincount(y).tolist() == [100, 100]


def test_circles_radii_and_xor_truth_table():
    X, y = datasets.make_circles(50, factor=0.3, seed=0)
    assert np.allclose(np.hypot(*X[y == 1].T), 0.3) and np.allclose(np.hypot(*X[y == 0].T), 1.0)
    X, y = datasets.make_xor(8)
    assert y.tolist() == [int(a != b) for a, b in X.tolist()] == [0, 1, 1, 0] * 2


def test_blobs_and_spirals_have_balanced_classes():
    _, y = datasets.make_blobs(99, centers=3, seed=0)
    assert np.bincount(y).tolist() == [33, 33, 33]
    X, y = datasets.make_spirals(120, n_classes=4, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [30] * 4 and np.hypot(*X.T).max() <= 1.0 + 1e-12


@pytest.mark.parametrize("call, message", [
    (lambda: datasets.make_moons(1), "n_samples"),
    (lambda: datasets.make_moons(10, noise=-1), "noise"),
    (lambda: datasets.make_circles(10, factor=1.5), "factor"),
    (lambda: datasets.make_spirals(10, n_classes=1), "n_classes"),
    (lambda: datasets.make_blobs(10, cluster_std=float("nan")), "cluster_std"),
    (lambda: datasets.make_xor(2.5), "n_samples"),
    (lambda: datasets.make_circles(10, factor="0.5"), "factor"),
    (lambda: datasets.make_moons(10, seed="x"), "seed must be an int"),
    (lambda: datasets.make_spirals(10, seed=-1), "seed must be an int >= 0"),
])
def test_bad_arguments_are_rejected(call, message):
    with pytest.raises(ValueError, match=message):
        call()
