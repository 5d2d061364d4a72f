"""``autograd-lite grade DIR answers.json``: the solutions grade 100 %, a wrong number is named, and a hostile
answers file (huge, deep, NaN, text, unknown or missing entries) gives one clean line and exit 2 (1 is only for
answers that are wrong or not given)."""

from __future__ import annotations

import json

import pytest

from autograd_lite.cli import main
from nn.exercise_commands import MARKER
from nn.exercise_grading import MAX_BYTES, AnswersError, grade
from nn.exercises import make_set


@pytest.fixture(params=["expression", "network"])
def exercise_dir(request, tmp_path):
    folder = tmp_path / "set"
    assert main(["exercises", "--seed", "42", "--count", "5", "--kind", request.param, "-o", str(folder)]) == 0
    return folder, make_set(42, 5, request.param)


def solutions(s) -> dict:
    return {q.key: q.answers for q in s.questions}


def write(path, document) -> str:
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return str(path)


def test_the_template_filled_with_the_solutions_grades_100_percent(exercise_dir, tmp_path, capsys):
    folder, s = exercise_dir
    template = json.loads((folder / "answers.json").read_text())
    assert list(template) == [q.key for q in s.questions]

    def fill(blank, right):  # the template's shape, entry by entry
        return [fill(b, r) for b, r in zip(blank, right)] if isinstance(blank, list) else right

    filled = {k: {name: fill(blank, s.questions[int(k[1:]) - 1].answers[name]) for name, blank in v.items()}
              for k, v in template.items()}
    assert main(["grade", str(folder), write(tmp_path / "a.json", filled)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].endswith("100.0%") and "wrong" not in out
    assert out.count("all right") == 5


def test_the_empty_template_grades_0_and_says_no_answer(exercise_dir, capsys):
    folder, s = exercise_dir
    assert main(["grade", str(folder), str(folder / "answers.json")]) == 1
    out = capsys.readouterr().out
    asked = sum(len(json.dumps(q.answers).split(",")) for q in s.questions)  # one number per comma-separated entry
    assert out.splitlines()[-1].split()[:3] == ["total", "0", str(asked)]
    assert "no answer" in out


def test_one_wrong_number_exits_1_and_names_the_question_and_entry(exercise_dir, tmp_path, capsys):
    folder, s = exercise_dir
    answers = solutions(s)
    q3 = answers["q3"]
    key = list(q3)[-1]
    if isinstance(q3[key], list):
        right = q3[key][0]
        q3[key][0] = right + 1.0
        where = f"{key} entry 1"
    else:
        right = q3[key]
        q3[key] = right + 1.0
        where = key
    assert main(["grade", str(folder), write(tmp_path / "a.json", answers)]) == 1
    lines = capsys.readouterr().out.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("q3"))
    assert lines[row].split()[1:] == [str(len(json.dumps(s.questions[2].answers).split(",")) - 1),
                                      str(len(json.dumps(s.questions[2].answers).split(","))), "1", "wrong"]
    assert lines[row + 1].strip().startswith(f"{where}: you gave")
    others = [line for line in lines if line[:1] == "q" and line[1:2].isdigit() and not line.startswith("q3")]
    assert len(others) == 4 and all(line.endswith("all right") for line in others)


def test_tolerance_is_relative_1_percent_or_0_005():
    s = make_set(7, 1, ops="add,mul,pow")
    f, dfdx = s.questions[0].answers["f"], s.questions[0].answers["df/dx"]
    assert abs(f) > 1 and abs(dfdx) > 1
    assert grade(s, {"q1": {"f": f * 1.0099, "df/dx": dfdx}}).right == 2
    assert grade(s, {"q1": {"f": f * 1.0150, "df/dx": dfdx}}).right == 1
    assert grade(s, {"q1": {"f": f, "df/dx": dfdx * 1.02}}, rel_tol=0.03).right == 2
    assert grade(s, {"q1": {"f": f, "df/dx": dfdx * 1.02}}, rel_tol=0.0).right == 1
    assert grade(s, {"q1": {"f": f + 0.0049, "df/dx": dfdx}}, rel_tol=0.0).right == 2


@pytest.mark.parametrize("document, message", [
    ("[1, 2]", "must be a JSON object"),
    ('{"q1": 5}', "q1 must be an object of answers"),
    ('{"q99": {}}', "'q99', which the set does not ask (its questions: q1 to q5)"),
    ('{"q1": {"speed": 1}}', "q1 has no quantity named 'speed'"),
    ('{"q1": {"KEY": "three"}}', "q1 KEY: expected a number such as 0.5, -1/2 or 1e-3, got 'three'"),
    ('{"q1": {"KEY": "1/0"}}', "q1 KEY: the denominator of '1/0' is 0"),
    ('{"q1": {"KEY": "nan"}}', "q1 KEY: expected a number such as 0.5, -1/2 or 1e-3, got 'nan'"),
    ('{"q1": {"KEY": "1e400"}}', "q1 KEY: '1e400' is too large for a number"),
    ('{"q1": {"KEY": true}}', 'must be a number such as 0.5, -1/2 or 1e-3 (a fraction as text: "-1/2"), or null; '
                              "got true"),
    ('{"q1": {"KEY": ' + "1" * 400 + "}}", "q1 KEY: a whole number of 400 digits is too large for a number"),
    ('{"q1": {"KEY": NaN}}', "must be a finite number, got nan"),
    ('{"q1": {"KEY": Infinity}}', "must be a finite number, got inf"),
    ('{"q1": {"KEY": 1e999}}', "must be a finite number, got inf"),
    ('{"q1": {"KEY": 1, "KEY": 2}}', "appears twice"),
    ("{'q1': 1}", "not valid JSON"),
    ("[" * 100_000, "nests arrays and objects 100000 deep"),
    ('{"q1": {"KEY": ' + "1" * 5000 + "}}", "5000 digits is too long"),
])
def test_hostile_answers_are_usage_errors_with_one_clean_line(exercise_dir, tmp_path, capsys, document, message):
    folder, s = exercise_dir
    key = next(iter(s.questions[0].answers))
    scalar = not isinstance(s.questions[0].answers[key], list)
    document = document.replace("KEY", key)
    if not scalar and '"' + key + '": ' in document and "twice" not in message:
        value = document.split(f'"{key}": ', 1)[1].rstrip("}")
        document = document.replace(f'"{key}": {value}', f'"{key}": [{value}, 1]')
    assert main(["grade", str(folder), write(tmp_path / "a.json", document)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert message.replace("KEY", key) in err or (not scalar and "must be" in err), err


def test_a_huge_file_is_refused_before_it_is_read(exercise_dir, tmp_path, capsys):
    folder, _ = exercise_dir
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as f:
        f.truncate(MAX_BYTES * 50)  # 50 MB of zeros, sparse
    assert main(["grade", str(folder), str(huge)]) == 2
    assert "more than the cap" in capsys.readouterr().err


def test_wrong_shapes_and_utf16_are_named(exercise_dir, tmp_path, capsys):
    folder, s = exercise_dir
    key = next(iter(s.questions[0].answers))
    right = s.questions[0].answers[key]
    document = {"q1": {key: [1.0] * 7 if isinstance(right, list) else [1.0]}}
    assert main(["grade", str(folder), write(tmp_path / "a.json", document)]) == 2
    assert "q1 " + key in capsys.readouterr().err
    (tmp_path / "b.json").write_bytes(json.dumps({"q1": {}}).encode("utf-16"))
    assert main(["grade", str(folder), str(tmp_path / "b.json")]) == 2
    assert "UTF-16" in capsys.readouterr().err


def test_missing_questions_and_numbers_are_graded_as_not_answered(exercise_dir, tmp_path, capsys):
    folder, s = exercise_dir
    answers = solutions(s)
    del answers["q2"]
    first = next(iter(answers["q4"]))
    del answers["q4"][first]
    assert main(["grade", str(folder), write(tmp_path / "a.json", answers)]) == 1
    out = capsys.readouterr().out
    assert "no answer" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("q")}
    assert rows["q2"][0] == "0" and rows["q1"][-2:] == ["all", "right"] and rows["q4"][-1] == "wrong"


def test_directories_that_are_not_sets_and_bad_markers(tmp_path, capsys):
    (tmp_path / "a.json").write_text("{}")
    assert main(["grade", str(tmp_path), str(tmp_path / "a.json")]) == 2
    assert "is not an exercise set" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "nothing"), str(tmp_path / "a.json")]) == 2
    folder = tmp_path / "set"
    assert main(["exercises", "-o", str(folder)]) == 0
    marker = json.loads((folder / MARKER).read_text())
    for field, value, message in [("count", 10**6, "from 1 to 100"), ("kind", "poems", "kind must be one of"),
                                  ("ops", ["add", "dot"], "not offered"), ("seed", "7", "seed must be"),
                                  ("format", 99, "reads format 1"), ("made_by", "me", "not written by")]:
        (folder / MARKER).write_text(json.dumps(marker | {field: value}))
        assert main(["grade", str(folder), str(tmp_path / "a.json")]) == 2
        assert message in capsys.readouterr().err, field
    (folder / MARKER).write_text(json.dumps(marker))
    assert main(["grade", str(folder), str(tmp_path / "missing.json")]) == 2  # nothing graded: not 1 (= wrong)
    assert "missing.json" in capsys.readouterr().err
    assert main(["grade", str(folder), str(tmp_path / "a.json"), "--tol", "nan"]) == 2


def test_answers_error_from_python():
    with pytest.raises(AnswersError, match="q1 must be an object"):
        grade(make_set(1, 1), {"q1": [1]})


def sig(x: float, digits: int) -> float:
    return float(f"{x:.{digits}g}")


def by_hand_expression(e) -> dict[str, float]:
    """What a student gets: every local derivative rounded to the table's 4 digits, each answer to 3."""
    x = e.explanation
    totals = {x.root: 1.0}
    for step in x.steps:  # backward order: a node's total is complete before its inputs' steps
        if not step.skipped:
            totals[step.input] = totals.get(step.input, 0.0) + sig(step.local, 4) * totals.get(step.node, 0.0)
    leaves = {line.node.label: line.node for line in x.forward if not line.node.inputs and line.node.label}
    return {"f": sig(x.root.data, 3)} | {f"df/d{name}": sig(totals.get(leaves[name], 0.0), 3) for name in e.values}


def by_hand_network(e) -> dict[str, object]:
    """Forward and backward with the given values rounded as printed (4 digits), each answer to 3 digits."""
    import numpy as np

    (W1, b1), (W2, b2) = e.layers
    z1 = W1 @ e.x + b1
    if e.hidden == "tanh":
        a1 = np.array([sig(np.tanh(z), 4) for z in z1])
        g = np.array([sig(1 - np.tanh(z) ** 2, 4) for z in z1])
    else:
        a1, g = np.maximum(z1, 0), (z1 > 0).astype(float)
    z2 = W2 @ a1 + b2
    a2 = np.array([sig(1 / (1 + np.exp(-z)), 4) for z in z2]) if e.output == "sigmoid" else z2
    d2 = a2 - e.target
    d1 = (W2.T @ d2) * g
    values = {"a^[2]": a2, "delta^[2]": d2, "delta^[1]": d1, "dC/dW^[2]": np.outer(d2, a1), "dC/db^[2]": d2,
              "dC/dW^[1]": np.outer(d1, e.x), "dC/db^[1]": d1}
    return {k: np.vectorize(lambda v: sig(v, 3))(v).tolist() for k, v in values.items()}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_student_who_rounds_as_told_is_graded_right(seed):
    from autograd_lite import EXERCISE_OPS

    s = make_set(seed, 60, "expression", ",".join(EXERCISE_OPS))
    result = grade(s, {q.key: by_hand_expression(q.exercise) for q in s.questions})
    assert result.right == result.asked, result.table()
    s = make_set(seed, 60, "network")
    result = grade(s, {q.key: by_hand_network(q.exercise) for q in s.questions})
    assert result.right == result.asked, result.table()


# --- found by the tester: a directory given as the answers file crashed with a traceback -------------------------
def test_a_directory_as_the_answers_file_is_one_line_naming_it(exercise_dir, tmp_path, capsys):
    folder, _ = exercise_dir
    code = main(["grade", str(folder), str(folder)])
    err = capsys.readouterr().err
    assert code == 2  # nothing graded (1 is for wrong answers)
    assert err.strip() == f"autograd-lite grade: error: {folder}: Is a directory"
    assert "Traceback" not in err


def test_nn_load_of_a_directory_names_the_directory(tmp_path):
    import nn

    with pytest.raises(IsADirectoryError) as caught:
        nn.load(tmp_path, nn.MLP(2, [1]))
    assert caught.value.filename == str(tmp_path)


@pytest.mark.parametrize("edit", [{"seed": 2}, {"count": 2}, {"kind": "network", "ops": None}, {"ops": ["add", "mul"]},
                                  {"sha256": {}}, {"sha256": None}], ids=str)
def test_a_marker_edited_to_another_set_is_refused_not_graded(tmp_path, capsys, edit):
    """Found by the tester: the marker's seed changed from 1 to 2 graded the answers against another set's
    questions (the sheet in the folder still seed 1's) without a word."""
    folder = tmp_path / "set"
    assert main(["exercises", "--seed", "1", "--count", "3", "-o", str(folder)]) == 0
    capsys.readouterr()
    answers = str(folder / "answers.json")
    assert main(["grade", str(folder), answers]) == 1  # the untouched set grades (nothing answered yet)
    marker = json.loads((folder / MARKER).read_text())
    (folder / MARKER).write_text(json.dumps(marker | edit))
    assert main(["grade", str(folder), answers]) == 2
    assert "do not make the sheet it records" in capsys.readouterr().err
