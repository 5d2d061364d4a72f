"""The installed ``autograd-lite`` program as a shell runs it: Ctrl-C (SIGINT) during training, standard
output on a full disk or a closed pipe. One line on stderr each time, never a traceback or Python's
'Exception ignored' at exit."""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import time

import pytest

PROGRAM = shutil.which("autograd-lite", path=sysconfig.get_path("scripts")) or ""
pytestmark = [pytest.mark.skipif(not PROGRAM, reason="the autograd-lite program is not installed next to this Python"),
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and devices")]


def default_sigint() -> None:
    """A shell's job gets SIGINT's default action; a test runner started in the background may ignore it,
    and a Python that starts with SIGINT ignored never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


UNDER_WAY = re.compile(rb"\| *[1-9][0-9]*/100000 ")  # the progress bar has counted an epoch


def test_ctrl_c_during_training_is_one_line_and_exit_130():
    process = subprocess.Popen([PROGRAM, "train", "spirals", "--epochs", "100000"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=default_sigint)
    try:
        seen = b""
        deadline = time.monotonic() + 120
        while not UNDER_WAY.search(seen) and time.monotonic() < deadline:
            if select.select([process.stderr], [], [], 1.0)[0]:
                chunk = os.read(process.stderr.fileno(), 65536)
                if not chunk:
                    break
                seen += chunk
        assert UNDER_WAY.search(seen), seen[-500:].decode(errors="replace")
        process.send_signal(signal.SIGINT)
        out, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    err = (seen + rest).decode()
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and out == b""
    lines = [line for line in err.split("\n") if line]  # the bar redraws itself with \r on one line
    assert lines[-1] == "autograd-lite train: interrupted" and err.count("interrupted") == 1
    assert lines[0].startswith("training MLP(2, [16, 16, 3]) on spirals")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("argv", [["explain", "x*y", "x=2", "y=3"], ["--help"], ["--version"]])
def test_standard_output_on_a_full_disk(argv):
    with open("/dev/full", "w") as full:
        result = subprocess.run([PROGRAM, *argv], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.endswith("error: cannot write to standard output: No space left on device\n")
    assert result.stderr.count("\n") == 1 and "Exception ignored" not in result.stderr


def test_standard_output_into_a_closed_pipe():
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first write fails with EPIPE (Python ignores SIGPIPE)
    try:
        result = subprocess.run([PROGRAM, "explain", "tanh(w*x)", "x=1", "w=2", "--format", "html"], stdout=write,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write)
    assert result.returncode == 1
    assert result.stderr == "autograd-lite explain: error: cannot write to standard output: Broken pipe\n"
