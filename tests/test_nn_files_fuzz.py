"""Issue 9, item 4, as properties: whatever JSON (or bytes) a model file holds, ``nn.load`` either returns exactly
the model the file describes or raises ValueError / TypeError (no subclass, no other type) naming the file and,
for a file edited from a saved one, the entry that was edited. Never a RecursionError, ZeroDivisionError,
KeyError, a half-loaded model, or a slow path (every example is small and must finish quickly)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from nn.safe_json import nesting

SETTINGS = settings(max_examples=100, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])
MODELS = [nn.Neuron(2, activation="tanh", seed=1), nn.Layer(2, 2, activation="softmax", seed=2),
          nn.MLP(2, [3, 1], init="he", seed=3)]
DOCUMENTS = [json.loads(json.dumps({"format": "autograd-lite-nn", "version": 1, "model": type(m).__name__,
                                    "config": m.config(), "parameters": m.state_dict()})) for m in MODELS]
RAW = "@@raw@@"  # a string the test replaces by a literal json.dumps cannot write
LITERALS = ["1e999", "-1e999", "NaN", "Infinity", "-0", "1" + "0" * 2000, "1E400", "0.1e-400", "[[[[[[[[]]]]]]]]"]

scalars = (st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.text(max_size=12)
           | st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=20)
names = st.text(alphabet="abcnouwlyers._0123456789", min_size=1, max_size=12)


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "model.json"


def outcome(path, data: bytes) -> str | None:
    """Load ``data`` from ``path``: None if it loaded to exactly what it says, else the error's message."""
    path.write_bytes(data)
    try:
        loaded = nn.load(path)
    except (ValueError, TypeError) as error:
        assert type(error) in (ValueError, TypeError), f"{type(error).__name__} leaked: {error}"
        message = str(error)
        assert message.startswith(f"{path}: ") and len(message) < 600, message
        return message
    document = json.loads(data.decode("utf-8-sig"))  # it loaded, so it is plain JSON without repeated keys
    assert type(loaded).__name__ == document["model"] and loaded.config() == document["config"]
    assert loaded.state_dict() == {name: float(v) for name, v in document["parameters"].items()}
    return None


def _text(document) -> bytes:
    text = json.dumps(document, indent=1)
    for literal in LITERALS:
        text = text.replace(json.dumps(RAW + literal), literal)
    return text.encode()


# --- any JSON at all -------------------------------------------------------------------------------------------------
@SETTINGS
@given(value=json_values)
def test_any_json_document_loads_faithfully_or_is_refused(path, value):
    assert outcome(path, json.dumps(value).encode()) is not None


# --- documents shaped like a model file, with any value in any slot ------------------------------------------------
def _slot(valid):
    return st.one_of(valid, valid, json_values, st.sampled_from([RAW + x for x in LITERALS]))


CONFIG_SLOTS = {"nin": _slot(st.integers(1, 3)), "nout": _slot(st.integers(1, 3)),
                "nouts": _slot(st.lists(st.integers(1, 3), min_size=1, max_size=3)),
                "activation": _slot(st.sampled_from(nn.OUTPUT_ACTIVATIONS)),
                "output_activation": _slot(st.sampled_from(nn.OUTPUT_ACTIVATIONS)),
                "init": _slot(st.sampled_from(["uniform", "xavier", "he"])), "seed": json_values}


@SETTINGS
@given(data=st.data(), kind=_slot(st.sampled_from(["MLP", "Layer", "Neuron"])),
       config=_slot(st.fixed_dictionaries({}, optional=CONFIG_SLOTS)),
       version=_slot(st.just(1)), form=_slot(st.just("autograd-lite-nn")))
def test_model_shaped_documents_load_faithfully_or_are_refused(path, data, kind, config, version, form):
    parameters = json_values
    if isinstance(kind, str) and isinstance(config, dict):  # the names this config implies, when it has any
        try:
            model = {"MLP": nn.MLP, "Layer": nn.Layer, "Neuron": nn.Neuron}[kind](**config)
            parameters = st.fixed_dictionaries({}, optional={n: _slot(st.floats(-10, 10))
                                                             for n in model.state_dict()})
        except Exception:  # noqa: BLE001 - any config the constructors refuse; the file must be refused too
            pass
    document = {"format": form, "version": version, "model": kind, "config": config,
                "parameters": data.draw(parameters)}
    outcome(path, _text(document))


# --- a saved file, edited: the message names the edited entry ------------------------------------------------------
def _entries(value, at=()):
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _entries(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _entries(item, (*at, i))


def _parent(document, at):
    for step in at[:-1]:
        document = document[step]
    return document


@SETTINGS
@given(data=st.data(), base=st.sampled_from(DOCUMENTS),
       how=st.sampled_from(["drop", "add", "rename", "replace", "wrap in a list", "wrap in an object", "repeat"]))
def test_an_edited_saved_file_loads_faithfully_or_the_message_names_the_edit(path, data, base, how):
    document = json.loads(json.dumps(base))
    at = data.draw(st.sampled_from(list(_entries(document))), label="entry")
    named = [str(step) for step in at if isinstance(step, str)]
    if at == ():  # the whole document
        document = {"wrap in a list": [document], "wrap in an object": {"model": document}}.get(how, document)
        text = _text(document)
    else:
        parent, last = _parent(document, at), at[-1]
        value = data.draw(json_values | st.sampled_from([RAW + x for x in LITERALS]), label="value")
        key = data.draw(names, label="key")
        if how in ("drop", "rename", "repeat") and isinstance(parent, list):
            how = "drop"
        if how == "drop":
            del parent[last]
        elif how == "add":
            named.append(key)
            if isinstance(parent, list):
                parent.insert(last, value)
            else:
                parent[key] = value
        elif how == "rename":
            named.append(key)
            parent[key] = parent.pop(last)
        elif how == "replace":
            parent[last] = value
        elif how.startswith("wrap"):
            parent[last] = [parent[last]] if how == "wrap in a list" else {key: parent[last]}
        if how != "repeat":
            text = _text(document)
        else:  # the same key twice in one object, with the same value: still ambiguous, so refused
            entry, original = json.dumps(last) + ": ", json.dumps(parent[last])
            parent[last] = RAW + "repeat"
            text = _text(document).replace((entry + json.dumps(RAW + "repeat")).encode(),
                                           f"{entry}{original}, {entry}{original}".encode())
    message = outcome(path, text)
    parse_level = message is not None and re.search("digits is too long", message)  # before there are entries
    if message is not None and named and not parse_level:
        assert any(re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", message) for n in named), (at, how, message)


# --- any bytes: random edits of a saved file --------------------------------------------------------------------------
@SETTINGS
@given(base=st.sampled_from(DOCUMENTS), edits=st.lists(st.tuples(
    st.sampled_from(["delete", "insert", "flip", "copy", "cut"]), st.floats(0, 1), st.binary(min_size=1, max_size=8)),
    min_size=1, max_size=3))
def test_a_saved_file_with_random_byte_edits_loads_faithfully_or_is_refused(path, base, edits):
    text = bytearray(_text(base))
    for how, where, chunk in edits:
        if not text:
            break
        i = int(where * (len(text) - 1))
        if how == "delete":
            del text[i:i + len(chunk)]
        elif how == "insert":
            text[i:i] = chunk
        elif how == "flip":
            text[i] ^= chunk[0] or 1
        elif how == "copy":
            text[i:i] = text[max(0, i - 40):i]
        else:
            del text[i:]
    outcome(path, bytes(text))


# --- the bracket scan that bounds the parser, against a plain reference ------------------------------------------
def _reference(data: bytes) -> tuple[int, int, bool]:
    """(depth, containers) of what a JSON parser reads: up to a backslash outside a string, where it stops;
    and whether it read everything."""
    depth = deepest = containers = 0
    inside = escaped = False
    for c in data.decode("latin-1"):
        if not inside and c == "\\":
            return deepest, containers, False
        if inside:
            inside, escaped = (escaped or c != '"'), (not escaped and c == "\\")
        elif c == '"':
            inside = True
        elif c in "[{":
            depth, containers = depth + 1, containers + 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest, containers, True


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='[]{}"\\a', max_size=60))
def test_the_nesting_scan_agrees_with_a_character_by_character_scan(text):
    depth, containers, whole = _reference(text.encode())
    scanned = nesting(text.encode())
    if whole:
        assert scanned == (depth, containers)
    else:  # what the parser reads is bounded by the scan
        assert scanned[0] >= depth and scanned[1] >= containers


def _shape(value) -> tuple[int, int]:
    if isinstance(value, (list, dict)):
        inner = [_shape(v) for v in (value.values() if isinstance(value, dict) else value)]
        return 1 + max((d for d, _ in inner), default=0), 1 + sum(c for _, c in inner)
    return 0, 0


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_the_nesting_scan_is_exact_on_json(value):
    text = json.dumps(value, ensure_ascii=False).encode()
    assert nesting(text) == _shape(value)
