r"""The lecture notes' symbols (z_k^[l], w_jk^[l], ŷ_k ...) written in plain ASCII labels, and ONE converter to
every output: Unicode text, LaTeX, Graphviz HTML labels and HTML.

The canonical label form (what ``nn`` puts in ``Value.label``)::

    x_1   z_1^[2]   a_3^[1]   w_21^[1]   b_1^[2]   yhat_1   delta_2^[1]   W^[l]   n_{l-1}   w_{12,3}^[2]

- a symbol: ``x z a w b t y n W Z A Y``, ``yhat`` (ŷ), ``delta`` (δ) or ``Σ`` (a sum: ``Σ_j w_j1^[2] a_j^[1]``);
- then ``_`` and the indices: one character per index (``w_21`` is w with j = 2, k = 1) or, when an index has
  two or more characters, all of them in braces separated by commas (``w_{12,3}``, ``n_{l-1}``);
- then, optionally, the layer in brackets: ``^[2]``, ``^[l]``, ``^[l-1]``, ``^[L]``;
- then, optionally, the training example in parentheses, as note 001 writes x^(i): ``x_1^(2)``, and after a layer
  ``z_1^[1](2)`` (z_1^{[1](2)}: node 1 of layer 1 for example 2).

An index or a layer is a number or a letter (``j``, ``k``, ``l``), the letter maybe followed by ``+1`` / ``-1``.
Layers and indices count from 1, as in the notes. Weights follow note 001: ``w_jk^[l]`` goes from node j of
layer l-1 to node k of layer l, so it is entry (k, j) of the n_l x n_{l-1} matrix W^[l] of notes 003/004.

``symbol(label, style)`` converts every notation token of a label and escapes the rest with ``labels`` (the
same escaping every other label gets), so any text is safe in any style:

    >>> symbol("z_1^[2]", "text"), symbol("w_{12,3}^[2]", "latex")
    ('z₁^[2]', 'w_{12,3}^{[2]}')
    >>> symbol("yhat_1", "dot_html"), symbol("<b>x_1", "html")
    ('ŷ<SUB>1</SUB>', '&lt;b&gt;x<sub>1</sub>')
"""

from __future__ import annotations

import re
from collections import Counter

from . import labels

STYLES: tuple[str, ...] = ("text", "latex", "dot_html", "html")
"""The outputs ``symbol`` writes: Unicode text, LaTeX (inside ``$...$``), Graphviz HTML-like labels, HTML."""

_INDEX = r"(?:[0-9]+|[a-zA-Z](?:[+-][0-9]+)?)"
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_])"  # a whole word: "x_1" in "max_1" or "my_x_1" is not the symbol x
    r"(?P<sym>yhat|delta|[xzawbtynWZAYΣ])"
    r"(?:_(?P<sub>[0-9a-z]{1,3}(?![A-Za-z0-9_{])|\{" + _INDEX + r"(?:," + _INDEX + r")*\}))?"
    r"(?:\^\[(?P<layer>" + _INDEX + r")\](?:\((?P<example>" + _INDEX + r")\))?"  # z_1^[1] or z_1^[1](2)
    r"|\^\((?P<alone>" + _INDEX + r")\))?"  # or x_1^(2): the example without a layer
    r"(?![A-Za-z0-9_])"
)
_PER_EXAMPLE = frozenset({"x", "z", "a", "yhat", "y", "t", "delta"})
"""The symbols one forward pass makes anew for each example (what ``example_label`` marks); w, b, W are shared."""

_UNICODE_SYMBOL = {"yhat": "ŷ", "delta": "δ"}
_LATEX_SYMBOL = {"yhat": r"\hat{y}", "delta": r"\delta", "Σ": r"\sum"}
_SUBSCRIPT = str.maketrans("0123456789+-aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUBSCRIPTABLE = frozenset("0123456789+-aehijklmnoprstuvx,")

_ESCAPE = {"text": labels.printable, "latex": labels.latex, "dot_html": labels.dot_html, "html": labels.html_text}


def notation_label(sym: str, *indices: int | str, layer: int | str | None = None,
                   example: int | str | None = None) -> str:
    """The canonical ASCII label of a symbol with its (1-based) indices, layer and training example.

    >>> notation_label("z", 1, layer=2), notation_label("w", 2, 1, layer=1), notation_label("w", 12, 3, layer=2)
    ('z_1^[2]', 'w_21^[1]', 'w_{12,3}^[2]')
    >>> notation_label("x", 3), notation_label("W", layer="l"), notation_label("n", "l-1")
    ('x_3', 'W^[l]', 'n_{l-1}')
    >>> notation_label("x", 1, example=2), notation_label("z", 1, layer=1, example=2)   # note 001's x^(i)
    ('x_1^(2)', 'z_1^[1](2)')
    """
    parts = [str(i) for i in indices]
    text = sym
    if parts:
        text += "_" + ("".join(parts) if all(len(p) == 1 for p in parts) else "{" + ",".join(parts) + "}")
    if layer is not None:
        text = f"{text}^[{layer}]"
    if example is not None:
        text += f"({example})" if layer is not None else f"^({example})"
    return text


def example_label(label: str, example: int | str) -> str | None:
    """``label`` for training example ``example`` (note 001's superscript (i)): every symbol a forward pass makes
    per example (x, z, a, ŷ, δ, y, t, with an index or a layer) gets it; None when the label has none of them
    (a weight, a bias, a name of the user's), since then the example does not change the node.

    >>> example_label("x_1", 2), example_label("z_1^[1]", 2), example_label("Σ_j w_j1^[1] x_j", 2)
    ('x_1^(2)', 'z_1^[1](2)', 'Σ_j w_j1^[1] x_j^(2)')
    >>> example_label("w_11^[1]", 2), example_label("loss", 2), example_label("x_1^(1)", 2)
    (None, None, None)
    """
    pieces = _example_pieces(str(label))
    return None if pieces is None else str(example).join(pieces)


def _example_pieces(label: str) -> list[str] | None:
    """``label`` cut where an example's index goes: "z_1^[1]" -> ["z_1^[1](", ")"]; None when it has no place."""
    pieces, start = [], 0
    for match in _TOKEN.finditer(label):
        if match.group("sym") not in _PER_EXAMPLE or not (match.group("sub") or match.group("layer")):
            continue
        if match.group("example") or match.group("alone"):
            return None  # already one example's
        pieces.append(label[start:match.end()] + ("(" if match.group("layer") else "^("))
        start = match.end()
    if not pieces:
        return None
    return [pieces[0]] + [")" + piece for piece in pieces[1:]] + [")" + label[start:]]


def _is_input(label: str) -> bool:
    """``label`` is an input of the notes, ``x_j`` (with an index, no layer, no example)."""
    match = _TOKEN.fullmatch(label)
    return (match is not None and match.group("sym") == "x" and bool(match.group("sub"))
            and not (match.group("layer") or match.group("alone")))


def distinct_names(shown: list[str]) -> list[str]:
    """One display name per node, in order, told apart where nodes share a label. A batch (the inputs ``x_j``
    each made n > 1 times: a model called on n examples) names the nodes a forward pass makes per example, when
    they too come n times, as examples 1 ... n in the given order, as note 001 writes them (``x_1^(2)``); any
    other repeated label gets " (2)", " (3)" ... (so does a group one of whose example names is someone's label).

    >>> distinct_names(["w_11^[1]", "x_1", "z_1^[1]", "x_1", "z_1^[1]", "x", "x"])
    ['w_11^[1]', 'x_1^(1)', 'z_1^[1](1)', 'x_1^(2)', 'z_1^[1](2)', 'x', 'x (2)']
    >>> distinct_names(["x_1", "z_1^[1]", "z_1^[1]"])   # one input: two layers' z_1, not two examples
    ['x_1', 'z_1^[1]', 'z_1^[1] (2)']
    """
    counts = Counter(shown)
    examples = max((n for base, n in counts.items() if _is_input(base)), default=1)  # how many times x_j was made
    per_example = {}  # label -> where its example index goes, for the labels made once per example
    for base, n in counts.items():
        pieces = _example_pieces(base) if n == examples > 1 else None
        if pieces is not None and not any(str(k).join(pieces) in counts for k in range(1, n + 1)):
            per_example[base] = pieces
    reserved = {str(k).join(pieces) for base, pieces in per_example.items() for k in range(1, counts[base] + 1)}
    seen: Counter[str] = Counter()
    last_suffix: dict[str, int] = {}  # per label, the last " (k)" given: each search starts there (linear time)
    taken: set[str] = set()
    out = []
    for base in shown:
        name = base
        pieces = per_example.get(base)
        if pieces is not None:
            seen[base] += 1
            name = str(seen[base]).join(pieces)
        k = last_suffix.get(base, 1)
        while name in taken or (pieces is None and name in reserved):  # a suffix never takes an example's name
            k += 1
            name = f"{base} ({k})"
        last_suffix[base] = k
        taken.add(name)
        out.append(name)
    return out


def is_notation(label: str) -> bool:
    """True when the whole label is one symbol in the notes' notation.

    >>> is_notation("z_1^[2]"), is_notation("yhat_3"), is_notation("loss"), is_notation("z_1^[2] + 1")
    (True, True, False, False)
    >>> is_notation("x_1^(2)"), is_notation("z_1^[1](2)"), is_notation("x^(i)")
    (True, True, True)
    """
    match = _TOKEN.fullmatch(str(label))
    return match is not None and _marked(match)


def _marked(match: re.Match) -> bool:
    """The token has an index, a layer or an example (a bare ``x`` is the user's letter, not the notes')."""
    return bool(match.group("sub") or match.group("layer") or match.group("alone"))


def symbol(label: str, style: str = "text") -> str:
    r"""``label`` written for ``style``: each notation token (``z_1^[2]``, ``w_21^[1]``, ``yhat_1``) with real
    subscripts and superscripts, every other character escaped as ``labels`` escapes any user text.

    >>> symbol("w_21^[1]", "text"), symbol("w_21^[1]", "latex")
    ('w₂₁^[1]', 'w_{21}^{[1]}')
    >>> symbol("z_1^[2]", "dot_html"), symbol("delta_1^[2]", "html")
    ('z<SUB>1</SUB><SUP>[2]</SUP>', 'δ<sub>1</sub><sup>[2]</sup>')
    >>> symbol("loss & <co>", "dot_html"), symbol("my_x", "latex")
    ('loss &amp; &lt;co&gt;', '\\mathrm{my\\_x}')

    ``style``: ``"text"`` (Unicode; the layer stays ``^[l]`` as in the notes), ``"latex"`` (for inside
    ``$...$``), ``"dot_html"`` (Graphviz HTML-like label, ``<SUB>``/``<SUP>``) or ``"html"`` (``<sub>``/``<sup>``).
    """
    if style not in _ESCAPE:
        raise ValueError(f"symbol: style must be one of {', '.join(STYLES)}, got {style!r:.60}")
    if not isinstance(label, str):  # None, a number or bytes would be written as their repr, silently
        raise TypeError(f"symbol: label must be a str, got {type(label).__name__}")
    text = label
    escape = _ESCAPE[style]
    out, start = [], 0
    for match in _TOKEN.finditer(text):
        if not _marked(match) and match.group("sym") not in _UNICODE_SYMBOL:
            continue  # a bare letter ("a", "x") is left as the user wrote it; a bare "yhat" is ŷ
        if match.start() > start:
            out.append(escape(text[start:match.start()]))
        out.append(_token(match, style))
        start = match.end()
    if start == 0:
        return escape(text)
    if start < len(text):
        out.append(escape(text[start:]))
    return "".join(out)


def _token(match: re.Match, style: str) -> str:
    sym, sub = match.group("sym"), match.group("sub")
    if sub is not None and sub.startswith("{"):
        sub = sub[1:-1]
    layer, example = match.group("layer"), match.group("example") or match.group("alone")
    sup = ("" if layer is None else f"[{layer}]") + ("" if example is None else f"({example})")  # [l](i), note 001
    if style == "latex":
        out = _LATEX_SYMBOL.get(sym, sym)
        out += "" if sub is None else "_{" + sub + "}"
        return out + ("" if not sup else "^{" + sup + "}")
    if style == "text":
        out = _UNICODE_SYMBOL.get(sym, sym)
        if sub is not None:
            out += sub.translate(_SUBSCRIPT) if set(sub) <= _SUBSCRIPTABLE else "_{" + sub + "}"
        return out + ("" if not sup else "^" + sup)  # x₁^(2), z₁^[1](2): ⁽²⁾ is a slot mark (named.slot_mark)
    tag_sub, tag_sup = ("SUB", "SUP") if style == "dot_html" else ("sub", "sup")
    out = _UNICODE_SYMBOL.get(sym, sym)
    out += "" if sub is None else f"<{tag_sub}>{sub}</{tag_sub}>"
    return out + ("" if not sup else f"<{tag_sup}>{sup}</{tag_sup}>")


def network_caption(style: str = "text") -> str:
    """The index convention, stated once on every network picture (notes 003/004; note 001 names the weights).

    Note 001's w_jk^[l] goes from node j to node k; notes 003 (w_ij) and 004 (w_jk) put the receiving node first,
    so a student holding those notes reads our w_21 as their w_12: the caption says so.

    >>> network_caption("text")[:59]
    'W^[l] is nₗ × nₗ₋₁: z^[l] = W^[l] a^[l-1] + b^[l], a^[l] = '
    >>> network_caption("text")[96:194]
    'wⱼₖ^[l] links aⱼ^[l-1] to zₖ^[l] as in note 001, entry (k, j) of W^[l]: notes 003/004 write it wₖⱼ'
    """
    return symbol(
        "W^[l] is n_l × n_{l-1}: z^[l] = W^[l] a^[l-1] + b^[l], a^[l] = g(z^[l]), yhat = a^[L] (notes 003/004); "
        "w_jk^[l] links a_j^[l-1] to z_k^[l] as in note 001, entry (k, j) of W^[l]: notes 003/004 write it w_kj "
        "(note 001's W is the transpose)", style)
