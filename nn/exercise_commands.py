"""The ``autograd-lite exercises`` and ``autograd-lite grade`` commands, which ``nn`` adds to the command line
(entry points in the ``autograd_lite.commands`` group: ``autograd_lite`` never imports ``nn``).

    autograd-lite exercises --seed 1 --count 10 [--kind expression|network] [--ops add,mul,tanh] -o DIR [--force]
    autograd-lite grade DIR answers.json [--tol 0.01]

``exercises`` writes into DIR: ``sheet.md`` (Markdown with LaTeX), ``sheet.html`` (self-contained),
``solutions.md`` (every step), ``answers.json`` (the template: null for each asked number) and
``.autograd-lite-exercises.json`` (the marker: what made the set, and a SHA-256 of each file written). DIR must
be new, empty, or one this command wrote: it never replaces a file it did not write (a directory with other
files needs ``--force``), nor one changed since (a filled-in answers.json), nor writes through a link.
The same arguments write the same bytes.

``grade`` reads the marker (untrusted: capped and parsed strictly), makes the same set again from its
arguments and grades the answers file against it; an answer may be a JSON number or text such as "-1/2", read
as ``autograd-lite check`` reads one. Exit codes, as ``check``'s (and grep's and diff's): 0 all right, 1 some
wrong or not answered, 2 nothing graded (a bad option, a DIR that is not a set, an answers file that is not
answers to this set or cannot be read, a table that cannot be written), so a script can tell a wrong answer from
a broken file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from autograd_lite import EXERCISE_OPS
from autograd_lite.cli import (
    EPILOG,
    EXIT_FAILED,
    EXIT_OK,
    PATH_ECHO,
    UsageError,
    name_some,
    number_between,
    output_path,
    say,
    shorten,
    whole_number,
    write_output,
)

from .atomic_file import write_atomically
from .exercise_grading import AnswersError, grade, read_answers
from .exercise_sheet import ABS_TOL, REL_TOL, answers_template, sheet_html, sheet_markdown
from .exercise_solutions import solutions_markdown
from .exercises import DEFAULT_OPS, KINDS, MAX_COUNT, MAX_SEED, ExerciseSet, make_set
from .safe_json import parse_strict, read_limited

MARKER = ".autograd-lite-exercises.json"
MADE_BY = "autograd-lite exercises"
FORMAT = 1
FILES = ("sheet.md", "sheet.html", "solutions.md", "answers.json")
MARKER_BYTES = 100_000
GRADE_EPILOG = ("exit codes: 0 every asked number is right, 1 some are wrong or not answered (each is named), "
                "2 nothing was graded: a usage error (bad option, a DIR that is not an exercise set, an answers file "
                "that is not answers to it), or a file that cannot be read or written; 130 interrupted (Ctrl-C)")


def add_exercises(commands: Any) -> None:
    """Add ``exercises`` to the command line (the entry point ``autograd_lite.commands: exercises``)."""
    p = commands.add_parser("exercises", help="write a homework set: sheet, solutions, answers template",
                            epilog=EPILOG, description="Write exercises in backpropagation by hand, in the notes' "
                            "notation, with every step of the solutions and an answers template for grade.")
    p.add_argument("--seed", type=whole_number(0, MAX_SEED), default=0,
                   help=f"which set, 0 to {MAX_SEED:,} (default 0): the same seed writes the same files")
    p.add_argument("--count", type=whole_number(1, MAX_COUNT), default=10,
                   help=f"questions, 1 to {MAX_COUNT} (default 10)")
    p.add_argument("--kind", choices=KINDS, default="expression",
                   help="expression: a formula's value and gradients; network: a 2-2-1 or 2-3-2 MLP's deltas "
                        "and gradients (default expression)")
    p.add_argument("--ops", help=f"the op mix of the formulas, comma separated, from {', '.join(EXERCISE_OPS)} "
                                 f"(default {','.join(DEFAULT_OPS)})")
    p.add_argument("-o", "--output", metavar="DIR", type=output_path, required=True,
                   help="the directory to write: new, empty, or written by this command before")
    p.add_argument("--force", action="store_true", help="write into a directory that holds other files too, "
                   "and replace our files even when they were changed (the files of the same names are replaced)")
    p.set_defaults(run=_exercises)


def add_grade(commands: Any) -> None:
    """Add ``grade`` to the command line (the entry point ``autograd_lite.commands: grade``)."""
    p = commands.add_parser("grade", help="grade an answers file against an exercise set", epilog=GRADE_EPILOG,
                            description="Grade each asked number of an answers file (answers.json filled in) "
                                        "against the set in DIR; print a table per question and the total. "
                                        "Exit 0 when all are right, 1 when some are wrong.")
    p.add_argument("directory", metavar="DIR", help="the directory autograd-lite exercises wrote")
    p.add_argument("answers", metavar="ANSWERS", help="the filled-in answers file (JSON, like DIR/answers.json); "
                   "each answer a JSON number (0.5, 1e-3), text as check reads it (\"-1/2\", \"1/3e2\"), or null")
    p.add_argument("--tol", type=number_between(0.0, 0.5), default=REL_TOL,
                   help=f"relative tolerance, 0 to 0.5 (default {REL_TOL:g}); an answer within {ABS_TOL:g} of "
                        "the right one is also right")
    p.set_defaults(run=_grade, verdict=True)  # nothing graded is exit 2, not 1 (some wrong)


# --- exercises ----------------------------------------------------------------------------------------------
def _exercises(args: argparse.Namespace) -> int:
    if args.kind == "network" and args.ops is not None:
        raise UsageError("--ops is for --kind expression; a network's ops are its activations")
    folder = Path(args.output)
    _check_folder(folder, args.force)  # before any work
    try:
        s = make_set(args.seed, args.count, args.kind, args.ops)
    except ValueError as error:
        raise UsageError(f"--ops: {error}" if args.ops is not None else str(error)) from None
    written = write_set(s, folder, args.force)
    say(f"wrote {', '.join(written)} in {shorten(folder, PATH_ECHO)}")
    return EXIT_OK


def files_of(s: ExerciseSet) -> dict[str, bytes]:
    """The files of the set, by name, as bytes: the same set gives the same bytes.

    >>> sorted(files_of(make_set(1, 1)))
    ['.autograd-lite-exercises.json', 'answers.json', 'sheet.html', 'sheet.md', 'solutions.md']
    """
    texts = {"sheet.md": sheet_markdown(s), "sheet.html": sheet_html(s), "solutions.md": solutions_markdown(s),
             "answers.json": answers_template(s)}
    files = {name: text.encode("utf-8") for name, text in texts.items()}
    marker = {"made_by": MADE_BY, "format": FORMAT, "seed": s.seed, "count": s.count, "kind": s.kind,
              "ops": list(s.ops), "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}}
    files[MARKER] = (json.dumps(marker, indent=2) + "\n").encode("utf-8")
    return files


def write_set(s: ExerciseSet, folder: Path, force: bool = False) -> list[str]:
    """Write the set's files into ``folder`` (made if new); the marker last. Returns the names written."""
    _check_folder(folder, force)
    if not folder.exists():
        folder.mkdir()
    files = files_of(s)
    for name in (*FILES, MARKER):
        write_atomically(folder / name, files[name], who="exercises")
    return list(FILES)


def _check_folder(folder: Path, force: bool) -> None:
    """Refuse a folder that is a file, a missing parent, or files that are not ours (see the module docstring)."""
    shown = shorten(folder, PATH_ECHO)
    if folder.is_symlink() and not folder.is_dir():
        raise OSError(f"-o {shown}: a link to nothing or to a file; give a directory")
    if folder.exists() and not folder.is_dir():
        raise OSError(f"-o {shown}: is a file, not a directory")
    if not folder.exists():
        parent = folder.parent
        if not parent.is_dir():
            raise FileNotFoundError(f"-o {shown}: the directory {shorten(parent, PATH_ECHO)} does not exist")
        return
    entries = sorted(os.listdir(folder))
    for name in (*FILES, MARKER):
        path = folder / name
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise OSError(f"-o {shown}: {name} there is a link or not a regular file; exercises does not write "
                          "through it (remove it or choose another directory)")
    if not entries or force:
        return
    if MARKER not in entries:
        raise FileExistsError(f"-o {shown}: the directory holds files that autograd-lite exercises did not write "
                              f"({name_some(entries)}); choose a new or empty directory, or pass --force")
    recorded = _marker(folder).get("sha256", {})
    changed = [name for name in FILES if (folder / name).exists() and
               (not isinstance(recorded, dict) or hashlib.sha256((folder / name).read_bytes()).hexdigest()
                != recorded.get(name))]
    if changed:
        raise FileExistsError(f"-o {shown}: {name_some(changed)} changed since exercises wrote "
                              f"{'it' if len(changed) == 1 else 'them'} (your answers?); copy "
                              f"{'it' if len(changed) == 1 else 'them'} elsewhere, or pass --force to replace")


def _marker(folder: Path) -> dict[str, Any]:
    """The marker of a set (untrusted: capped, strict); UsageError naming what is wrong."""
    path = folder / MARKER
    where = shorten(path, PATH_ECHO)
    if not path.is_file():
        raise UsageError(f"{shorten(folder, PATH_ECHO)} is not an exercise set: it has no {MARKER} "
                         "(write one with autograd-lite exercises -o DIR)")
    try:
        marker = parse_strict(read_limited(path, MARKER_BYTES), max_depth=4)
    except ValueError as error:
        raise UsageError(f"{where}: {error}") from None
    if not isinstance(marker, dict) or marker.get("made_by") != MADE_BY:
        raise UsageError(f"{where}: not written by {MADE_BY}")
    if marker.get("format") != FORMAT:
        raise UsageError(f"{where}: format {shorten(marker.get('format'))}; this version reads format {FORMAT}")
    return marker


def set_of(folder: Path) -> ExerciseSet:
    """The exercise set in ``folder``, made again from the arguments its marker records."""
    marker = _marker(folder)
    try:
        ops = marker.get("ops") or None
        if ops is not None and (not isinstance(ops, list) or len(ops) > len(EXERCISE_OPS)):
            raise ValueError("ops must be a short list of op names")
        # untrusted values: make_set checks each (a whole number in bounds, a known kind), a missing one too
        seed: Any = marker.get("seed")
        count: Any = marker.get("count")
        kind: Any = marker.get("kind")
        made = make_set(seed, count, kind, ops)
    except ValueError as error:
        raise UsageError(f"{shorten(folder / MARKER, PATH_ECHO)}: {error}") from None
    recorded = marker.get("sha256")
    sheet = hashlib.sha256(sheet_markdown(made).encode("utf-8")).hexdigest()
    if not isinstance(recorded, dict) or recorded.get("sheet.md") != sheet:  # an edited seed grades another set
        raise UsageError(f"{shorten(folder / MARKER, PATH_ECHO)}: its seed, count, kind and ops do not make the "
                         "sheet it records (was the marker edited?); write the set again with autograd-lite exercises")
    return made


# --- grade --------------------------------------------------------------------------------------------------
def _grade(args: argparse.Namespace) -> int:
    folder = Path(args.directory)
    if not folder.is_dir():
        raise UsageError(f"{shorten(folder, PATH_ECHO)} is not a directory (give the DIR exercises wrote)")
    s = set_of(folder)
    if not Path(args.answers).exists():
        raise FileNotFoundError(f"{shorten(args.answers, PATH_ECHO)}: No such file")
    try:
        result = grade(s, read_answers(args.answers), rel_tol=args.tol)
    except AnswersError as error:
        raise UsageError(f"{shorten(args.answers, PATH_ECHO)}: {error}") from None
    write_output(result.table(), None)
    return EXIT_OK if result.right == result.asked else EXIT_FAILED
