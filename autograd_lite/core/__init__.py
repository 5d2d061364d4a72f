"""The engine core: the op table, its float kernels, ``Value``, traversal and reverse mode.

It imports nothing from the rest of ``autograd_lite``: the compiled tape, the pictures and
explanations, and the command line are built on top of it (see ARCHITECTURE.md).

- ``ops``: the op table, the one list of operations and their derivative rules
- ``scalar_math``: the math namespace for Python floats
- ``grad_mode``: ``no_grad`` / ``enable_grad``, per thread
- ``engine``: ``Value``, the node every op makes
- ``nary``: ``sum``, ``dot``, ``logsumexp``, one node for many operands
- ``errors``: the wording of every failed op
- ``graph``: ``topological_order``
- ``backprop``: ``backward`` and ``grad`` (higher order with ``create_graph=True``)
"""
