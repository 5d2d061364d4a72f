"""Which neuron and layer made which node: a model's structure, found in the graph it built.

``draw(loss, model=mlp)`` boxes each neuron's nodes and ``draw(..., collapse=True)`` summarises
each layer; both start from ``Clusters.infer`` and ``find_layers`` here. Nothing is stored on
the Values: the parameters' dotted names (``layers.0.neurons.3.w.1``) and the wiring say it all.

    >>> from autograd_lite import Value, dot, topological_order
    >>> w, b = [Value(0.5), Value(-1.0)], Value(0.1); a = (dot(w, [1.0, 2.0]) + b).tanh()
    >>> named = [("layers.0.neurons.0.w.0", w[0]), ("layers.0.neurons.0.w.1", w[1]), ("layers.0.neurons.0.b", b)]
    >>> order = topological_order(a); layers = find_layers(order, Clusters.infer(order, named))
    >>> [(layer.name, layer.activation) for layer in layers]
    [('layers.0', 'tanh')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.engine import Value
from ..core.grad_mode import no_grad
from ..core.handwritten import op_symbol
from . import labels


@dataclass
class Clusters:
    """Each node's module ("layers.0.neurons.3"), inferred from the graph and the model's parameters.

    A parameter belongs to the module its dotted name is in; an op node that consumes parameters
    belongs to their deepest common module; an op whose inputs are all such "linear" nodes of one
    module (the sum of w_i x_i) joins it; a unary op on such a node (the activation) follows it.
    """

    of: dict[Value, str]  # the box each node is drawn in (nodes of the top-level model itself get none)
    linear: set[Value]  # nodes of a neuron's weighted sum
    params: dict[Value, str]  # parameter -> its full dotted name
    home: dict[Value, str] = field(default_factory=dict)  # as ``of``, with "" for the top-level model's nodes

    @classmethod
    def infer(cls, order: list[Value], model: Any) -> Clusters:
        params = dict((v, name) for name, v in _named_parameters(model))
        of: dict[Value, str] = {v: module_of(name) for v, name in params.items()}
        linear: set[Value] = set()
        users: dict[Value, int] = {}
        for node in order:
            for x in set(node.inputs):
                users[x] = users.get(x, 0) + 1
        for node in order:
            if not node.inputs or node in of:
                continue
            owners = {of[x] for x in node.inputs if x in params}
            # a neuron's weighted sum reads its input too; w * w or w ** 2 (a weight penalty) reads parameters only
            if owners and any(x not in params for x in node.inputs):
                of[node] = _common(owners)
                linear.add(node)
                continue
            clustered = [x for x in node.inputs if x.inputs or x.label]  # ignore constants
            homes = {of.get(x) for x in clustered}
            home = homes.pop() if len(homes) == 1 else None
            if home is None:
                continue
            # a unary op on z is the activation when nothing else uses z (bce_with_logits' softplus(z) - t z reads
            # z twice: its softplus is the loss's, not the neuron's); a sum of several linear nodes joins them.
            # Only one unary op follows z, so a loss's log(sigmoid(z)) is not drawn inside the neuron.
            unary = len(node.inputs) == 1
            if all(x in linear for x in clustered) and ((unary and users[node.inputs[0]] == 1) or len(clustered) > 1):
                of[node] = home
                if len(node.inputs) > 1:
                    linear.add(node)
        for node in order:  # a constant drawn next to its only user
            for x in node.inputs:
                if not x.inputs and not x.label and node in of and x not in params:
                    of.setdefault(x, of[node])
        return cls(of={v: m for v, m in of.items() if m}, linear=linear, params=params, home=of)


def _named_parameters(model: Any) -> list[tuple[str, Value]]:
    pairs = model.named_parameters() if hasattr(model, "named_parameters") else model
    try:
        pairs = list(pairs)
    except TypeError:
        raise TypeError(f"draw: model must have named_parameters() or be (name, Value) pairs, "
                        f"got {type(model).__name__}") from None
    for item in pairs:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], Value)):
            raise TypeError(f"draw: model.named_parameters() must yield (str, Value) pairs, got {item!r:.80}")
    return pairs


def module_of(name: str) -> str:
    """The module a parameter lives in: "layers.0.neurons.3.w.1" -> "layers.0.neurons.3"."""
    parts = name.split(".")
    while parts and is_index(parts[-1]):
        parts.pop()
    return ".".join(parts[:-1])


def _common(modules: set[str]) -> str:
    parts = [m.split(".") if m else [] for m in modules]
    common = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return ".".join(common)


MAX_NESTING = 8  # boxes drawn inside each other at most: a name with 5,000 dots must not make 5,000 boxes


def ancestors(module: str) -> list[str]:
    """The named modules that contain ``module``, outermost first: a.0.b.3 -> [a.0].

    Only the outermost ``MAX_NESTING`` levels count: a deeper module's box sits in the deepest of them.
    """
    parts = module.split(".", MAX_NESTING)
    return [".".join(parts[:k]) for k in range(1, len(parts)) if not is_index(parts[k])]


@dataclass
class LayerSummary:
    """One layer of a drawn model: its neurons' z and a nodes (one per neuron and sample), W and b."""

    name: str
    neurons: list[str]
    z: list[list[Value]]  # z[k] = neuron k's z nodes, one per sample
    a: list[list[Value]]
    weights: list[list[Value]]  # weights[k] = row k of W
    biases: list[Value]
    activation: str


def find_layers(order: list[Value], clusters: Clusters) -> list[LayerSummary]:
    """The layers of the model found in the graph, in forward order (see ``Clusters``)."""
    users: dict[Value, list[Value]] = {}
    for node in order:
        for x in node.inputs:
            users.setdefault(x, []).append(node)
    by_neuron: dict[str, tuple[list[Value], list[Value], list[str]]] = {}
    for node in order:  # z: the last node of a neuron's weighted sum; a: after its unary ops
        m = clusters.home.get(node)  # every linear node has a home
        if m is None or node not in clusters.linear or any(u in clusters.linear and clusters.home.get(u) == m
                                              for u in users.get(node, [])):
            continue
        a = node
        while True:
            nxt = [u for u in users.get(a, []) if len(u.inputs) == 1 and clusters.home.get(u) == m]
            if not nxt:
                break
            a = nxt[0]
        activation = op_symbol(a) if a is not node else ""
        if a is node and (probability := _softmax_of(node, users)) is not None:
            a, activation = probability, "softmax"
        zs, as_, activations = by_neuron.setdefault(m, ([], [], []))
        zs.append(node)
        as_.append(a)
        activations.append(activation)
    params: dict[str, list[tuple[str, Value]]] = {}
    for v, name in clusters.params.items():
        params.setdefault(module_of(name), []).append((name, v))
    grouped: dict[str, LayerSummary] = {}
    layer_of = {neuron: _layer_of(neuron) for neuron in by_neuron}
    first_seen = {name: i for i, name in reversed(list(enumerate(layer_of.values())))}
    # layers in forward order; the neurons of a layer by index (the graph may reach neuron 2 before neuron 1)
    for neuron in sorted(by_neuron, key=lambda n: (first_seen[layer_of[n]], natural_key(n))):
        zs, as_, activations = by_neuron[neuron]
        name = layer_of[neuron]
        layer = grouped.setdefault(name, LayerSummary(name, [], [], [], [], [], ""))
        layer.neurons.append(neuron)
        layer.z.append(zs)
        layer.a.append(as_)
        own = params.get(neuron, [])
        layer.weights.append([v for name, v in own if is_index(name.split(".")[-1])])
        layer.biases.extend(v for name, v in own if not is_index(name.split(".")[-1]))
        layer.activation = layer.activation or activations[0]
    return list(grouped.values())


def _layer_of(neuron: str) -> str:
    """The layer a neuron module is in: "layers.0.neurons.3" -> "layers.0"; "neurons.3" (the model is a Layer)
    and "" (the model is a Neuron) -> "", the model itself."""
    outer = ancestors(neuron) if neuron else []
    if outer:
        return outer[-1]
    parts = neuron.split(".") if neuron else []
    while parts and is_index(parts[-1]):  # "neurons.3": an item of the model's list "neurons" ...
        parts.pop()
    return ".".join(parts[:-1])  # ... so the model itself


def module_title(module: str) -> str:
    """How a person reads a module's dotted name: list items counted from 1, as the notes count layers.

    >>> module_title("layers.0"), module_title("layers.0.neurons.1"), module_title("encoder"), module_title("")
    ('layer 1', 'neuron 2', 'encoder', '')

    The box of "layers.0.neurons.1" sits inside the one of "layers.0", so it names only the neuron. An item of a
    list whose name does not end in "s" keeps the list's name ("block.2" -> "block 3").
    """
    parts = module.split(".")
    if len(parts) >= 2 and is_index(parts[-1]):
        kind = parts[-2][:-1] if len(parts[-2]) > 1 and parts[-2].endswith("s") else parts[-2]
        number = str(int(parts[-1]) + 1) if len(parts[-1]) <= 18 else parts[-1] + " + 1"
        return labels.name(f"{kind} {number}")
    return labels.name(parts[-1])


def natural_key(name: str) -> tuple:
    """Sort key that puts "neurons.10" after "neurons.9".

    Indexes compare by length, then text: no int() that a 5,000-digit name could make fail.
    """
    return tuple(
        (0, len(part.lstrip("0")), part.lstrip("0")) if is_index(part) else (1, 0, part)
        for part in name.split(".")
    )


def is_index(part: str) -> bool:
    """True for a list index in a parameter's dotted name ("3" in "neurons.3").

    >>> is_index("12"), is_index("¹"), is_index("w")
    (True, False, False)

    ASCII digits only: ``"¹".isdigit()`` is True, but it is no index, and ``int("¹")`` fails.
    """
    return part.isascii() and part.isdigit()


def _softmax_of(z: Value, users: dict[Value, list[Value]]) -> Value | None:
    """a = exp(z - logsumexp(z_1..z_n)) when ``z`` feeds a softmax (as ``nn``'s softmax layer makes it), else None.

    A loss that reads one probability keeps only that exp in its graph; the others are
    recomputed here, outside the graph, so the layer box can still show every a.
    """
    lse = next((u for u in users.get(z, []) if u.op == "logsumexp"), None)
    if lse is None:
        return None
    for shifted in users.get(z, []):
        if shifted.op == "sub" and shifted.inputs[0] is z and shifted.inputs[1] is lse:
            found = next((e for e in users.get(shifted, []) if e.op == "exp"), None)
            if found is not None:
                return found
    if not any(u.op == "sub" and u.inputs[1] is lse for x in lse.inputs for u in users.get(x, [])):
        return None  # a logsumexp of the logits alone is a loss (cross_entropy), not a softmax layer
    with no_grad():
        return (z - lse).exp()


def layer_inputs(z: Value, clusters: Clusters) -> list[Value]:
    """The leaves feeding neuron ``z``'s weighted sum that are not parameters: the layer's input."""
    found, stack = [], [z]
    while stack:
        node = stack.pop()
        for x in node.inputs:
            if x in clusters.linear:
                stack.append(x)
            elif x not in clusters.params and not x.inputs:
                found.append(x)
    return found
