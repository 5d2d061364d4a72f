r"""A user's text, safe in every output: labels, parameter names, hand-made op symbols, page titles.

Whatever a user can name (``Value.label``, a model's parameter names, micrograd's ``_op`` text, the
title of a page) ends up in Graphviz's DOT, in HTML, in Markdown and in LaTeX. Each reads some
characters as its own syntax, and some text breaks all of them: control characters, lone
surrogates (which cannot be written as UTF-8), names longer than ``dot`` reads (16,384 bytes).

So every piece of user text passes through two steps, both here:

1. ``name`` makes it printable (invisible characters become visible escapes such as ``\x1b``) and
   short enough to read (``shorten``, with an ellipsis in the middle);
2. one escaper per output kind: ``dot_html`` (Graphviz HTML-like labels), ``dot_text`` (quoted DOT
   labels), ``html_text``, ``markdown`` and ``latex``. Each takes any string, so a renderer that
   forgets step 1 still makes a valid file.

    >>> name("a\x1bb"), dot_html("x<y\\N"), markdown("`<img>`|"), latex("w_1^2")
    ('a\\x1bb', 'x&lt;y\\\\N', '\\`&lt;img&gt;\\`\\|', '\\mathrm{w\\_1\\hat{}2}')
"""

from __future__ import annotations

import html
import re

NAME_LIMIT = 48
"""Characters of a label shown in diagrams and explanations; a longer one is cut in the middle ("…")."""

DOT_LIMIT = 1000
"""Characters of any text put into a DOT label: below dot's 16,384-byte limit even when every character
takes seven bytes once escaped (a lone surrogate: ``\\ud800``)."""

# Characters no output shows well: C0/C1 controls, bidirectional overrides (they reorder the text around them),
# line and paragraph separators, lone surrogates (not encodable), and U+FFFE/U+FFFF (not allowed in XML, so not
# in Graphviz's HTML labels nor in SVG).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}

# Markdown reads these inside a line: \ escapes, ` code, * _ emphasis, [ ] links, | table cells, $ math
# (Jupyter, GitHub), ~ strikethrough. A backslash before any of them shows the character itself.
_MARKDOWN = re.compile(r"([\\`*_\[\]|$~])")
_MARKDOWN_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

_LATEX = {
    "\\": r"\backslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "#": r"\#", "%": r"\%", "&": r"\&", "$": r"\$",
    "^": r"\hat{}", "~": r"\sim{}", "<": r"\lt{}", ">": r"\gt{}", " ": r"\ ", "'": r"\text{'}", '"': r'\text{"}',
    # Markdown's own: a renderer that does not set $...$ apart must not read a code span, a table cell or emphasis
    "`": r"\grave{}", "|": r"\vert{}", "*": r"\ast{}",
}
_LATEX_SPECIAL = re.compile("[" + re.escape("".join(_LATEX)) + "]")


def printable(text: str) -> str:
    r"""``text`` with every character no output can show replaced by its escape (``\n``, ``\x1b``, ``\ud800``).

    >>> printable("tab\there\x00")
    'tab\\there\\x00'
    """
    text = str(text)
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def _escape(match: re.Match) -> str:
    c = match.group(0)
    code = ord(c)
    return _SHORT_ESCAPES.get(c) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def shorten(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` cut to ``limit`` characters by an ellipsis in the middle, keeping both ends readable.

    >>> shorten("layers.0.neurons.3.a_very_long_parameter_name.w.15", 30)
    'layers.0.neurons.3.a…name.w.15'

    Both ends stay because names differ at either end: ``layers.0.neurons.3.w.1`` and ``.w.2``.
    """
    if len(text) <= limit:
        return text
    tail = max(1, (limit - 1) // 3)
    return text[:limit - 1 - tail] + "…" + text[-tail:]


def name(text: str, limit: int = NAME_LIMIT) -> str:
    """How a label is shown everywhere: printable, then at most ``limit`` characters.

    >>> name("x" * 60)
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…xxxxxxxxxxxxxxx'
    """
    if len(text) > 4 * limit:  # escaping can only lengthen: cut first, so a huge text costs nothing
        text = text[:2 * limit] + text[-2 * limit:]
    return shorten(printable(text), limit)


def dot_html(text: str) -> str:
    r"""``text`` for the inside of a Graphviz HTML-like label (``<<b>...</b>>``).

    >>> dot_html('<b> & "\\G"')
    '&lt;b&gt; &amp; &quot;\\\\G&quot;'

    Graphviz decodes entities and then reads ``\N``, ``\G``, ``\L`` and ``\\`` as its own escapes,
    even in HTML labels (an entity ``&#92;`` does not help), so a backslash is doubled.
    """
    return html.escape(shorten(printable(text), DOT_LIMIT), quote=True).replace("\\", "\\\\")


def dot_text(text: str) -> str:
    r"""``text`` for a quoted DOT label (``label="..."``), which Graphviz reads like an HTML label.

    >>> dot_text('a"b\\')
    'a&quot;b\\\\'

    No backslash is left unpaired, so the ``graphviz`` package quotes it as it is; and the result
    never starts with ``<``, which that package would take for an HTML label.
    """
    return dot_html(text)


def html_text(text: str) -> str:
    """``text`` for HTML element content or a quoted attribute.

    >>> html_text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    """
    return html.escape(printable(text), quote=True)


def notebook_frame(page: str, title: str, height: int) -> str:
    """A whole HTML ``page`` as one Jupyter ``_repr_html_`` output: a sandboxed ``<iframe srcdoc>``, so the page's
    script runs and its style stays inside; the page is escaped exactly once, the ``title`` as user text.

    >>> notebook_frame("<p>a & b</p>", "x<y", 300).split(" style=")[0]
    '<iframe srcdoc="&lt;p&gt;a &amp; b&lt;/p&gt;" sandbox="allow-scripts" title="x&lt;y"'
    """
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" title="{html_text(title)}" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #e2e8f0;border-radius:6px"></iframe>')


def markdown(text: str) -> str:
    r"""``text`` for Markdown inline content or a table cell: shown as written, never read as markup or HTML.

    >>> markdown("a*b* | `c` <i>")
    'a\\*b\\* \\| \\`c\\` &lt;i&gt;'
    """
    return _MARKDOWN.sub(r"\\\1", printable(text)).translate(_MARKDOWN_ENTITIES)


def markdown_code(text: str) -> str:
    r"""``text`` in code style in Markdown: ``<code>`` around the escaped text.

    >>> markdown_code("`x`")
    '<code>\\`x\\`</code>'

    A backtick code span would show its content literally, but a backtick in the text ends the span
    early, and what follows it is Markdown again, raw HTML included. ``<code>`` with escaped content
    has no such end.
    """
    return f"<code>{markdown(text)}</code>"


def latex(text: str) -> str:
    r"""``text`` as upright text inside a LaTeX formula (MathJax, KaTeX): ``\mathrm{...}`` with its specials escaped.

    >>> latex("p_1 {x}")
    '\\mathrm{p\\_1\\ \\{x\\}}'
    """
    return r"\mathrm{" + latex_escape(text) + "}"


def latex_escape(text: str) -> str:
    r"""``text`` with every character LaTeX (or Markdown around it) would read as syntax written as a command.

    >>> latex_escape("<a>_b")
    '\\lt{}a\\gt{}\\_b'

    ``<`` and ``>`` become ``\lt`` and ``\gt``: a Markdown renderer that does not know ``$...$`` sees no HTML.
    """
    return _LATEX_SPECIAL.sub(lambda m: _LATEX[m.group(0)], printable(text))


# MathJax and KaTeX commands that reach outside the formula: links, CSS classes, ids and styles, raw HTML and
# data attributes, pictures, loading extensions, and definitions (a macro could spell any of these)
_FORMULA_DENIED = frozenset({
    "href", "url", "class", "cssId", "style", "bbox", "require", "unicode", "html", "htmlClass", "htmlId",
    "htmlStyle", "htmlData", "data", "includegraphics", "def", "gdef", "edef", "xdef", "let", "futurelet",
    "newcommand", "renewcommand", "providecommand", "DeclareMathOperator", "newenvironment", "renewenvironment",
    "input", "include", "toggle", "mmlToken", "csname", "expandafter",
})
_FORMULA_KEPT = r"\\[A-Za-z]+|\\[ ,;:!{}$_%#&|\\]"  # a command, an escaped character
_FORMULA_TOKEN = re.compile(_FORMULA_KEPT + r"|\\|[{}<>$`%#&]|" + _UNSAFE.pattern)
_FORMULA_KEPT_TOKENS = re.compile(_FORMULA_KEPT)
_FORMULA_RISKY = re.compile(r"[\\<>$`%#&]|" + _UNSAFE.pattern)  # left once the kept tokens are gone
_FORMULA_DENIED_COMMAND = re.compile(r"\\(?:" + "|".join(sorted(_FORMULA_DENIED)) + r")(?![A-Za-z])")
_NOT_BRACE = re.compile(r"[^{}]")
_FORMULA_CHARS = {"\\": r"\backslash{}", "<": r"\lt{}", ">": r"\gt{}", "$": r"\$", "`": r"\grave{}", "%": r"\%",
                  "#": r"\#", "&": r"\&"}


def latex_formula(text: str) -> str:
    r"""LaTeX written by someone else (an op's formula, ``define_op(formula_latex=...)``), kept as LaTeX but unable
    to leave its ``$...$``: what could end the formula, become HTML or a link, or hide the rest is written out.

    >>> latex_formula(r"[u > 0] + \frac{1}{2")
    '[u \\gt{} 0] + \\frac{1}{2}'
    >>> latex_formula("$<img>$ 100% \\href{javascript:x}{y}}")
    '\\$\\lt{}img\\gt{}\\$ 100\\% \\mathrm{\\backslash{}href}{javascript:x}{y}\\}'

    - ``<`` and ``>`` become ``\lt`` and ``\gt``, so a Markdown renderer that does not know ``$...$`` sees no HTML;
    - ``$`` (the formula's end), `````, ``%`` (a comment), ``#``, ``&`` and a lone backslash are escaped;
      control characters are shown as their escapes (``printable``);
    - braces are balanced: an unmatched ``}`` is escaped and an open ``{`` is closed at the end;
    - commands that make links, styles or HTML, or define commands (``\href``, ``\style``, ``\def`` ...) are
      shown as text. Every other command (``\frac``, ``\sigma``, ``\le``) works as written.
    """
    text = str(text)
    if _formula_is_safe(text):  # most formulas (the op table's): nothing to change, found without a Python loop
        return text
    depth = 0

    def one(match: re.Match) -> str:
        nonlocal depth
        token = match.group(0)
        if len(token) > 1:  # a command or an escaped character
            return rf"\mathrm{{\backslash{{}}{token[1:]}}}" if token[1:] in _FORMULA_DENIED else token
        if token == "{":
            depth += 1
            return token
        if token == "}":
            if not depth:
                return r"\}"
            depth -= 1
            return token
        return _FORMULA_CHARS.get(token) or latex(token)  # a control character: \mathrm{\backslash{}x1b}

    text = _FORMULA_TOKEN.sub(one, text)
    return text + "}" * depth


def _formula_is_safe(text: str) -> bool:
    """True when ``latex_formula`` would return ``text`` as it is: no denied command, nothing to escape once the
    commands and escaped characters are taken out, and balanced braces."""
    if _FORMULA_DENIED_COMMAND.search(text):
        return False
    rest = _FORMULA_KEPT_TOKENS.sub("", text)
    if _FORMULA_RISKY.search(rest):
        return False
    braces, before = _NOT_BRACE.sub("", rest), None
    while braces and braces != before:
        braces, before = braces.replace("{}", ""), braces
    return not braces
