"""What every command shares: argument types with bounds, and one-line messages that never grow with the input.

``nn``'s ``train`` uses these too (re-exported by ``autograd_lite.cli``).

    >>> name_some(f"v{i}" for i in range(100_000))
    'v0, v1, v2 and 99,997 more'
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from ..teaching import labels

ECHO = 40  # characters of the user's text repeated in a message (see shorten)
MAX_LINE = 400  # characters of any line written to stderr: a message never grows with the input
PATH_ECHO = 160  # characters of a file name repeated in a message (more than other text: the end matters)


def shorten(text: object, limit: int = ECHO) -> str:
    """``text`` fit to repeat in a one-line message: non-printable characters escaped (newlines, terminal
    escapes, undecodable bytes), and if longer than ``limit``, its middle replaced by an ellipsis (as labels
    are shown in pictures: ``teaching.labels.name``).

    >>> shorten("x" * 100, 11), shorten("a\\nb")
    ('xxxxxxx…xxx', 'a\\\\nb')
    """
    return labels.name(str(text), limit)


def name_some(names: Iterable[object], few: int = 3) -> str:
    """The first ``few`` names (shortened), and how many more: ``a, b, c and 99,997 more``.

    >>> name_some(["a", "b"]), name_some(f"v{i}" for i in range(100_000))
    ('a, b', 'v0, v1, v2 and 99,997 more')
    """
    names = list(names)
    shown = ", ".join(shorten(n, 20) for n in names[:few])
    if len(names) <= few:
        return shown
    return f"{shown} and {len(names) - few:,} more"


def say(line: str) -> None:
    """Write ``line`` to stderr as one line: non-printable characters escaped, at most ``MAX_LINE``
    characters (the middle cut, with an ellipsis). Every message of the command goes through here."""
    if sys.stderr is None:  # started with descriptor 2 closed (2>&-): print(file=None) would write to stdout
        return
    try:
        print(shorten(line, MAX_LINE), file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr itself is closed or full: nothing is left to tell
        pass


def stream_open(stream: object) -> bool:
    """Whether ``stream`` (``sys.stdout``, ``sys.stderr``) can be written to: Python sets it to None when the
    program starts with that descriptor closed (``>&-``, ``2>&-``), and it may have been closed since."""
    return stream is not None and not getattr(stream, "closed", False)


def positive_int(text: str) -> int:
    """An argparse ``type`` for whole numbers >= 1: ``positive_int("3") == 3``."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got '{shorten(text)}'")
    return n


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type`` for whole numbers from ``low`` to ``high``: ``whole_number(1, 17)("4") == 4``.

    >>> whole_number(1, 17)("99")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: expected a whole number from 1 to 17, got '99'
    """

    def parse(text: str) -> int:
        try:
            n = int(text)  # a ValueError too for more than 4,300 digits
        except ValueError:
            n = None
        if n is None or not low <= n <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low:,} to {high:,}, got '{shorten(text)}'")
        return n

    return parse


def number_between(low: float, high: float) -> Callable[[str], float]:
    """An argparse ``type`` for a number from ``low`` to ``high`` (no nan, no inf): ``number_between(0.5, 3)("1.5")``.

    >>> number_between(0.5, 3)("nan")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: expected a number from 0.5 to 3, got 'nan'
    """

    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            x = math.nan
        if not low <= x <= high:  # nan fails too
            raise argparse.ArgumentTypeError(f"expected a number from {low:g} to {high:g}, got '{shorten(text)}'")
        return x

    return parse


class UsageError(Exception):
    """A problem with what the user typed: exit code 2."""


def output_format(given: str | None, output: str | None, by_suffix: dict[str, str], default: str = "text") -> str:
    """The format to write: ``given`` (``--format``), else the one ``output``'s suffix names, else ``default``.
    A ``given`` format that a known suffix contradicts is a UsageError (an HTML page in ``notes.md``).

    >>> output_format(None, "walk.html", {".html": "html", ".md": "md"}), output_format("md", None, {})
    ('html', 'md')
    """
    implied = by_suffix.get(Path(output).suffix.lower()) if output is not None else None
    if given is not None and implied is not None and implied != given:
        raise UsageError(f"-o {shorten(output, PATH_ECHO)} is named for {implied} output but --format is {given}: "
                         f"drop --format, or give the file a name for {given}")
    return given or implied or default


def check_suffix(path: str, option: str, suffixes: tuple[str, ...], why: str = "", after: str = "") -> None:
    """A UsageError unless ``path`` ends in one of ``suffixes`` (any case), naming the option and the choices.

    >>> check_suffix("quiz.txt", "-o", (".html", ".htm"), "the quiz is an HTML page; ")
    Traceback (most recent call last):
    ...
    autograd_lite.cli.args.UsageError: -o quiz.txt: the quiz is an HTML page; use a name ending in .html or .htm
    """
    if Path(path).suffix.lower() not in suffixes:
        listed = f"{', '.join(suffixes[:-1])} or {suffixes[-1]}" if len(suffixes) > 1 else suffixes[0]
        raise UsageError(f"{option} {shorten(path, PATH_ECHO)}: {why}use a name ending in {listed}{after}")


def os_message(error: OSError) -> str:
    """An OSError as one line naming the file: 'answers.json: Permission denied' (ours are worded already).

    >>> os_message(PermissionError(13, "Permission denied", "answers.json"))
    'answers.json: Permission denied'
    """
    if error.strerror and isinstance(error.filename, (str, bytes, os.PathLike)):  # not a descriptor's number
        return f"{shorten(os.fsdecode(error.filename), PATH_ECHO)}: {error.strerror}"
    return str(error.strerror or error)


def output_path(text: str) -> str:
    """An argparse ``type`` for a file to write: refuses an empty name and one no file can have."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a file name, got '{shorten(text)}'")
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"a file name cannot contain a null byte: '{shorten(text)}'")
    try:
        os.fsencode(text)
    except UnicodeError:
        raise argparse.ArgumentTypeError(f"not a valid file name: '{shorten(text)}'") from None
    return text


def check_output(path: str, option: str, pipe_ok: bool = False) -> Path:
    """Before any work: ``path`` must be a file name in a directory that exists (else an OSError, exit 1),
    so a long computation does not end in 'No such file or directory'. It may not be a socket, nor a named pipe
    (FIFO), whose opening waits for a reader, maybe forever; with ``pipe_ok`` a pipe is accepted, for text that
    ``write_output`` writes (it opens a pipe without waiting: ``-o /dev/stdout`` works, a pipe nobody reads fails)."""
    target = Path(path)
    try:
        if target.is_dir():
            raise IsADirectoryError(f"{option} {shorten(path, PATH_ECHO)}: is a directory; give a file name in it")
        kind = special_file(target)
        if kind is not None and (kind != "pipe" or not pipe_ok):
            raise OSError(f"{option} {shorten(path, PATH_ECHO)}: is {SPECIAL[kind]}, not a file; give a file name")
        folder = target.parent
        if not folder.is_dir():
            problem = "is not a directory" if folder.exists() else "does not exist"
            raise FileNotFoundError(f"{option} {shorten(path, PATH_ECHO)}: the directory "
                                    f"{shorten(folder, PATH_ECHO)} {problem}")
    except OSError as error:
        if error.strerror is None:  # ours, already worded
            raise
        raise OSError(f"{option} {shorten(path, PATH_ECHO)}: {error.strerror}") from None
    return target


SPECIAL = {"pipe": "a named pipe (FIFO)", "socket": "a socket"}


def special_file(path: str | os.PathLike) -> str | None:
    """'pipe' or 'socket' if ``path`` names one (through symbolic links), else None (a file, a device, nothing)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return "pipe" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else None


def write_output(text: str, path: str | os.PathLike | None) -> None:
    """Write ``text`` to the file ``path`` (and say so on stderr), or to standard output when None;
    an OSError that names what could not be written. A named pipe is opened without waiting, so one that no
    program reads is an error at once, not a hang."""
    if path is None:
        if not stream_open(sys.stdout):
            raise OSError("cannot write to standard output: it is closed")
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError as error:
            raise OSError(f"cannot write to standard output: {error.strerror or error}") from None
        return
    try:
        with _open_for_writing(path) as file:
            file.write(text)
    except OSError as error:
        reason = error.strerror or error
        if error.errno == errno.ENXIO and special_file(path) == "pipe":
            reason = "it is a named pipe (FIFO) that no program is reading"
        raise OSError(f"cannot write {shorten(path, PATH_ECHO)}: {reason}") from None
    say(f"wrote {path}")


def _open_for_writing(path: str | os.PathLike) -> TextIO:
    """``open(path, "w", encoding="utf-8")``, except that a named pipe without a reader fails at once (ENXIO)."""
    nonblocking = getattr(os, "O_NONBLOCK", 0)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | nonblocking | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o666)
    try:
        if nonblocking:
            os.set_blocking(fd, True)  # a pipe with a reader, a terminal, a device: written as usual
        return os.fdopen(fd, "w", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise
