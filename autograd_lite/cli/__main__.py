"""``python -m autograd_lite.cli``: the same as the ``autograd-lite`` command."""

import sys

from .commands import main

sys.exit(main())
