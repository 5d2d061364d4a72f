"""Issue 9, item 4: a model file is untrusted input. Every way a file can be wrong is refused with a ValueError
naming the file and the problem, before a model is built and with a bounded cost; never another exception."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_lite import Value
from nn import serialization
from nn.safe_json import nesting, parse_strict, read_limited


@pytest.fixture
def saved(tmp_path):
    model = nn.MLP(3, [4, 2], activation="tanh", output_activation="softmax", init="xavier", seed=5)
    path = tmp_path / "model.json"
    model.save(path)
    return model, path, json.loads(path.read_text())


def _refused(path, message, **kwargs):
    """nn.load(path) raises exactly ValueError, naming the file and matching ``message``."""
    with pytest.raises(ValueError, match=message) as info:
        nn.load(path, **kwargs)
    assert type(info.value) is ValueError and str(path) in str(info.value)
    assert len(str(info.value)) < 600
    return str(info.value)


def _write(tmp_path, document, name="bad.json"):
    path = tmp_path / name
    path.write_bytes(document if isinstance(document, bytes) else json.dumps(document).encode())
    return path


# --- nesting: refused by a scan before the recursive parser runs ------------------------------------------------
@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deep_nesting_is_a_value_error_naming_the_depth(tmp_path, depth):
    path = _write(tmp_path, b"[" * depth + b"]" * depth)
    _refused(path, f"nests arrays and objects {depth} deep; at most 32")


def test_deep_nesting_inside_a_model_file_is_refused(tmp_path, saved):
    _, _, document = saved
    text = json.dumps(document).replace('"nouts": [4, 2]', '"nouts": ' + "[" * 5000 + "4" + "]" * 5000)
    _refused(_write(tmp_path, text.encode()), "5002 deep")  # the document, config, 5000


def test_deep_nesting_cannot_crash_even_with_a_raised_recursion_limit(tmp_path):
    # micrograd users raise the limit; Python's JSON parser would then overflow the C stack (a crash, not an error)
    path = _write(tmp_path, b'{"a": ' * 1_000_000 + b"1" + b"}" * 1_000_000)
    code = ("import sys, nn; sys.setrecursionlimit(10**7)\n"
            f"try:\n    nn.load({str(path)!r})\nexcept ValueError as e:\n    print('refused:', e)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "refused:" in run.stdout and "1000000 deep" in run.stdout


def test_brackets_inside_strings_do_not_count(tmp_path, saved):
    _, _, document = saved
    document["parameters"]["[" * 100] = 1.0
    _refused(_write(tmp_path, document), r"unexpected parameter '\[\[\[")


# --- duplicate keys ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("where, key", [("top", "format"), ("config", "nin"),
                                        ("parameters", "layers.0.neurons.1.w.2")])
def test_a_key_given_twice_is_refused_by_name(tmp_path, saved, where, key):
    _, path, document = saved
    text = path.read_text()
    value = json.dumps(document[key] if where == "top" else document[where][key])
    original = f'"{key}": {value}'
    assert text.count(original) == 1
    text = text.replace(original, f'{original}, "{key}": {value}')  # even with the same value: ambiguous
    _refused(_write(tmp_path, text.encode()), f"the key '{key}' appears twice in one object")


# --- the config: only what save writes, each value checked before a constructor sees it ---------------------------
CONFIGS = [  # (model, config entries to change, what the message must say)
    ("Neuron", {"init": "xavier", "fan_out": -2}, "unexpected 'init'"),  # was ZeroDivisionError
    ("Neuron", {"fan_out": 0}, "unexpected 'fan_out'"),
    ("MLP", {"seed": 3}, "unexpected 'seed'"),
    ("MLP", {"nonlin": False}, "unexpected 'nonlin'"),
    ("Neuron", {"activation": True}, "'activation' must be one of .*got boolean True"),  # micrograd's nonlin
    ("Neuron", {"activation": "softmax"}, "'activation' must be one of"),  # a layer-wide activation
    ("Layer", {"activation": None}, "'activation' must be one of .*got null"),
    ("MLP", {"init": "orthogonal"}, "'init' must be one of uniform, xavier, he"),
    ("MLP", {"nin": 3.0}, "'nin' must be a positive integer, got number 3.0"),
    ("MLP", {"nin": True}, "'nin' must be a positive integer, got boolean True"),
    ("MLP", {"nin": "3"}, "'nin' must be a positive integer, got string '3'"),
    ("MLP", {"nin": -3}, "'nin' must be a positive integer, got integer -3"),
    ("MLP", {"nouts": []}, "'nouts' must be a non-empty list"),
    ("MLP", {"nouts": "42"}, "'nouts' must be a non-empty list"),
    ("MLP", {"nouts": {"0": 4}}, "'nouts' must be a non-empty list"),
    ("MLP", {"nouts": [4, 2.0]}, r"'nouts'\[1\] must be a positive integer, got number 2.0"),
    ("MLP", {"nouts": [[4, 2]]}, r"'nouts'\[0\] must be a positive integer, got array"),
    ("Layer", {"nout": False}, "'nout' must be a positive integer, got boolean False"),
]


@pytest.mark.parametrize("kind, change, message", CONFIGS, ids=[f"{c[0]}-{c[2][:30]}" for c in CONFIGS])
def test_config_entries_are_checked_before_construction(tmp_path, monkeypatch, kind, change, message):
    model = {"Neuron": nn.Neuron(3, seed=1), "Layer": nn.Layer(3, 2, seed=1), "MLP": nn.MLP(3, [4, 2], seed=1)}[kind]
    document = json.loads(json.dumps({"format": "autograd-lite-nn", "version": 1, "model": kind,
                                      "config": model.config(), "parameters": model.state_dict()}))
    document["config"].update(change)
    path = _write(tmp_path, document)
    built = []
    monkeypatch.setitem(serialization.MODELS, kind, lambda **config: built.append(config))
    _refused(path, f"bad 'config' for model '{kind}': {message}")
    assert built == []  # refused before any constructor ran
    with pytest.raises(ValueError, match=message):  # loading into a model checks the file first too
        monkeypatch.setitem(serialization.MODELS, kind, type(model))
        nn.load(path, model=model)


def test_an_overflowing_number_in_the_config_is_named(tmp_path, saved):
    _, path, _ = saved
    text = path.read_text().replace('"nin": 3', '"nin": 1e999')
    _refused(_write(tmp_path, text.encode()), "bad 'config' for model 'MLP': 'nin' must be a positive integer, got number inf")


def test_a_missing_config_entry_is_named_not_defaulted(tmp_path, saved):
    _, _, document = saved
    del document["config"]["activation"]
    _refused(_write(tmp_path, document), "bad 'config' for model 'MLP': missing 'activation'")


def test_equal_but_differently_typed_config_does_not_slip_into_a_model(tmp_path, saved):
    model, _, document = saved
    document["config"]["nin"] = 3.0  # == 3 in Python
    before = model.state_dict()
    _refused(_write(tmp_path, document), "'nin' must be a positive integer", model=model)
    assert model.state_dict() == before


def test_a_config_mismatch_names_the_first_differing_entry_briefly(tmp_path):
    path = tmp_path / "long.json"
    nn.MLP(1, [1] * 3000, seed=0).save(path)
    other = nn.MLP(1, [1] * 2999 + [2], seed=0)
    _refused(path, r"does not match the model's: 'nouts' is \[1, 1, .* in the file, \[1, 1, .* in the model", model=other)


# --- the size cap: at most max_bytes + 1 bytes are read, before any parsing ---------------------------------------
def test_dev_zero_is_refused_after_reading_the_cap(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    start = time.perf_counter()
    _refused("/dev/zero", r"the file holds more than the cap of max_bytes=8388608 bytes")
    _refused("/dev/zero", r"more than the cap of max_bytes=1000 ", max_bytes=1000)
    assert time.perf_counter() - start < 2


def test_a_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(500 * 2**20)  # sparse: 500 MB that take no disk (the file took 37 s and 2.9 GB)
    start = time.perf_counter()
    _refused(path, r"the file is 524288000 bytes, more than the cap of max_bytes=8388608; "
                   r"if you trust it, pass max_bytes=524288000 or more")
    assert time.perf_counter() - start < 0.5


def test_max_bytes_raises_the_cap_and_lowers_it(tmp_path, saved):
    model, path, _ = saved
    size = path.stat().st_size
    _refused(path, f"the file is {size} bytes, more than the cap of max_bytes={size - 1}", max_bytes=size - 1)
    assert nn.load(path, max_bytes=size).state_dict() == model.state_dict()
    big = nn.MLP(40, [400, 1], seed=0)  # 16,801 parameters: about 900 kB
    big.save(path)
    _refused(path, "more than the cap of max_bytes=100000", max_bytes=100_000)
    assert nn.load(path, max_bytes=10**12).state_dict() == big.state_dict()  # a big cap allocates nothing


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "100", None])
def test_max_bytes_must_be_a_positive_int(saved, bad):
    _, path, _ = saved
    with pytest.raises(ValueError, match="max_bytes"):
        nn.load(path, max_bytes=bad)


# --- text encoding ---------------------------------------------------------------------------------------------------
def test_a_utf8_byte_order_mark_is_accepted(tmp_path, saved):
    model, path, _ = saved
    bom = _write(tmp_path, b"\xef\xbb\xbf" + path.read_bytes())
    assert nn.load(bom).state_dict() == model.state_dict()


def test_utf16_and_broken_utf8_are_refused_with_the_offset(tmp_path, saved):
    _, path, _ = saved
    _refused(_write(tmp_path, path.read_text().encode("utf-16")), "not UTF-8 text.*looks like UTF-16")
    text = path.read_bytes()
    _refused(_write(tmp_path, text[:10] + b"\xff" + text[10:]), r"not UTF-8 text \(byte 0xff at offset 10\)")
    _refused(_write(tmp_path, b"\xc3"), "not UTF-8 text")  # a cut multi-byte character


# --- numbers, types, shapes -----------------------------------------------------------------------------------------
NAME = "layers.0.neurons.1.w.2"
NUMBERS = [
    ("1e999", f"parameter '{NAME}' must be a finite number, got inf .*too large for a float, such as 1e999"),
    ("-1e999", f"parameter '{NAME}' must be a finite number, got -inf"),
    ("1" * 400, f"parameter '{NAME}' is too large for a float: an integer of 400 digits"),
    ("1" * 5000, "an integer of 5000 digits is too long"),
    ("NaN", f"parameter '{NAME}' must be a finite number, got nan .*NaN or Infinity in the file"),
    ("Infinity", f"parameter '{NAME}' must be a finite number, got inf"),
    ("-Infinity", f"parameter '{NAME}' must be a finite number, got -inf"),
    ("true", f"parameter '{NAME}' must be a number, got boolean True"),
    ("null", f"parameter '{NAME}' must be a number, got null"),
    ('"0.5"', f"parameter '{NAME}' must be a number, got string '0.5'"),
    ("[0.5]", f"parameter '{NAME}' must be a number, got array"),
    ('{"v": 0.5}', f"parameter '{NAME}' must be a number, got object"),
]


@pytest.mark.parametrize("literal, message", NUMBERS, ids=[n[0][:12] for n in NUMBERS])
def test_parameter_values_must_be_finite_numbers(tmp_path, saved, literal, message):
    model, path, document = saved
    text = path.read_text().replace(f'"{NAME}": {document["parameters"][NAME]!r}', f'"{NAME}": {literal}')
    before = model.state_dict()
    _refused(_write(tmp_path, text.encode()), message, model=model)
    assert model.state_dict() == before


def test_extreme_but_valid_numbers_load_exactly(tmp_path, saved):
    _, _, document = saved
    names = list(document["parameters"])
    for name, value in zip(names, [5e-324, -0.0, 1.7976931348623157e308, 0, -7]):
        document["parameters"][name] = value
    loaded = nn.load(_write(tmp_path, document))
    assert [loaded.state_dict()[n] for n in names[:5]] == [5e-324, -0.0, 1.7976931348623157e308, 0.0, -7.0]


@pytest.mark.parametrize("top", [[], "model", 3, None, True, [{"format": "autograd-lite-nn"}]])
def test_the_top_level_must_be_an_object(tmp_path, top):
    _refused(_write(tmp_path, top), "expected a JSON object at the top level")


@pytest.mark.parametrize("change, message", [
    ({"version": 1.0}, "unsupported format version 1.0"),
    ({"version": "1"}, "unsupported format version '1'"),
    ({"format": ["autograd-lite-nn"]}, "'format' must be 'autograd-lite-nn', got array"),
    ({"format": "x" * 10**6}, "'format' must be 'autograd-lite-nn', got string 'xxxx"),  # the message stays short
    ({"model": ["MLP"]}, "'model' must be one of MLP, Layer, Neuron, got array"),
    ({"parameters": None}, "'parameters' must be an object of name -> number, got null"),
    ({"y" * 10**5: 1}, "unexpected 'yyy"),
])
def test_entries_of_the_wrong_type_are_named(tmp_path, saved, change, message):
    _, _, document = saved
    document.update(change)
    _refused(_write(tmp_path, document), message)


# --- a big network described in a small file is refused before anything is built ------------------------------------
@pytest.mark.parametrize("config, holds", [
    ({"nouts": [1] * 200_000}, "describes a network of 400002 parameters"),  # 1.2 MB of layers
    ({"nin": 10**50}, "describes a network of "),
    ({"nouts": [10**9, 2]}, "describes a network of 6000000002 parameters"),
])
def test_a_config_bigger_than_its_parameters_builds_nothing(tmp_path, saved, monkeypatch, config, holds):
    _, _, document = saved
    document["config"].update(config)
    path = _write(tmp_path, document)
    monkeypatch.setitem(serialization.MODELS, "MLP", lambda **kw: pytest.fail("a model was built"))
    start = time.perf_counter()
    _refused(path, f"{holds}.*but 'parameters' holds 26: missing parameter")
    assert time.perf_counter() - start < 2


def test_many_parameters_with_wrong_names_build_nothing(tmp_path, monkeypatch):
    # 120,000 short made-up names, and a config of exactly that many parameters: counts agree, names do not
    document = {"format": "autograd-lite-nn", "version": 1, "model": "Layer",
                "config": {"nin": 2, "nout": 40_000, "activation": "relu"},
                "parameters": {f"{i:x}": 0 for i in range(120_000)}}
    path = _write(tmp_path, document)
    monkeypatch.setitem(serialization.MODELS, "Layer", lambda **kw: pytest.fail("a model was built"))
    _refused(path, "missing parameter 'neurons.0.w.0'")


# --- the checks follow the models: a new constructor argument or naming scheme fails here first ---------------------
@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["Neuron", "Layer", "MLP"]), nin=st.integers(1, 4),
       nouts=st.lists(st.integers(1, 4), min_size=1, max_size=3), activation=st.sampled_from(nn.ACTIVATIONS))
def test_the_config_schema_and_parameter_names_are_what_save_writes(kind, nin, nouts, activation):
    model = {"Neuron": lambda: nn.Neuron(nin, activation, seed=0),
             "Layer": lambda: nn.Layer(nin, nouts[0], activation, seed=0),
             "MLP": lambda: nn.MLP(nin, nouts, activation, seed=0)}[kind]()
    config = model.config()
    assert list(serialization.CONFIG[kind]) == list(config)  # save writes exactly the keys load checks
    assert serialization.check_config(kind, config) == config
    names = [name for name, _ in model.named_parameters()]
    assert list(serialization.parameter_names(kind, config)) == names
    assert serialization.parameter_count(kind, config) == len(names)


# --- save writes only what load accepts -------------------------------------------------------------------------------
def test_save_refuses_a_model_that_could_not_be_loaded_again_and_keeps_the_old_file(tmp_path, saved):
    model, path, _ = saved
    before = path.read_bytes()
    model.layers[0].neurons[0].w.append(Value(1.0))  # a weight the config does not account for
    with pytest.raises(ValueError, match="could not be loaded again: .*unexpected parameter 'layers.0.neurons.0.w.3'"):
        model.save(path)
    model.layers[0].neurons[0].w.pop()
    model.activation = "gelu"
    with pytest.raises(ValueError, match="could not be loaded again: bad 'config' for model 'MLP': 'activation'"):
        model.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.json"]


def test_load_refuses_a_model_argument_that_is_not_a_model(saved):
    _, path, _ = saved
    with pytest.raises(TypeError, match="model must be the MLP, Layer, Neuron to load into, or None; got dict"):
        nn.load(path, model={})


# --- the reading helpers directly -------------------------------------------------------------------------------------
def test_read_limited_reads_at_most_one_byte_past_the_cap(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_limited(path, 10) == b"x" * 10
    with pytest.raises(ValueError, match="the file is 10 bytes, more than the cap of max_bytes=9"):
        read_limited(path, 9)


def test_nesting_ignores_escaped_quotes_and_backslashes():
    assert nesting(rb'["\\", [[]]]') == (3, 3)  # an escaped backslash does not escape the closing quote
    assert nesting(rb'["\"[[[", []]') == (2, 2)  # an escaped quote does not close the string
    assert nesting(rb'["\\\"[", [[[]]]]') == (4, 4)
    assert nesting(b'"[[[') == (0, 0)  # an unterminated string: the parser stops there too
    assert nesting(b"") == (0, 0)


def test_parse_strict_limits_are_parameters():
    assert parse_strict(b"[[[1]]]", max_depth=3) == [[[1]]]
    with pytest.raises(ValueError, match="nests arrays and objects 3 deep; at most 2"):
        parse_strict(b"[[[1]]]", max_depth=2)
    with pytest.raises(ValueError, match="holds 4 arrays and objects; at most 3"):
        parse_strict(b"[[], [], []]", max_containers=3)
