"""Writing a file atomically: readers see the old file or the complete new one, never half of one.

``write_atomically(path, data)`` writes ``data`` to a temporary file ``.<name>.<16 hex digits>.tmp`` in the
target's folder, flushes it to disk, and renames it over the target (``os.replace``: atomic on POSIX and
Windows). A symbolic link is written through: its final target gets the new content, and the link stays.

A process killed during the write (SIGKILL, power loss) leaves its temporary file behind. The next write to
the same target removes such leftovers, and only those: a name of exactly that pattern for exactly that
target, a regular file of ours, untouched for ``STALE_SECONDS``, and not locked. Each writer holds an
exclusive ``flock`` on its temporary file until the rename; the kernel drops the lock when the process dies,
however it dies, so a lock we can take means the writer is gone, while a save still running in another
process (even a slow or stopped one) keeps its lock and its file. The age test covers the instant between
creating the file and locking it, and systems without ``flock`` (Windows, where an open file cannot be
deleted anyway).

    >>> import os, tempfile; folder = tempfile.mkdtemp(); path = os.path.join(folder, "notes.txt")
    >>> write_atomically(path, b"hello"); open(path, "rb").read(), os.listdir(folder)
    (b'hello', ['notes.txt'])
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time

try:
    import fcntl
except ImportError:  # Windows: no flock; an open file cannot be deleted there
    fcntl = None  # type: ignore[assignment]

STALE_SECONDS = 60.0
NEW_FILE_MODE = 0o644  # an ordinary file (mkstemp's 0600 would hide it from other users)
_MAX_STEM_BYTES = 200  # the temporary name adds 22 bytes; file names stop at 255


def temp_stem(name: str) -> str:
    """The part of ``name`` a temporary file's name repeats (cut so that the whole name fits in 255 bytes).

    >>> temp_stem("model.json"), len(temp_stem("x" * 300))
    ('model.json', 200)
    """
    while len(os.fsencode(name)) > _MAX_STEM_BYTES:
        name = name[:-1]
    return name


def temp_pattern(name: str) -> re.Pattern[str]:
    """The names of the temporary files of target ``name``: ours (16 hex digits) and those of ``tempfile.mkstemp``
    (8 characters), which earlier versions used.

    >>> bool(temp_pattern("m.json").fullmatch(".m.json.0123456789abcdef.tmp")), bool(temp_pattern("m").fullmatch(
    ...     ".m.json.0123456789abcdef.tmp"))
    (True, False)
    """
    return re.compile(re.escape(f".{temp_stem(name)}.") + r"(?:[0-9a-f]{16}|[a-z0-9_]{8})\.tmp")


def resolve_target(path: str | os.PathLike, who: str = "save") -> str:
    """The file that writing to ``path`` must replace: symbolic links followed to their final target (which need
    not exist yet). Refuses a folder, a device or pipe, and a link loop, naming ``path``.

    >>> import tempfile; resolve_target(tempfile.gettempdir())
    Traceback (most recent call last):
    ...
    IsADirectoryError: save: ... is a folder; give a file name such as ...
    """
    path = os.fsdecode(os.fspath(path))
    if not path:
        raise ValueError(f"{who}: the path is empty; give a file name such as 'model.json'")
    example = os.path.join(path, "model.json")
    if path.endswith(("/", os.sep)):
        raise IsADirectoryError(f"{who}: {path} ends with {path[-1]!r}, so it names a folder; give a file name such "
                                f"as {example}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{who}: {path} is a folder; give a file name such as {example}")
    target = os.path.realpath(path)
    if os.path.islink(target):
        raise OSError(errno.ELOOP, f"{who}: {path} is a symbolic link that never reaches a file (a loop)")
    try:
        mode = os.stat(target).st_mode
    except OSError:  # no such file yet, or no such folder: writing will say which
        return target
    if not stat.S_ISREG(mode):
        raise ValueError(f"{who}: {path} is not a regular file (a device, pipe or socket); give a file name")
    return target


def write_atomically(path: str | os.PathLike, data: bytes, who: str = "save") -> None:
    """Replace the file at ``path`` (through symbolic links) with ``data``, atomically; see the module docstring.

    Keeps the mode of the file it replaces (a new file gets 0644). Errors name the path and what is wrong with
    it (no such folder, no permission, read-only); on any error the old file is untouched and no temporary
    file is left.

    >>> import os, tempfile; path = os.path.join(tempfile.mkdtemp(), "a.json"); write_atomically(path, b"{}")
    """
    target = resolve_target(path, who)
    folder, name = os.path.split(target)
    remove_stale_temps(folder, name)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    except OSError as error:
        raise _where(error, who, path, folder, creating=True) from None
    tmp = os.path.join(folder, f".{temp_stem(name)}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o600)
    except OSError as error:
        raise _where(error, who, path, folder, creating=True) from None
    try:
        with os.fdopen(fd, "wb") as f:
            _lock(f.fileno())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            os.chmod(tmp, mode)
            if fcntl is not None:
                os.replace(tmp, target)  # while we hold the lock, so no cleaner can take the file for stale
        if fcntl is None:
            os.replace(tmp, target)  # Windows renames only a closed file
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError) and error.errno is not None:
            raise _where(error, who, path, folder) from error
        raise
    _sync_folder(folder)


def remove_stale_temps(folder: str, name: str, now: float | None = None) -> list[str]:
    """Delete the temporary files that killed writes to ``folder/name`` left behind; return their names.

    Only files named by ``temp_pattern(name)``, regular, ours, unchanged for ``STALE_SECONDS`` and not locked
    by a live writer. Never raises: a file it cannot check is left alone.

    >>> import tempfile; remove_stale_temps(tempfile.mkdtemp(), "model.json")
    []
    """
    now = time.time() if now is None else now
    pattern = temp_pattern(name)
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            mine = not hasattr(os, "geteuid") or info.st_uid == os.geteuid()
            if stat.S_ISREG(info.st_mode) and mine and now - info.st_mtime >= STALE_SECONDS and _unlink_unlocked(entry):
                removed.append(entry.name)
        except OSError:
            continue
    return removed


def _unlink_unlocked(entry: os.DirEntry) -> bool:
    if fcntl is None:
        os.unlink(entry.path)  # fails while another process has the file open
        return True
    fd = os.open(entry.path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a live save is writing it
        opened, named = os.fstat(fd), os.stat(entry.path, follow_symlinks=False)
        if (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino):
            return False  # the name points to another file now
        os.unlink(entry.path)
        return True
    finally:
        os.close(fd)


def _lock(fd: int) -> None:
    if fcntl is not None:
        with contextlib.suppress(OSError):  # a file system without locks: the age test still protects the file
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX; Windows cannot open a folder)."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_PLACE = {  # errors of creating a file in a folder that is not there
    errno.ENOENT: "the folder {folder} does not exist",
    errno.ENOTDIR: "a part of {folder} is not a folder",
}
_REASONS = {
    errno.EACCES: "no permission to write in {folder}",
    errno.EPERM: "no permission to write in {folder}",
    errno.EROFS: "{folder} is on a read-only file system",
    errno.ENOSPC: "no space left on the device of {folder}",
    errno.ENAMETOOLONG: "the file name is too long",
}


def _where(error: OSError, who: str, path: str | os.PathLike, folder: str, creating: bool = False) -> OSError:
    reasons = {**_REASONS, **_PLACE} if creating and not os.path.isdir(folder) else _REASONS
    template = reasons.get(error.errno) if error.errno is not None else None
    reason = template.format(folder=folder) if template else f"{error.strerror or error} (in {folder})"
    return type(error)(error.errno, f"{who}: cannot write {os.fsdecode(os.fspath(path))}: {reason}")
