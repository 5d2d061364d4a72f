"""Saving and loading models as JSON: no pickle, no code runs on load, nothing half-written.

The file is one JSON object::

    {"format": "autograd-lite-nn", "version": 1,
     "model": "MLP",                          # Neuron, Layer or MLP
     "config": {"nin": 2, "nouts": [16, 1], "activation": "relu", "output_activation": "linear", "init": "uniform"},
     "parameters": {"layers.0.neurons.0.w.0": 0.123, ...}}   # every named parameter, as a float

Floats are written with Python's shortest round-trip ``repr``, so a save/load round trip is bit-exact.
``save`` checks that the file will load again, then writes it atomically (``nn.atomic_file``: a crash
leaves the old file or the new one; a symbolic link is written through; a killed save's temporary file is
removed by the next save). ``load`` treats the file as untrusted and checks everything before it builds or
touches a model, so when it raises, the model is unchanged:

- the size: at most ``max_bytes`` (8 MiB by default) are read, and a bigger file is refused before parsing;
- the JSON (``nn.safe_json``): UTF-8, at most 32 levels deep, no key twice;
- the document: exactly the five entries above, ``version`` the integer 1, a known ``model``;
- the config: exactly the keys ``save`` writes for that model, each of the right type and range (``CONFIG``),
  and at most one layer or neuron per ``BYTES_PER_UNIT`` bytes of ``max_bytes`` (``check_build_cost``: a file
  of one-neuron layers would otherwise take three times as long to build as one of real layers);
- the parameters: exactly the names the config implies (checked by counting, before anything is built, so
  a model is only built as big as the file that describes it), each a finite number (no NaN, Infinity, 1e999).

Each refusal is a ValueError that names the file and the entry. A file made to be expensive costs up to about
30 bytes of memory per byte and 0.4 s per MiB (8 MiB: about 3 s and 250 MB on two shared cores; most of the
time goes to building the model); pass a smaller ``max_bytes`` to bound it more, or a bigger one for a bigger model.

    >>> import os, tempfile, nn
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json"); model = nn.MLP(2, [4, 1], seed=0)
    >>> save(model, path); load(path).state_dict() == model.state_dict()
    True
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from typing import Any

from .activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from .atomic_file import write_atomically
from .checks import count
from .layers import INITS, MLP, Layer, Neuron
from .module import Module
from .safe_json import parse_strict, read_limited

FORMAT = "autograd-lite-nn"
VERSION = 1
MODELS: dict[str, type[Module]] = {"MLP": MLP, "Layer": Layer, "Neuron": Neuron}
KEYS = ("format", "version", "model", "config", "parameters")
DEFAULT_MAX_BYTES = 8 * 2**20  # a saved parameter takes about 50 bytes: 8 MiB holds some 150,000
# Building a layer or a neuron takes about as long as reading 200 bytes of parameters (a file can describe one
# layer of one neuron in 60 bytes); so a file may describe at most max_bytes / 200 of them, layers and neurons
# together, and at least 1 MiB / 200 however small max_bytes is set (the file's size bounds those anyway).
BYTES_PER_UNIT = 200
MIN_BUILD_BYTES = 2**20


def save(model: Module, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` (see the module docstring for the format); atomic, through symbolic links.

    >>> import os, tempfile, nn; save(nn.Neuron(2, seed=0), os.path.join(tempfile.mkdtemp(), "n.json"))
    """
    kind = type(model).__name__
    if MODELS.get(kind) is not type(model):
        raise TypeError(f"save: can only save {', '.join(MODELS)} models, got {kind}")
    state = model.state_dict()
    for name, value in state.items():
        if not math.isfinite(value):
            raise ValueError(f"save: parameter {name!r} is {value}; only finite numbers can be saved")
    document = {"format": FORMAT, "version": VERSION, "model": kind, "config": model.config(), "parameters": state}
    try:
        check_document(document)  # a file that would not load again would lose the model
    except ValueError as error:
        raise ValueError(f"save: this {kind} was changed so that it could not be loaded again: {error}") from None
    write_atomically(path, json.dumps(document, indent=1, allow_nan=False).encode("utf-8"), who="save")


def load(path: str | os.PathLike, model: Module | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Module:
    """Read a model saved by ``save``: a new one, or the parameters loaded into ``model`` (same architecture).

    Raises ValueError naming the file and what is wrong with it (see the module docstring), reading at most
    ``max_bytes`` bytes; ``model`` is then unchanged.

    >>> import os, tempfile, nn; path = os.path.join(tempfile.mkdtemp(), "m.json"); nn.MLP(2, [1], seed=0).save(path)
    >>> load(path, model=nn.MLP(2, [1], seed=5)).state_dict() == nn.MLP(2, [1], seed=0).state_dict()
    True
    >>> load(path, max_bytes=100)
    Traceback (most recent call last):
    ...
    ValueError: ...m.json: the file is ... bytes, more than the cap of max_bytes=100; if you trust it, pass ...
    """
    max_bytes = count(max_bytes, "load(max_bytes)")
    if model is not None and not isinstance(model, tuple(MODELS.values())):
        got = type(model).__name__
        raise TypeError(f"load: model must be the {', '.join(MODELS)} to load into, or None; got {got}")
    path = os.fspath(path)
    try:
        return _load_document(parse_strict(read_limited(path, max_bytes)), model, max_bytes)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{os.fsdecode(path)}: {error}") from None


def check_build_cost(kind: str, config: dict[str, Any], max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Refuse a checked ``config`` whose layers and neurons would take longer to build than ``max_bytes`` take to
    read: each costs about ``BYTES_PER_UNIT`` bytes of the budget (so 8 MiB allows 83,886 together).

    >>> check_build_cost("MLP", {"nin": 1, "nouts": [1] * 50_000})
    Traceback (most recent call last):
    ...
    ValueError: 'config' describes 50,000 layers with 50,000 neurons: building each layer and neuron costs as much ...
    """
    widths = _widths_of(kind, config)
    layers, neurons = len(widths) - 1, sum(widths[1:])
    budget = max(max_bytes, MIN_BUILD_BYTES)
    if (layers + neurons) * BYTES_PER_UNIT > budget:
        raise ValueError(f"'config' describes {layers:,} layer{'s' * (layers != 1)} with {neurons:,} neurons: "
                         f"building each layer and neuron costs as much as reading {BYTES_PER_UNIT} bytes, "
                         f"so max_bytes={max_bytes} allows {budget // BYTES_PER_UNIT:,} in all; "
                         f"if you trust the file, pass max_bytes={(layers + neurons) * BYTES_PER_UNIT} or more")


def _load_document(document: Any, model: Module | None, max_bytes: int = DEFAULT_MAX_BYTES) -> Module:
    kind, config, parameters = check_header(document)
    if model is not None:
        if type(model).__name__ != kind:
            raise ValueError(f"the file holds a {kind}, but the model to load into is a {type(model).__name__}")
        mine = model.config()
        for key, value in config.items():  # check_header made sure both have the same keys
            if value != mine.get(key):
                raise ValueError(f"the file's config does not match the model's: {key!r} is {value!r:.80} in the "
                                 f"file, {mine.get(key)!r:.80} in the model")
    check_parameters(kind, config, parameters)  # now the model to build is as big as the file, no bigger
    check_build_cost(kind, config, max_bytes)  # ... and has no more layers and neurons than its size pays for
    if model is not None:
        model.load_state_dict(parameters)  # checks every name and value again before changing anything
        return model
    try:
        model = MODELS[kind](**config)
    except (TypeError, ValueError) as error:  # CONFIG and the constructors disagree: a bug, but say what
        raise ValueError(f"bad 'config' for model {kind!r}: {error}") from None
    # A new model: its parameters() come in parameter_names order (both follow named_parameters), and every
    # value was checked above, so they are set directly, without load_state_dict's walk over the names.
    values = [float(parameters[name]) for name in parameter_names(kind, config)]
    params = model.parameters()
    if len(params) != len(values):  # the constructor and parameter_names disagree: a bug, but never a wrong model
        raise ValueError(f"bad 'config' for model {kind!r}: it builds {len(params)} parameters, not {len(values)}")
    for p, value in zip(params, values):
        p.data = value
    return model


def check_document(document: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Check a parsed model file completely, without building anything: (model kind, config, parameters).

    >>> check_document({"format": FORMAT, "version": 1, "model": "Neuron", "config": {"nin": 1, "activation": "relu"},
    ...                 "parameters": {"w.0": 0.5, "b": 0.0}})[0]
    'Neuron'
    """
    kind, config, parameters = check_header(document)
    check_parameters(kind, config, parameters)
    return kind, config, parameters


def check_header(document: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Check everything but the parameters' names and values: the entries, format, version, kind and config.

    >>> check_header({"format": FORMAT, "version": 1.0, "model": "MLP", "config": {}, "parameters": {}})
    Traceback (most recent call last):
    ...
    ValueError: unsupported format version 1.0 ('version' must be the integer 1, the version this autograd-lite reads)
    """
    if not isinstance(document, dict):
        raise ValueError(f"expected a JSON object at the top level, got {_show(document)}")
    if document.get("format") != FORMAT:
        raise ValueError(f"'format' must be {FORMAT!r}, got {_show(document.get('format'))}")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(f"unsupported format version {version!r:.60} ('version' must be the integer {VERSION}, "
                         f"the version this autograd-lite reads)")
    extra = [key for key in document if key not in KEYS]
    missing = [key for key in KEYS if key not in document]
    if extra or missing:
        raise ValueError(f"entries must be exactly {', '.join(KEYS)}; "
                         + (f"missing {missing[0]!r}" if missing else f"unexpected {extra[0]!r:.80}"))
    kind, config, parameters = document["model"], document["config"], document["parameters"]
    if not isinstance(kind, str) or kind not in MODELS:
        raise ValueError(f"'model' must be one of {', '.join(MODELS)}, got {_show(kind)}")
    config = check_config(kind, config)
    if not isinstance(parameters, dict):
        raise ValueError(f"'parameters' must be an object of name -> number, got {_show(parameters)}")
    return kind, config, parameters


# --- the config: exactly what save writes, each value checked before any constructor sees it ----------------------
def _width(value: Any, key: str) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(f"{key} must be a positive integer, got {_show(value)}")


def _widths(value: Any, key: str) -> None:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{key} must be a non-empty list of positive integers (layer widths), got {_show(value)}")
    for i, width in enumerate(value):
        _width(width, f"{key}[{i}]")


def _one_of(options: tuple[str, ...]) -> Callable[[Any, str], None]:
    def check(value: Any, key: str) -> None:
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"{key} must be one of {', '.join(options)}, got {_show(value)}")
    return check


CONFIG: dict[str, dict[str, Callable[[Any, str], None]]] = {
    "Neuron": {"nin": _width, "activation": _one_of(ACTIVATIONS)},
    "Layer": {"nin": _width, "nout": _width, "activation": _one_of(OUTPUT_ACTIVATIONS)},
    "MLP": {"nin": _width, "nouts": _widths, "activation": _one_of(ACTIVATIONS),
            "output_activation": _one_of(OUTPUT_ACTIVATIONS), "init": _one_of(INITS)},
}


def check_config(kind: str, config: Any) -> dict[str, Any]:
    """``config`` if it holds exactly the keys ``save`` writes for ``kind``, each of the right type and range.

    >>> check_config("Neuron", {"nin": 2, "activation": "tanh", "init": "xavier", "fan_out": -2})
    Traceback (most recent call last):
    ...
    ValueError: bad 'config' for model 'Neuron': unexpected 'init' (a Neuron's config has exactly nin, activation)
    """
    if not isinstance(config, dict):
        raise ValueError(f"'config' must be an object, got {_show(config)}")
    schema = CONFIG[kind]
    unexpected = [key for key in config if key not in schema]
    missing = [key for key in schema if key not in config]
    if unexpected or missing:
        problem = f"unexpected {unexpected[0]!r:.80}" if unexpected else f"missing {missing[0]!r}"
        keys = ", ".join(schema)
        raise ValueError(f"bad 'config' for model {kind!r}: {problem} (a {kind}'s config has exactly {keys})")
    for key, check in schema.items():
        try:
            check(config[key], repr(key))
        except ValueError as error:
            raise ValueError(f"bad 'config' for model {kind!r}: {error}") from None
    return config


# --- the parameters: names implied by the config, values finite numbers -------------------------------------------
def _widths_of(kind: str, config: dict[str, Any]) -> list[int]:
    if kind == "Neuron":
        return [config["nin"], 1]
    if kind == "Layer":
        return [config["nin"], config["nout"]]
    return [config["nin"], *config["nouts"]]


def parameter_count(kind: str, config: dict[str, Any]) -> int:
    """How many parameters a checked ``config`` describes: each neuron has n_in weights and a bias.

    >>> parameter_count("MLP", {"nin": 2, "nouts": [16, 16, 1]})
    337
    """
    widths = _widths_of(kind, config)
    return sum((n_in + 1) * n_out for n_in, n_out in zip(widths, widths[1:]))


def parameter_names(kind: str, config: dict[str, Any]) -> Iterator[str]:
    """The names ``named_parameters`` gives the model a checked ``config`` describes, in order, one at a time.

    >>> list(parameter_names("Layer", {"nin": 1, "nout": 2}))
    ['neurons.0.w.0', 'neurons.0.b', 'neurons.1.w.0', 'neurons.1.b']
    """
    widths = _widths_of(kind, config)
    for layer, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        prefix = "" if kind == "Neuron" else "neurons.{}." if kind == "Layer" else f"layers.{layer}.neurons.{{}}."
        for neuron in range(n_out):
            start = prefix.format(neuron)
            yield from (f"{start}w.{i}" for i in range(n_in))
            yield f"{start}b"


def check_parameters(kind: str, config: dict[str, Any], parameters: dict[str, Any]) -> None:
    """Check that ``parameters`` holds exactly the names ``config`` implies, each with a finite number.

    Takes time in proportion to ``len(parameters)``, however big a network the config describes.

    >>> check_parameters("Neuron", {"nin": 10**9, "activation": "relu"}, {"w.0": 1.0})
    Traceback (most recent call last):
    ...
    ValueError: 'config' describes a network of 1000000001 parameters (Neuron), but 'parameters' holds 1: missing ...
    """
    problem, found = None, 0
    for name in parameter_names(kind, config):  # stops at len(parameters) + 1 names at the latest
        if name not in parameters:
            problem = f"missing parameter {name!r}"
            break
        found += 1
    else:
        if found < len(parameters):
            expected = set(parameter_names(kind, config))  # found names: fewer than the file holds
            extra = next(name for name in parameters if name not in expected)
            problem = f"unexpected parameter {extra!r:.80} (this {kind} has no such name)"
    if problem is not None:
        expected_count, held = parameter_count(kind, config), len(parameters)
        if expected_count != held:
            problem = (f"'config' describes a network of {expected_count} parameters ({kind}), but 'parameters' "
                       f"holds {held}: {problem}")
        raise ValueError(problem)
    for name, value in parameters.items():
        _finite_number(name, value)


def _finite_number(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"parameter {name!r} must be a number, got {_show(value)}")
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            raise ValueError(f"parameter {name!r} is too large for a float: an integer of {len(str(value))} "
                             "digits") from None
    elif not math.isfinite(value):
        raise ValueError(f"parameter {name!r} must be a finite number, got {value} (NaN or Infinity in the file, "
                         "or a number too large for a float, such as 1e999)")


def _show(value: Any) -> str:
    """A value for an error message: its JSON type and the start of its text."""
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    what = "null" if value is None else kinds.get(type(value), type(value).__name__)
    return what if value is None else f"{what} {value!r:.60}"
