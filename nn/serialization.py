"""Saving and loading models as JSON: no pickle, no code runs on load, nothing half-written.

The file is one JSON object::

    {"format": "autograd-lite-nn", "version": 1,
     "model": "MLP",                          # Neuron, Layer or MLP
     "config": {"nin": 2, "nouts": [16, 1], "activation": "relu", "output_activation": "linear", "init": "uniform"},
     "parameters": {"layers.0.neurons.0.w.0": 0.123, ...}}   # every named parameter, as a float

Floats are written with Python's shortest round-trip ``repr``, so a save/load round trip is bit-exact.
``save`` writes a temporary file in the same folder and renames it over the target (atomic on
POSIX and Windows), so a crash leaves either the old file or the new one. ``load`` checks
everything (format, version, model kind, config, every parameter name, count and value) before
touching a model; when it raises, the model is unchanged.

    >>> import os, tempfile, nn
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json"); model = nn.MLP(2, [4, 1], seed=0)
    >>> save(model, path); load(path).state_dict() == model.state_dict()
    True
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any

from .layers import MLP, Layer, Neuron
from .module import Module

FORMAT = "autograd-lite-nn"
VERSION = 1
MODELS: dict[str, type[Module]] = {"MLP": MLP, "Layer": Layer, "Neuron": Neuron}
KEYS = ("format", "version", "model", "config", "parameters")


def save(model: Module, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` (see the module docstring for the format); atomic.

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
    text = json.dumps(document, indent=1, allow_nan=False)
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path} is a folder; give a file name such as {os.path.join(path, 'm.json')}")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the old file's mode, or an ordinary file's
        os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        os.replace(tmp, path)  # atomic: readers see the old file or the complete new one
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-finite number {name} in the file; parameters must be finite")


def load(path: str | os.PathLike, model: Module | None = None) -> Module:
    """Read a model saved by ``save``: a new one, or the parameters loaded into ``model`` (same architecture).

    Raises ValueError naming the wrong entry (bad JSON, format, version, model kind, config,
    missing / extra / renamed parameter, non-number, non-finite); ``model`` is then unchanged.

    >>> import os, tempfile, nn; path = os.path.join(tempfile.mkdtemp(), "m.json"); nn.MLP(2, [1], seed=0).save(path)
    >>> load(path, model=nn.MLP(2, [1], seed=5)).state_dict() == nn.MLP(2, [1], seed=0).state_dict()
    True
    """
    path = os.fspath(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    try:
        return _load_document(document, model)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: {error}") from None


def _load_document(document: Any, model: Module | None) -> Module:
    if not isinstance(document, dict):
        raise ValueError(f"expected a JSON object at the top level, got {type(document).__name__}")
    if document.get("format") != FORMAT:
        raise ValueError(f"'format' must be {FORMAT!r}, got {document.get('format')!r}")
    version = document.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise ValueError(f"unsupported format version {version!r} (this autograd-lite reads version {VERSION})")
    extra = [key for key in document if key not in KEYS]
    missing = [key for key in KEYS if key not in document]
    if extra or missing:
        raise ValueError(f"entries must be exactly {', '.join(KEYS)}; "
                         + (f"missing {missing[0]!r}" if missing else f"unexpected {extra[0]!r}"))
    kind, config, parameters = document["model"], document["config"], document["parameters"]
    if not isinstance(kind, str) or kind not in MODELS:
        raise ValueError(f"'model' must be one of {', '.join(MODELS)}, got {kind!r:.60}")
    if not isinstance(config, dict):
        raise ValueError(f"'config' must be an object, got {type(config).__name__}")
    if not isinstance(parameters, dict):
        raise ValueError(f"'parameters' must be an object of name -> number, got {type(parameters).__name__}")
    if model is None:
        expected = _parameter_count(kind, config)
        if expected is not None and expected > 2 * len(parameters) + 1000:
            # a file that claims a far bigger network than it holds is refused before we build (allocate) it;
            # near misses are built, so load_state_dict can name the missing or extra entry
            raise ValueError(f"'config' describes a network of {expected} parameters ({kind}), but 'parameters' "
                             f"holds {len(parameters)}")
        try:
            model = MODELS[kind](**config)
        except (TypeError, ValueError) as error:
            raise ValueError(f"bad 'config' for {kind}: {error}") from None
    else:
        if type(model).__name__ != kind:
            raise ValueError(f"the file holds a {kind}, but the model to load into is a {type(model).__name__}")
        if config != model.config():
            raise ValueError(f"the file's config {config} does not match the model's {model.config()}")
    model.load_state_dict(parameters)  # checks every name and value before changing anything
    return model


def _parameter_count(kind: str, config: dict[str, Any]) -> int | None:
    """How many parameters the architecture in ``config`` has (a neuron: n_in weights + 1 bias), or None
    when the config is malformed (the constructor then says what is wrong)."""
    try:
        if kind == "Neuron":
            widths = [config["nin"], 1]
        elif kind == "Layer":
            widths = [config["nin"], config["nout"]]
        else:
            widths = [config["nin"], *config["nouts"]]
    except (KeyError, TypeError):
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in widths):
        return None
    return sum((n_in + 1) * n_out for n_in, n_out in zip(widths, widths[1:]))
