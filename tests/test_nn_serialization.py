"""save / load: bit-exact round trips, atomic writes, and every malformed file rejected with the model unchanged."""

from __future__ import annotations

import json
import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn


@pytest.fixture
def model():
    m = nn.MLP(3, [4, 2], activation="tanh", output_activation="softmax", init="xavier", seed=5)
    for p in m.parameters():  # awkward floats: the round trip must keep every bit
        p.data = p.data / 3.0 + 1e-17
    return m


def _saved(model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    return path, json.loads(path.read_text())


@pytest.mark.parametrize("make", [lambda: nn.Neuron(3, activation="elu", seed=1), lambda: nn.Layer(2, 3, seed=1)])
def test_round_trip_of_neurons_and_layers(tmp_path, make):
    original = make()
    path = tmp_path / "m.json"
    nn.save(original, path)
    loaded = nn.load(path)
    assert type(loaded) is type(original) and loaded.config() == original.config()
    assert loaded.state_dict() == original.state_dict()


def test_round_trip_is_bit_exact_and_keeps_the_architecture(tmp_path, model):
    path, document = _saved(model, tmp_path)
    assert document["format"] == "autograd-lite-nn" and document["version"] == 1 and document["model"] == "MLP"
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    assert [p.data.hex() for p in loaded.parameters()] == [p.data.hex() for p in model.parameters()]
    x = [0.1, 0.2, 0.3]
    assert [v.data for v in loaded(x)] == [v.data for v in model(x)]
    other = nn.MLP(3, [4, 2], activation="tanh", output_activation="softmax", init="xavier", seed=99)
    assert nn.load(path, model=other) is other and other.state_dict() == model.state_dict()


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, model, monkeypatch):
    path, _ = _saved(model, tmp_path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", crash)
    model.layers[0].neurons[0].b.data = 42.0
    with pytest.raises(OSError, match="disk on fire"):
        model.save(path)
    assert path.read_bytes() == before  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]  # the temporary file is gone


def test_saving_onto_a_folder_says_so_and_leaves_nothing(tmp_path, model):
    with pytest.raises(IsADirectoryError, match="is a folder; give a file name"):
        model.save(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_non_finite_parameters(tmp_path, model):
    model.layers[0].neurons[0].w[0].data = float("inf")
    with pytest.raises(ValueError, match="layers.0.neurons.0.w.0"):
        model.save(tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


def _edit(document, change):
    document = json.loads(json.dumps(document))
    change(document)
    return document


NAME = "layers.0.neurons.1.w.2"
MALFORMED = [
    ("not json", "{", "not valid JSON"),
    ("top level list", [], "JSON object"),
    ("wrong format", lambda d: d.update(format="pickle"), "'format' must be"),
    ("version 2", lambda d: d.update(version=2), "unsupported format version 2"),
    ("version true", lambda d: d.update(version=True), "unsupported format version True"),
    ("extra key", lambda d: d.update(code="import os"), "unexpected 'code'"),
    ("missing key", lambda d: d.pop("config"), "missing 'config'"),
    ("unknown model", lambda d: d.update(model="os.system"), "'model' must be one of"),
    ("bad config", lambda d: d["config"].update(nouts=[0]), r"bad 'config' for model 'MLP': 'nouts'\[0\] must be a pos"),
    ("unknown config key", lambda d: d["config"].update(evil=1), "bad 'config' for model 'MLP': unexpected 'evil'"),
    ("missing parameter", lambda d: d["parameters"].pop(NAME), f"missing parameter '{NAME}'"),
    ("extra parameter", lambda d: d["parameters"].update({"layers.9.b": 1.0}), "unexpected parameter 'layers.9.b'"),
    ("renamed parameter", lambda d: d["parameters"].update({"layers.0.neurons.1.w.9": d["parameters"].pop(NAME)}),
     f"missing parameter '{NAME}'"),
    ("string value", lambda d: d["parameters"].update({NAME: "0.5"}), f"parameter '{NAME}' must be a number"),
    ("bool value", lambda d: d["parameters"].update({NAME: True}), f"parameter '{NAME}' must be a number"),
    ("list value", lambda d: d["parameters"].update({NAME: [1.0]}), f"parameter '{NAME}' must be a number"),
    ("huge int", lambda d: d["parameters"].update({NAME: 10 ** 400}), "too large"),
    ("wrong sizes", lambda d: d["config"].update(nouts=[5, 2]), "missing parameter"),
    # refused before anything is built: a billion neurons would take minutes and gigabytes
    ("huge architecture", lambda d: d["config"].update(nouts=[10 ** 9, 2]), "describes a network of 6000000002 parameters"),
    ("parameters not an object", lambda d: d.update(parameters=[1, 2]), "'parameters' must be an object"),
]


@pytest.mark.parametrize("what, change, message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_files_are_rejected_and_the_model_is_unchanged(tmp_path, model, what, change, message):
    _, document = _saved(model, tmp_path)
    bad = tmp_path / "bad.json"
    if isinstance(change, str):
        bad.write_text(change)
    elif isinstance(change, list):
        bad.write_text(json.dumps(change))
    else:
        bad.write_text(json.dumps(_edit(document, change)))
    before = model.state_dict()
    # a file that is wrong in itself is named first; a good config of another architecture does not match
    config_changed = what in ("wrong sizes", "huge architecture")
    into_message = "does not match the model's" if config_changed else message
    with pytest.raises(ValueError, match=into_message) as info:
        nn.load(bad, model=model)
    assert str(bad) in str(info.value)  # the message names the file
    assert model.state_dict() == before
    with pytest.raises(ValueError, match=message):
        nn.load(bad)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_rejected(tmp_path, model, constant):
    path, _ = _saved(model, tmp_path)
    text = path.read_text()
    value = repr(model.state_dict()[NAME])
    assert value in text
    path.write_text(text.replace(value, constant, 1))
    before = model.state_dict()
    with pytest.raises(ValueError, match=f"parameter '{NAME}' must be a finite number"):
        nn.load(path, model=model)
    assert model.state_dict() == before


def test_loading_into_a_different_architecture_is_rejected(tmp_path, model):
    path, _ = _saved(model, tmp_path)
    other = nn.MLP(3, [4, 2], activation="relu", output_activation="softmax", init="xavier", seed=0)
    before = other.state_dict()
    with pytest.raises(ValueError, match="does not match"):
        nn.load(path, model=other)
    with pytest.raises(ValueError, match="holds a MLP"):
        nn.load(path, model=nn.Layer(3, 4))
    assert other.state_dict() == before


def test_load_state_dict_is_all_or_nothing(model):
    state = model.state_dict()
    before = dict(state)
    state["layers.1.neurons.1.b"] = float("nan")
    with pytest.raises(ValueError, match="layers.1.neurons.1.b"):
        model.load_state_dict(state)
    assert model.state_dict() == before
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([1.0, 2.0])


def test_saved_file_is_an_ordinary_readable_file_and_keeps_an_existing_mode(tmp_path, model):
    path = tmp_path / "m.json"
    model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o600)
    model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@settings(max_examples=25, deadline=None)
@given(nin=st.integers(1, 4), nouts=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       activation=st.sampled_from(nn.ACTIVATIONS), output=st.sampled_from(nn.OUTPUT_ACTIVATIONS),
       init=st.sampled_from(["uniform", "xavier", "he"]), seed=st.integers(0, 1000),
       values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=5))
def test_any_architecture_and_any_finite_floats_round_trip_bit_exactly(tmp_path_factory, nin, nouts, activation,
                                                                         output, init, seed, values):
    model = nn.MLP(nin, nouts, activation=activation, output_activation=output, init=init, seed=seed)
    for p, v in zip(model.parameters(), values):  # extreme floats: subnormals, 1e308, -0.0
        p.data = v
    path = tmp_path_factory.mktemp("rt") / "m.json"
    model.save(path)
    loaded = nn.load(path)
    assert loaded.config() == model.config()
    assert [p.data.hex() for p in loaded.parameters()] == [p.data.hex() for p in model.parameters()]
