"""The compiled tape: a function of Values traced once, then replayed over whole numpy batches.

Built on ``autograd_lite.core`` only (the op table's formulas, run by ``array_math``).

- ``array_math``: the math namespace for numpy arrays
- ``tracing``: calling the function on Values, refusing graphs that depend on the values
- ``program``: the traced graph laid out as groups of nodes, one numpy call each
- ``replay``: running those groups forward and backward over a batch
- ``lowering``: finding a layer's neurons (``dot`` of weight leaves over shared inputs) to run as one ``W @ A``
- ``layer_replay``: running a lowered plan (layers as matrix products, the rest by ``replay``) in reused buffers
- ``held``: the tape's own parameter vector (``tape.hold_parameters()``), updated in place, synced when asked
- ``arguments``: checking what ``compile`` is given
- ``tape``: ``Tape`` and ``compile``
"""
