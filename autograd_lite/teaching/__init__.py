"""Pictures and explanations: graph diagrams and the chain rule, step by step.

Built on ``autograd_lite.core`` only.

- ``formatting``: node names and numbers as people read them
- ``labels``: a user's text (labels, parameter names, titles) made safe for DOT, HTML, Markdown and LaTeX
- ``explain``: ``explain(root)``, the backward pass one edge at a time; ``explain_text`` renders it
- ``draw``: ``draw`` and ``render`` (Graphviz); ``clusters`` finds a model's neurons and layers in a
  graph; ``collapsed`` draws one box per layer
- ``walkthrough``: the self-contained HTML page, one frame per step (``walkthrough.html``)
- ``check``: a student's gradients against explain's, with the steps on each wrong variable's paths
- ``quiz``: ``Quiz`` / ``Question`` / ``Blank``, a page of boxes checked on the spot (``quiz.html``)
"""
