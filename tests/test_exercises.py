"""Exercise sets (``autograd-lite exercises``): the same seed gives the same bytes, every answer is the engine's
(and nn.reference's) number, every number on the sheet is doable by hand, and the directory rules hold."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from autograd_lite import EXERCISE_OPS, OPS, Value, exercise_ops, expression_exercise, grad, topological_order
from autograd_lite.cli import main
from autograd_lite.cli.expr import parse_expression
from nn.exercise_commands import FILES, MARKER, files_of
from nn.exercise_grading import grade
from nn.exercises import MAX_COUNT, make_set, nice


def run(*argv: str) -> int:
    return main(["exercises", *argv])


def read_all(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in (*FILES, MARKER)}


# --- the same seed, the same files ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["expression", "network"])
def test_the_same_seed_writes_byte_identical_files(tmp_path, kind):
    for name in ("one", "two"):
        assert run("--seed", "12345", "--count", "8", "--kind", kind, "-o", str(tmp_path / name)) == 0
    one, two = read_all(tmp_path / "one"), read_all(tmp_path / "two")
    assert one == two
    assert all(len(data) > 100 for data in one.values())
    again = files_of(make_set(12345, 8, kind))  # and the Python API gives those bytes
    assert again == one


@pytest.mark.parametrize("kind", ["expression", "network"])
def test_other_seeds_give_other_sets(tmp_path, kind):
    sheets = {run("--seed", str(seed), "--count", "5", "--kind", kind, "-o", str(tmp_path / str(seed)))
              or (tmp_path / str(seed) / "sheet.md").read_text() for seed in range(4)}
    assert len(sheets) == 4


def test_rewriting_our_own_directory_is_allowed_and_records_hashes(tmp_path):
    folder = tmp_path / "set"
    assert run("--seed", "1", "-o", str(folder)) == 0
    assert run("--seed", "2", "-o", str(folder)) == 0
    marker = json.loads((folder / MARKER).read_text())
    assert marker["seed"] == 2 and marker["made_by"] == "autograd-lite exercises"
    for name in FILES:
        assert marker["sha256"][name] == hashlib.sha256((folder / name).read_bytes()).hexdigest()


# --- every answer is the engine's number ------------------------------------------------------------------
def engine_answers(expression: str, values: dict[str, float]) -> dict[str, float]:
    """f and df/dv through the command line's parser (not the generator's tree) and backward()."""
    root, leaves = parse_expression(expression, values)
    root.backward()
    return {"f": root.data} | {f"df/d{name}": leaves[name].grad for name in values}


@pytest.mark.parametrize("seed", [0, 1, 2, 99, 2**32 - 1])
def test_expression_answers_are_the_engines(seed):
    s = make_set(seed, 20, "expression", ",".join(EXERCISE_OPS))
    for q in s.questions:
        e = q.exercise
        expected = engine_answers(e.expression, e.values)
        assert list(q.answers) == list(expected)
        for key, value in expected.items():
            assert q.answers[key] == pytest.approx(value, rel=1e-12, abs=1e-12), (q.key, e.expression, key)


def test_expression_answers_match_finite_differences(fd):
    for q in make_set(7, 15, "expression", "add,mul,div,pow,tanh,exp,log,sigmoid,sin").questions:
        e = q.exercise
        names = list(e.values)

        def f(xs, e=e, names=names):
            return parse_expression(e.expression, dict(zip(names, xs)))[0].data

        for i, name in enumerate(names):
            assert q.answers[f"df/d{name}"] == pytest.approx(fd(f, list(e.values.values()), i), rel=1e-6, abs=1e-8)


def engine_network(e) -> dict[str, object]:
    """The same network and cost built from Values by hand; deltas are dC/dz by grad()."""
    (W1, b1), (W2, b2) = e.layers
    x = [Value(float(v)) for v in e.x]
    W = [[[Value(float(w)) for w in row] for row in Wl] for Wl in (W1, W2)]
    b = [[Value(float(v)) for v in bl] for bl in (b1, b2)]
    z1 = [sum((w * xj for w, xj in zip(row, x)), Value(0.0)) + bk for row, bk in zip(W[0], b[0])]
    a1 = [getattr(z, e.hidden)() for z in z1]
    z2 = [sum((w * aj for w, aj in zip(row, a1)), Value(0.0)) + bk for row, bk in zip(W[1], b[1])]
    a2 = [z.sigmoid() for z in z2] if e.output == "sigmoid" else z2
    t = [float(v) for v in e.target]
    if e.loss == "mse":
        C = sum(((a - tk) ** 2 for a, tk in zip(a2, t)), Value(0.0)) * 0.5
    else:
        C = -sum((tk * a.log() + (1 - tk) * (1 - a).log() for a, tk in zip(a2, t)), Value(0.0))
    deltas = grad(C, z2 + z1)
    C.backward()
    return {"a^[2]": [a.data for a in a2], "delta^[2]": [d.data for d in deltas[:len(z2)]],
            "delta^[1]": [d.data for d in deltas[len(z2):]],
            "dC/dW^[2]": [[w.grad for w in row] for row in W[1]], "dC/db^[2]": [v.grad for v in b[1]],
            "dC/dW^[1]": [[w.grad for w in row] for row in W[0]], "dC/db^[1]": [v.grad for v in b[0]]}


@pytest.mark.parametrize("seed", [0, 3, 2024])
def test_network_answers_are_the_engines_and_the_reference(seed):
    for q in make_set(seed, 25, "network").questions:
        e = q.exercise
        engine = engine_network(e)
        bp = nn.reference.backprop(e.layers, e.x, e.target, hidden=e.hidden, output=e.output, loss=e.loss)
        reference = {"a^[2]": bp.a[2], "delta^[2]": bp.delta[1], "delta^[1]": bp.delta[0], "dC/dW^[2]": bp.dW[1],
                     "dC/db^[2]": bp.db[1], "dC/dW^[1]": bp.dW[0], "dC/db^[1]": bp.db[0]}
        assert list(q.answers) == list(engine)
        for key, value in q.answers.items():
            np.testing.assert_allclose(value, engine[key], rtol=1e-12, atol=1e-12, err_msg=f"{q.key} {key}")
            np.testing.assert_allclose(value, reference[key], rtol=1e-12, atol=1e-12, err_msg=f"{q.key} {key}")


def test_network_shapes_follow_notes_003_004():
    seen = set()
    for q in make_set(11, 40, "network").questions:
        e = q.exercise
        n0, n1, n2 = e.sizes
        seen.add((e.sizes, e.hidden, e.output))
        assert np.shape(q.answers["dC/dW^[1]"]) == (n1, n0) and np.shape(q.answers["dC/dW^[2]"]) == (n2, n1)
        # eq. 21a entry by entry: dC/dw_jk^[1] (row k, column j) = delta_k^[1] x_j
        for k in range(n1):
            for j in range(n0):
                assert q.answers["dC/dW^[1]"][k][j] == q.answers["delta^[1]"][k] * e.x[j]
    assert {sizes for sizes, _, _ in seen} == {(2, 2, 1), (2, 3, 2)}
    assert {(h, o) for _, h, o in seen} == {("relu", "linear"), ("relu", "sigmoid"), ("tanh", "linear")}


# --- doable by hand -------------------------------------------------------------------------------------
NUMBER = re.compile(r"(?<![\w^{])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


@pytest.mark.parametrize("kind", ["expression", "network"])
def test_every_number_on_the_sheet_is_short_or_a_given_value(kind):
    for seed in range(6):
        sheet = make_set(seed, 20, kind, None).questions
        md = files_of(make_set(seed, 20, kind))["sheet.md"].decode()
        for line in md.splitlines():
            if r"\approx" in line:  # a given value: 4 significant digits, its argument short
                given = line.split(r"\approx")[1]
                assert len(re.sub(r"[^\d]", "", given).lstrip("0")) <= 4, line
                line = line.split(r"\approx")[0]
            for n in NUMBER.findall(line):
                assert decimals(n) <= 3 and "e" not in n, (n, line)
        assert sheet


def test_relu_linear_networks_have_short_answers_and_tanh_values_are_given():
    for q in make_set(5, 60, "network").questions:
        e = q.exercise
        flat = np.concatenate([np.ravel(v) for v in q.answers.values()])
        assert np.all((flat == 0) | (np.abs(flat) >= 0.01)) and np.all(np.abs(flat) <= 20)
        if e.hidden == "relu" and e.output == "linear":
            assert not e.table and all(nice(v) for v in flat)
        if e.hidden == "relu":
            assert np.all(e.backprop.z[0] != 0)  # never at the kink
        if e.hidden == "tanh":
            assert {g.text for g in e.table} == {f"tanh({z:g})" for z in e.backprop.z[0] if z != 0} | {
                f"1 - tanh(u)^2 at u = {z:g}" for z in e.backprop.z[0] if z != 0}  # tanh(0) = 0 needs no table


def test_expression_values_are_halves_and_table_arguments_short():
    for q in make_set(3, 40, "expression", ",".join(EXERCISE_OPS)).questions:
        e = q.exercise
        assert all(v * 2 == int(v * 2) and v != 0 for v in e.values.values())
        for t in e.table:
            argument = t.text.split("at u = ")[-1] if "at u = " in t.text else t.text[t.text.index("(") + 1:-1]
            assert decimals(argument) <= 3 and abs(float(argument)) <= 3, t.text
        answers = list(q.answers.values())
        assert all(a == 0 or abs(a) >= 0.01 for a in answers)


# --- the op mix ----------------------------------------------------------------------------------------
def test_every_exercise_op_is_in_the_op_table():
    assert set(EXERCISE_OPS) <= set(OPS)


@pytest.mark.parametrize("op", EXERCISE_OPS)
def test_a_mix_of_one_op_uses_only_that_op(op):
    for index in range(5):
        e = expression_exercise(1, op, index)
        root, _ = parse_expression(e.expression, e.values)
        used = {node.op for node in topological_order(root) if node.inputs}
        assert used == {op}, e.expression


@pytest.mark.parametrize("text, message", [
    ("add,frobnicate", "'frobnicate' is not an op of the op table"),
    ("dot", "'dot' is in the op table but not offered"),
    (" , ,", "no ops given"),
    ("", "no ops given"),
    ("a" * 2000, "the limit is 1,000"),
])
def test_bad_op_mixes_are_refused_by_name(text, message, capsys):
    with pytest.raises(ValueError, match=re.escape(message)):
        exercise_ops(text)
    assert run("--ops", text, "-o", "unused") == 2
    assert message in capsys.readouterr().err


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 4), kind=st.sampled_from(["expression", "network"]),
       ops=st.lists(st.sampled_from(EXERCISE_OPS), min_size=1, max_size=6, unique=True))
def test_any_seed_count_kind_and_mix_gives_a_set_its_solutions_grade_fully(seed, count, kind, ops):
    s = make_set(seed, count, kind, ops if kind == "expression" else None)
    assert [q.key for q in s.questions] == [f"q{i + 1}" for i in range(count)]
    for q in s.questions:
        if kind == "expression":
            root, _ = parse_expression(q.exercise.expression, q.exercise.values)
            assert {n.op for n in topological_order(root) if n.inputs} <= set(ops)
            expected = engine_answers(q.exercise.expression, q.exercise.values)
            assert all(math.isclose(q.answers[k], v, rel_tol=1e-12, abs_tol=1e-12) for k, v in expected.items())
    result = grade(s, {q.key: q.answers for q in s.questions})
    assert result.right == result.asked > 0


# --- bounds and the directory ----------------------------------------------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["--count", "0"], "from 1 to 100"), (["--count", str(MAX_COUNT + 1)], "from 1 to 100"),
    (["--seed", "-1"], "from 0 to 4,294,967,295"), (["--seed", "4294967296"], "from 0 to"),
    (["--kind", "matrix"], "invalid choice"), (["--kind", "network", "--ops", "add"], "--ops is for --kind expression"),
])
def test_usage_errors_exit_2(tmp_path, capsys, argv, message):
    assert run(*argv, "-o", str(tmp_path / "set")) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "set").exists()


def test_a_directory_with_other_files_is_refused_unless_forced(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    (folder / "sheet.md").write_text("my own sheet")
    assert run("-o", str(folder)) == 1
    assert "did not write (notes.txt, sheet.md)" in capsys.readouterr().err
    assert (folder / "sheet.md").read_text() == "my own sheet"
    assert run("-o", str(folder), "--force") == 0
    assert (folder / "notes.txt").read_text() == "my notes" and (folder / MARKER).exists()


def test_a_changed_answers_file_is_not_replaced(tmp_path, capsys):
    folder = tmp_path / "set"
    assert run("-o", str(folder)) == 0
    (folder / "answers.json").write_text('{"q1": {"f": 1}}')
    assert run("--seed", "3", "-o", str(folder)) == 1
    assert "answers.json changed since exercises wrote it" in capsys.readouterr().err
    assert (folder / "answers.json").read_text() == '{"q1": {"f": 1}}'
    assert run("--seed", "3", "-o", str(folder), "--force") == 0
    assert json.loads((folder / MARKER).read_text())["seed"] == 3


def test_links_files_and_missing_parents_are_refused(tmp_path, capsys):
    folder = tmp_path / "set"
    assert run("-o", str(folder)) == 0
    target = tmp_path / "precious.txt"
    target.write_text("keep")
    os.remove(folder / "sheet.md")
    os.symlink(target, folder / "sheet.md")
    assert run("-o", str(folder), "--force") == 1
    assert "link or not a regular file" in capsys.readouterr().err and target.read_text() == "keep"
    (tmp_path / "file").write_text("x")
    assert run("-o", str(tmp_path / "file")) == 1
    assert "is a file, not a directory" in capsys.readouterr().err
    assert run("-o", str(tmp_path / "no" / "such")) == 1
    assert "does not exist" in capsys.readouterr().err
