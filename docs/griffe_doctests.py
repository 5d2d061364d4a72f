"""A griffe extension for the API reference: docstring examples (``>>>`` lines and what they print) are shown as
Python console blocks, not read as Markdown (where ``[(3, 2)]`` would be a link)."""

from __future__ import annotations

from typing import Any

import griffe


def fence(text: str) -> str:
    """Wrap each run of doctest lines (a ``>>>`` line, its ``...`` lines and its output) in a ```pycon fence."""
    out: list[str] = []
    in_example = False
    for line in text.splitlines():
        starts = line.lstrip().startswith(">>>")
        if starts and not in_example:
            out.append("```pycon")
            in_example = True
        elif in_example and not line.strip():
            out.append("```")
            in_example = False
        out.append(line)
    if in_example:
        out.append("```")
    return "\n".join(out)


class FenceDoctests(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence(obj.docstring.value)
