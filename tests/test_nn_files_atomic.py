"""Issue 9, item 10: saving is atomic, cleans up after a killed save, and writes through symbolic links.

A save killed at any moment leaves the old file (or none) and at most its temporary file; the next save to the
same target removes the temporary files of dead saves to that target, and nothing else: not another target's,
not a live save's, not a file that merely looks alike."""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest

import nn
from nn import atomic_file
from nn.atomic_file import STALE_SECONDS, remove_stale_temps, temp_pattern, write_atomically

fcntl = pytest.importorskip("fcntl", reason="POSIX: flock, fifos, signals")

OLD = time.time() - 10 * STALE_SECONDS


@pytest.fixture
def model():
    return nn.MLP(3, [4, 2], activation="tanh", seed=5)


def _aged(path, when=OLD):
    path.write_text("half a model")
    os.utime(path, (when, when))
    return path


def _temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- leftovers of killed saves -----------------------------------------------------------------------------------------
def test_the_next_save_removes_stale_temporary_files_of_that_target_and_nothing_else(tmp_path, model):
    target = tmp_path / "model.json"
    stale = [_aged(tmp_path / ".model.json.0123456789abcdef.tmp"),  # ours
             _aged(tmp_path / ".model.json.k2_x9q0a.tmp")]  # tempfile.mkstemp's, from versions before this one
    keep = [_aged(tmp_path / name) for name in [
        ".other.json.0123456789abcdef.tmp",  # another target's
        ".model.jsonx.0123456789abcdef.tmp", ".model.json.0123456789abcdef.tmp.bak", ".model.json.0123456789ABCDEF.tmp",
        ".model.json.0123456789abcde.tmp", "model.json.0123456789abcdef.tmp", ".model.json.1.tmp", "notes.txt",
        ".model.json.abcdefgh.0123456789abcdef.tmp"]]  # the temporary file of a target named "model.json.abcdefgh"
    keep.append(_aged(tmp_path / ".model.json.fedcba9876543210.tmp", when=time.time()))  # too young to tell
    (tmp_path / ".model.json.aaaaaaaaaaaaaaaa.tmp").mkdir()  # a folder is never ours
    os.symlink(keep[-1], tmp_path / ".model.json.bbbbbbbbbbbbbbbb.tmp")  # nor is a link (nor what it points to)
    model.save(target)
    assert nn.load(target).state_dict() == model.state_dict()
    assert not any(p.exists() for p in stale)
    assert all(p.read_text() == "half a model" for p in keep)
    assert (tmp_path / ".model.json.aaaaaaaaaaaaaaaa.tmp").is_dir()
    assert (tmp_path / ".model.json.bbbbbbbbbbbbbbbb.tmp").is_symlink()


def test_a_temporary_file_a_live_save_holds_is_left_alone_however_old(tmp_path, model):
    busy = _aged(tmp_path / ".model.json.0123456789abcdef.tmp")
    with open(busy, "r+b") as f:  # what a save in progress does: an exclusive flock on its temporary file
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        model.save(tmp_path / "model.json")
        assert busy.exists()
    model.save(tmp_path / "model.json")  # the writer is gone: its file is a leftover now
    assert not busy.exists()


def test_another_users_leftover_is_left_alone(tmp_path, monkeypatch):
    leftover = _aged(tmp_path / ".m.json.0123456789abcdef.tmp")
    monkeypatch.setattr(os, "geteuid", lambda: leftover.stat().st_uid + 1)
    assert remove_stale_temps(str(tmp_path), "m.json") == []
    assert leftover.exists()


def test_cleanup_problems_never_fail_a_save(tmp_path, model, monkeypatch):
    _aged(tmp_path / ".m.json.0123456789abcdef.tmp")
    monkeypatch.setattr(os, "unlink", lambda path: (_ for _ in ()).throw(PermissionError(errno.EACCES, "no")))
    model.save(tmp_path / "m.json")
    assert nn.load(tmp_path / "m.json").state_dict() == model.state_dict()


CHILD = """
import os, sys, time, nn
def stuck(fd):                       # the save has written its temporary file and is about to rename it
    print("writing", flush=True)
    time.sleep(600)
os.fsync = stuck
nn.MLP(3, [4, 2], seed=int(sys.argv[2])).save(sys.argv[1])
"""


def _kill_mid_save(target, seed, *, kill=True):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(target), str(seed)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "writing\n"
    if kill:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    return child


def test_a_save_really_killed_mid_write_is_cleaned_up_by_the_next_save(tmp_path, model):
    target = tmp_path / "model.json"
    model.save(target)
    before = target.read_bytes()
    for seed in range(3):
        _kill_mid_save(target, seed)
    assert target.read_bytes() == before  # the old file survived every kill
    leftovers = _temps(tmp_path)
    assert len(leftovers) == 3 and all(temp_pattern("model.json").fullmatch(name) for name in leftovers)
    model.save(target)
    assert len(_temps(tmp_path)) == 3  # young: a slow save could still own them, and no lock says otherwise
    for name in leftovers:
        os.utime(tmp_path / name, (OLD, OLD))
    model.save(target)
    assert _temps(tmp_path) == [] and nn.load(target).state_dict() == model.state_dict()


def test_a_live_save_in_another_process_keeps_its_temporary_file(tmp_path, model):
    target = tmp_path / "model.json"
    child = _kill_mid_save(target, 7, kill=False)  # alive, stuck before its rename, holding its lock
    try:
        (busy,) = _temps(tmp_path)
        os.utime(tmp_path / busy, (OLD, OLD))  # old as it may be, it is in use
        model.save(target)
        assert _temps(tmp_path) == [busy]
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()
    model.save(target)
    assert _temps(tmp_path) == []


def test_saves_from_many_threads_never_show_a_partial_file(tmp_path):
    target = tmp_path / "model.json"
    models = [nn.MLP(2, [8, 1], seed=s) for s in range(4)]
    models[0].save(target)
    states = [m.state_dict() for m in models]
    seen, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            seen.append(nn.load(target).state_dict())

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=lambda m=m: [m.save(target) for _ in range(10)]) for m in models]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    reader.join()
    assert seen and all(state in states for state in seen)
    assert os.listdir(tmp_path) == ["model.json"]


# --- interrupted and failing writes leave the old file and no temporary file ---------------------------------------------
@pytest.mark.parametrize("failure, message", [
    (OSError(errno.ENOSPC, "No space left on device"), "cannot write .*m.json: no space left on the device of"),
    (OSError(errno.EIO, "Input/output error"), r"cannot write .*m.json: Input/output error \(in "),
    (KeyboardInterrupt(), None),
])
def test_a_failing_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path, model, monkeypatch, failure, message):
    target = tmp_path / "m.json"
    model.save(target)
    before = target.read_bytes()
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(failure))
    model.layers[0].neurons[0].b.data = 42.0
    with pytest.raises(type(failure), match=message):
        model.save(target)
    assert target.read_bytes() == before and os.listdir(tmp_path) == ["m.json"]


# --- symbolic links: written through, the link stays ------------------------------------------------------------------
def test_saving_onto_a_symbolic_link_writes_its_target_and_keeps_the_link(tmp_path, model):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "v1.json"
    nn.MLP(3, [4, 2], seed=0).save(real)
    real.chmod(0o600)
    link = tmp_path / "current.json"
    link.symlink_to(os.path.join("runs", "v1.json"))  # relative, as ln -s makes them
    chain = tmp_path / "latest.json"
    chain.symlink_to("current.json")  # a link to a link
    model.save(chain)
    assert chain.is_symlink() and os.readlink(chain) == "current.json"
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", "v1.json")
    assert nn.load(real).state_dict() == model.state_dict() and nn.load(chain).state_dict() == model.state_dict()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600  # the target keeps its mode
    assert sorted(os.listdir(tmp_path)) == ["current.json", "latest.json", "runs"]
    assert os.listdir(tmp_path / "runs") == ["v1.json"]  # the temporary file was made beside the target


def test_a_dangling_link_gets_its_target_created(tmp_path, model):
    link = tmp_path / "m.json"
    link.symlink_to("made-later.json")
    model.save(link)
    assert link.is_symlink() and nn.load(tmp_path / "made-later.json").state_dict() == model.state_dict()


def test_stale_temporary_files_are_found_beside_the_links_target(tmp_path, model):
    (tmp_path / "runs").mkdir()
    stale = _aged(tmp_path / "runs" / ".v1.json.0123456789abcdef.tmp")
    (tmp_path / "m.json").symlink_to(os.path.join("runs", "v1.json"))
    model.save(tmp_path / "m.json")
    assert not stale.exists()


@pytest.mark.parametrize("make, error, message", [
    (lambda p: (os.symlink("b", p / "a"), os.symlink("a", p / "b")), OSError, "symbolic link that never reaches a file"),
    (lambda p: (os.mkdir(p / "d"), os.symlink("d", p / "a")), IsADirectoryError, "is a folder"),
    (lambda p: (os.mkfifo(p / "f"), os.symlink("f", p / "a")), ValueError, "is not a regular file"),
])
def test_links_that_cannot_be_written_through_are_refused(tmp_path, model, make, error, message):
    make(tmp_path)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(error, match=message):
        model.save(tmp_path / "a")
    assert sorted(os.listdir(tmp_path)) == before and (tmp_path / "a").is_symlink()


# --- places that cannot be written --------------------------------------------------------------------------------------
def test_saving_onto_a_folder_or_a_folder_path_is_refused(tmp_path, model):
    with pytest.raises(IsADirectoryError, match="is a folder; give a file name such as"):
        model.save(tmp_path)
    with pytest.raises(IsADirectoryError, match="ends with '/', so it names a folder"):
        model.save(f"{tmp_path / 'new'}{os.sep}")
    with pytest.raises(ValueError, match="the path is empty"):
        model.save("")
    assert list(tmp_path.iterdir()) == []


def test_saving_into_a_missing_folder_or_through_a_file_names_the_folder(tmp_path, model):
    with pytest.raises(FileNotFoundError, match=f"cannot write .*: the folder {re.escape(str(tmp_path / 'no'))} does"):
        model.save(tmp_path / "no" / "m.json")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        model.save(tmp_path / "file" / "m.json")


def test_saving_onto_a_pipe_or_device_is_refused_and_leaves_it(tmp_path, model):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ValueError, match="is not a regular file"):
        model.save(tmp_path / "pipe")
    assert stat.S_ISFIFO((tmp_path / "pipe").stat().st_mode)


def test_saving_where_writing_is_not_allowed_says_so(tmp_path, model):
    if os.path.isdir("/sys/kernel"):  # refused even to root
        with pytest.raises(PermissionError, match="save: cannot write /sys/kernel/m.json: no permission to write in"):
            model.save("/sys/kernel/m.json")
    if os.geteuid() != 0:  # root may write anywhere else
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(PermissionError, match=f"no permission to write in {re.escape(str(locked))}"):
            model.save(locked / "m.json")


@pytest.mark.parametrize("code, message", [(errno.EROFS, "is on a read-only file system"),
                                           (errno.EACCES, "no permission to write in")])
def test_errors_creating_the_temporary_file_name_the_place_not_the_temporary_file(tmp_path, model, monkeypatch,
                                                                                 code, message):
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: (_ for _ in ()).throw(OSError(code, os.strerror(code), p))
                        if str(p).endswith(".tmp") else real_open(p, *a, **k))
    with pytest.raises(OSError, match=message) as info:
        model.save(tmp_path / "m.json")
    assert info.value.errno == code and ".tmp" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_long_file_name_still_gets_a_temporary_file_that_fits(tmp_path, model):
    name = "m" * 250 + ".json"  # 255 bytes: a temporary name of name + 22 bytes would not fit
    stale = _aged(tmp_path / f".{atomic_file.temp_stem(name)}.0123456789abcdef.tmp")
    model.save(tmp_path / name)
    assert nn.load(tmp_path / name).state_dict() == model.state_dict() and not stale.exists()


def test_write_atomically_replaces_bytes_and_keeps_nothing_else(tmp_path):
    path = tmp_path / "a.bin"
    write_atomically(path, b"\x00\x01")
    write_atomically(path, b"two")
    assert path.read_bytes() == b"two" and os.listdir(tmp_path) == ["a.bin"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
