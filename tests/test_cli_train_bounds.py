"""`autograd-lite train`: every size the user picks has a bound that allows every reasonable use, is
named in the error (exit 2, one line), and is checked before anything is allocated."""

from __future__ import annotations

import tracemalloc
from unittest import mock

import pytest

import nn
import nn.commands
from autograd_lite.cli import main
from nn.commands import (
    DATASETS,
    MAX_EPOCHS,
    MAX_LAYERS,
    MAX_PARAMETERS,
    MAX_SAMPLES,
    MAX_SEED,
    STEP_MEMORY,
    largest_batch,
    parameters,
    step_bytes,
    widths,
)

TINY = ["--epochs", "1", "--hidden", "2", "--quiet"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def nothing_allocated():
    """Fails the test if the data, the model or the training is made: the bounds come first."""
    made = AssertionError("allocated before the bounds were checked")
    with mock.patch.object(nn.datasets, "make_moons", side_effect=made), \
            mock.patch.object(nn.datasets, "make_xor", side_effect=made), \
            mock.patch.object(nn.datasets, "make_spirals", side_effect=made), \
            mock.patch.object(nn.commands, "MLP", side_effect=made), mock.patch.object(nn.commands, "fit", side_effect=made):
        yield


def refused(capsys, *argv) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("autograd-lite train: error: ")
    return err.rstrip("\n")


@pytest.mark.parametrize("argv, says", [
    (["--samples", "100000000000"], "argument --samples: expected a whole number from 1 to 100,000, got '100000000000'"),
    (["--samples", str(MAX_SAMPLES + 1)], "from 1 to 100,000"),
    (["--hidden", ",".join(["256"] * 2000)], f"--hidden: at most {MAX_LAYERS} hidden layers, got 2,000 widths"),
    (["--hidden", "1," * 10**6], "at most 64 hidden layers"),
    (["--hidden", "256,256,256"], "--hidden 256,256,256 makes 132,609 weights and biases; the limit is 100,000"),
    (["--hidden", "257"], "widths from 1 to 256"),
    (["--hidden", "0"], "widths from 1 to 256"),
    (["--hidden", ","], "widths from 1 to 256"),
    (["--epochs", "99999999999999999999"], "argument --epochs: expected a whole number from 1 to 1,000,000"),
    (["--epochs", str(MAX_EPOCHS + 1)], "from 1 to 1,000,000"),
    (["--batch-size", "0"], "argument --batch-size: expected a whole number from 1 to 100,000"),
    (["--batch-size", str(10**30)], "argument --batch-size: expected a whole number from 1 to 100,000"),
    (["--samples", "100000", "--batch-size", "100000", "--eager"],
     f"--batch-size 100,000 needs about {step_bytes([16, 16, 1], 100_000, True) / 1e9:.1f} GB for an eager (--eager) "
     "step of MLP(2, [16, 16, 1]); the limit is 1 GB: "
     f"use --batch-size {largest_batch([16, 16, 1], True):,} or less, or a smaller model"),
    (["--samples", "100000", "--batch-size", "100000", "--hidden", "256,256"], "for a compiled step"),
    (["--lr", "1e300"], "--lr must be a number above 0 and at most 10, got 1e+300"),
    (["--lr", "10.000001"], "at most 10"),
    (["--lr", "0"], "above 0"),
    (["--lr=-1e-3"], "above 0"),
    (["--seed", str(MAX_SEED + 1)], "argument --seed: expected a whole number from 0 to 4,294,967,295"),
    (["--seed", "1" * 5000], "argument --seed: expected a whole number from 0 to 4,294,967,295"),
    (["--plot", "boundary.gif"], "--plot boundary.gif: use a name ending in .png, .svg, .pdf or .jpg"),
])
def test_each_size_is_bounded_before_anything_is_made(capsys, nothing_allocated, argv, says):
    assert says in refused(capsys, "train", "moons", *argv)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_samples_below_a_data_sets_minimum_is_a_usage_error(capsys, name):
    """It was exit 1: make_moons(1) raises ValueError. Now each data set's minimum is checked first, and
    the minimum itself works, so the table cannot drift from the data set functions."""
    least = DATASETS[name].least
    with mock.patch.object(nn.commands, "fit", side_effect=AssertionError("trained")):
        line = refused(capsys, "train", name, "--samples", str(least - 1))
    assert line.endswith(f"--samples {least - 1}: {name} needs at least {least} examples ({DATASETS[name].why})")
    code, out, err = run(capsys, "train", name, "--samples", str(least), *TINY)
    assert code == 0 and out.startswith("final accuracy") and f"({least} examples" in err


def test_the_minimums_are_one_example_per_class():
    assert {name: spec.least for name, spec in DATASETS.items()} == {"moons": 2, "xor": 4, "spirals": 3}
    assert all(spec.least >= spec.classes for spec in DATASETS.values())


def test_the_largest_sizes_are_accepted(capsys):
    """Every bound leaves room: the largest samples, seed, epochs, lr and a 256,256 model pass the checks
    (training itself is replaced: this is about the bounds)."""
    assert parameters([256, 256, 1]) < MAX_PARAMETERS and widths(",".join(["1"] * MAX_LAYERS)) == [1] * MAX_LAYERS
    with mock.patch.object(nn.commands, "fit") as fit, mock.patch.object(nn.commands, "evaluate", return_value=(0.1, 1.0)):
        code, out, err = run(capsys, "train", "spirals", "--samples", str(MAX_SAMPLES), "--seed", str(MAX_SEED),
                             "--epochs", str(MAX_EPOCHS), "--lr", "10", "--hidden", "256,256",
                             "--batch-size", str(largest_batch([256, 256, 3], False)))
    assert code == 0, err
    assert fit.call_args.kwargs["epochs"] == MAX_EPOCHS and len(fit.call_args.args[1]) == MAX_SAMPLES


def test_a_batch_larger_than_the_data_is_the_whole_data(capsys):
    """The memory bound counts the batch that is used: at most the number of examples."""
    code, out, _ = run(capsys, "train", "xor", "--samples", "4", "--batch-size", "100000", "--eager", *TINY)
    assert code == 0 and out.startswith("final accuracy")


def test_largest_batch_fits_and_one_more_does_not():
    for layers, eager in (([16, 16, 1], True), ([16, 16, 1], False), ([256, 256, 1], True), ([256, 256, 3], False)):
        n = largest_batch(layers, eager)
        assert step_bytes(layers, n, eager) <= STEP_MEMORY < step_bytes(layers, n + 1, eager)
    assert largest_batch([16, 16, 1], False) > MAX_SAMPLES  # compiled, the default model takes any batch
    assert largest_batch([16, 16, 1], True) > 15_000 and largest_batch([256, 256, 1], True) > 400


@pytest.mark.parametrize("layers, batch, eager", [
    ([16, 16, 1], 256, True), ([64, 1], 64, True), ([1] * 12 + [1], 256, True),
    ([16, 16, 1], 4096, False), ([64, 64, 1], 1024, False), ([1] * 12 + [1], 4096, False),
])
def test_step_bytes_is_above_the_memory_a_step_takes(layers, batch, eager):
    """The estimate the batch bound rests on, against tracemalloc's peak over one epoch of one step."""
    X, y = nn.datasets.make_moons(batch, noise=0.1, seed=0)
    model = nn.MLP(2, layers, seed=0)
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        nn.fit(model, X, y, loss="bce_with_logits", optimizer=optimizer, epochs=1, batch_size=batch, progress=False,
               compiled=not eager)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert peak <= step_bytes(layers, batch, eager), f"{peak / 1e6:.1f} MB measured"


def test_plot_without_matplotlib_fails_before_training(capsys):
    import importlib.util

    find_spec = importlib.util.find_spec
    hidden = mock.patch("importlib.util.find_spec", lambda name, *a: None if name == "matplotlib" else find_spec(name, *a))
    with hidden, mock.patch.object(nn.commands, "fit", side_effect=AssertionError("trained before checking --plot")):
        code, out, err = run(capsys, "train", "xor", "--plot", "boundary.png")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err == "autograd-lite train: error: --plot needs matplotlib: pip install matplotlib (or autograd-lite[plot])\n"
