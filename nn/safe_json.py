"""Reading JSON that may come from anyone: bounded in bytes, depth, containers and digits, strict about the rest.

``read_limited`` reads at most ``max_bytes`` (one more byte tells a bigger file apart) and refuses a bigger
file before anything is parsed, so ``/dev/zero`` or a 500 MB file cost nothing. ``parse_strict`` parses UTF-8
JSON (a leading UTF-8 byte-order mark is allowed) and refuses, each with a ValueError saying what and where:

- nesting deeper than ``max_depth`` or more than ``max_containers`` arrays and objects, found by a scan of the
  bytes BEFORE parsing (Python's parser recurses, so 100,000 ``[`` would be a RecursionError, or a crash when
  the recursion limit has been raised);
- a key given twice in one object (Python's parser keeps the last one silently);
- integers of more than ``MAX_DIGITS`` digits (Python's ``int`` takes time quadratic in the digits);
- bytes that are not UTF-8 (UTF-16 is named as such).

Non-finite numbers come out as floats, as in Python: ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON, but
Python writes them) and numbers too big for a float (``1e999``). The caller checks each entry, so its
message can name the entry that holds one.

    >>> parse_strict(b'{"a": [1, 2.5]}')
    {'a': [1, 2.5]}
    >>> parse_strict(b'{"a": 1, "a": 2}')
    Traceback (most recent call last):
    ...
    ValueError: the key 'a' appears twice in one object
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import stat
from typing import Any, BinaryIO

import numpy as np

MAX_DIGITS = 1000  # Python's int() is quadratic in the digits; 1e999 already overflows a float
CHUNK = 1 << 20  # bytes scanned per numpy step, so the scan's memory does not grow with the file
_OPEN, _CLOSE, _QUOTE = b"[{", b"]}", ord('"')
_KEEP = bytes(range(256)).translate(None, b'"[]{}')  # every byte but the five that shape a document


def read_limited(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of the file at ``path``, or a ValueError when it holds more than ``max_bytes``.

    Never reads more than ``max_bytes + 1`` bytes, in chunks, so a device or a growing file is safe too.

    >>> import tempfile; f = tempfile.NamedTemporaryFile(delete=False); _ = f.write(b"12345"); f.close()
    >>> read_limited(f.name, 5)
    b'12345'
    >>> read_limited(f.name, 4)
    Traceback (most recent call last):
    ...
    ValueError: the file is 5 bytes, more than the cap of max_bytes=4; if you trust it, pass max_bytes=5 or more
    >>> os.unlink(f.name)
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int):
        raise TypeError(f"max_bytes must be an int, got {type(max_bytes).__name__}: {max_bytes!r:.60}")
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be >= 1, got {max_bytes}")
    with open_for_reading(path) as f:
        info = os.fstat(f.fileno())
        regular = stat.S_ISREG(info.st_mode)
        if regular and info.st_size > max_bytes:  # refused without reading a byte
            raise ValueError(_too_big(info.st_size, max_bytes))
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = f.read(min(CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:  # the file grew, or is a device or a pipe
            size = os.fstat(f.fileno()).st_size if regular else None
            raise ValueError(_too_big(size if size and size > max_bytes else None, max_bytes))
    return b"".join(chunks)


def open_for_reading(path: str | os.PathLike) -> BinaryIO:
    """``open(path, "rb")``, but a named pipe (FIFO) or a socket is refused with a ValueError instead of waiting
    forever for a writer: checked before opening, and again on the opened file (opened without waiting), in case
    the name was replaced in between. Devices are read as before (``/dev/zero`` is cut at the cap).

    >>> import tempfile; folder = tempfile.mkdtemp(); os.mkfifo(os.path.join(folder, "pipe"))
    >>> open_for_reading(os.path.join(folder, "pipe"))
    Traceback (most recent call last):
    ...
    ValueError: it is a named pipe (FIFO), not a file: reading it would wait for a writer, maybe forever
    """
    try:
        _refuse_blocking(os.stat(path).st_mode)
    except OSError:
        pass  # no such file, no permission: open() says so below
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        _refuse_blocking(mode)
        if stat.S_ISDIR(mode):  # os.fdopen would raise IsADirectoryError naming the descriptor (3), not the path
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        if not stat.S_ISREG(mode) and hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)  # a device reads as it always has
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _refuse_blocking(mode: int) -> None:
    if stat.S_ISFIFO(mode):
        raise ValueError("it is a named pipe (FIFO), not a file: reading it would wait for a writer, maybe forever")
    if stat.S_ISSOCK(mode):
        raise ValueError("it is a socket, not a file")


def _too_big(size: int | None, cap: int) -> str:
    if size is None:
        return f"the file holds more than the cap of max_bytes={cap} bytes; if you trust it, pass a bigger max_bytes"
    return (f"the file is {size} bytes, more than the cap of max_bytes={cap}; "
            f"if you trust it, pass max_bytes={size} or more")


def parse_strict(data: bytes, max_depth: int = 32, max_containers: int = 10_000) -> Any:
    """Parse UTF-8 JSON ``data`` strictly and within bounds (see the module docstring); ValueError otherwise.

    >>> parse_strict(b"[" * 100_000)
    Traceback (most recent call last):
    ...
    ValueError: the JSON nests arrays and objects 100000 deep; at most 32 are allowed
    """
    try:
        text = data.decode("utf-8-sig")  # the UTF-8 byte-order mark some editors write is dropped
    except UnicodeDecodeError as error:
        utf16 = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        hint = "; it looks like UTF-16: save it as UTF-8" if utf16 else ""
        raise ValueError(f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}){hint}") from None
    depth, containers = nesting(data)
    if depth > max_depth:
        raise ValueError(f"the JSON nests arrays and objects {depth} deep; at most {max_depth} are allowed")
    if containers > max_containers:
        raise ValueError(f"the JSON holds {containers} arrays and objects; at most {max_containers} are allowed")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_bounded_int)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error})") from None


def nesting(data: bytes) -> tuple[int, int]:
    """(deepest nesting, number of arrays and objects) of the JSON ``data``, counting brackets outside strings.

    Exact for valid JSON and for the part of invalid JSON a parser reads before it fails, so it bounds what
    the parser will build. Runs in C and numpy, in chunks: a 16 MB file takes a few hundredths of a second.

    >>> nesting(b'{"a": [[1], "]]]"], "b": {}}')   # the brackets inside a string do not count
    (3, 4)
    """
    # inside a string, drop the escapes: first the escaped backslashes, then the escaped quotes
    shape = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _KEEP)
    inside, depth, deepest, containers = False, 0, 0, 0
    for start in range(0, len(shape), CHUNK):
        a = np.frombuffer(shape, np.uint8, count=min(CHUNK, len(shape) - start), offset=start)
        quote = a == _QUOTE
        in_string = np.logical_xor.accumulate(quote) ^ inside  # True from an opening quote up to its closing one
        outside = ~(in_string | quote)
        opens = outside & ((a == _OPEN[0]) | (a == _OPEN[1]))
        closes = outside & ((a == _CLOSE[0]) | (a == _CLOSE[1]))
        containers += int(np.count_nonzero(opens))
        step = opens.view(np.int8) - closes.view(np.int8)
        step = step[step != 0]
        if step.size:
            running = np.cumsum(step, dtype=np.int64) + depth
            deepest, depth = max(deepest, int(running.max())), int(running[-1])
        inside = bool(in_string[-1])
    return deepest, containers


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r:.80} appears twice in one object")
            seen.add(key)
    return document


def _bounded_int(digits: str) -> int:
    if len(digits) > MAX_DIGITS:
        raise ValueError(f"an integer of {len(digits)} digits is too long (at most {MAX_DIGITS})")
    return int(digits)
