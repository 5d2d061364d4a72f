"""The ``autograd-lite`` command line: ``explain`` and ``draw`` a formula, and commands that other
packages add (``nn`` adds ``train``) through the ``autograd_lite.commands`` entry point.

- ``commands``: the parser, the built-in commands and the exit codes
- ``args``: argument types with bounds, output paths, one-line messages (shared with plugins)
- ``expr``: the formula parser (Python's ``ast`` against a whitelist, never ``eval``)
- ``practice``: ``check`` and ``quiz`` (commands, and ``autograd_lite.check`` / ``autograd_lite.quiz``)
- ``parse_number``: an answer as a student types it (0.5, -1/2, 1e-3); ``check``, the quiz page and ``nn``'s
  ``grade`` read answers by its rules (``NUMBER_HELP`` says them)
"""

from ..teaching.check import NUMBER_HELP, parse_number
from .args import (
    PATH_ECHO,
    check_output,
    check_suffix,
    name_some,
    number_between,
    output_path,
    positive_int,
    say,
    shorten,
    stream_open,
    whole_number,
    write_output,
)
from .commands import EPILOG, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError, main

__all__ = ["EPILOG", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "NUMBER_HELP", "PATH_ECHO",
           "UsageError", "check_output", "check_suffix", "main", "name_some", "number_between",
           "output_path", "parse_number", "positive_int", "say", "shorten", "stream_open", "whole_number",
           "write_output"]
