"""The ``autograd-lite`` command line: ``explain`` and ``draw`` a formula, and commands that other
packages add (``nn`` adds ``train``) through the ``autograd_lite.commands`` entry point.

- ``commands``: the parser, the built-in commands and the exit codes
- ``expr``: the formula parser (Python's ``ast`` against a whitelist, never ``eval``)
"""

from .commands import EPILOG, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, main, positive_int

__all__ = ["EPILOG", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError", "main", "positive_int"]
