"""The op table's math namespace over Values, for ``grad(create_graph=True)``.

Running an op's local derivatives with this namespace records them as a graph, so the
gradients it gives can be differentiated again (second, third ... derivatives).

    >>> from autograd_lite import Value
    >>> u = Value(0.5); d = value_math.sigmoid(u) * (1 - value_math.sigmoid(u)); d.op
    'mul'
"""

from __future__ import annotations

from types import SimpleNamespace

from . import scalar_math
from .engine import Value, logsumexp

# step and sign are piecewise constant: their derivative is 0, so plain floats are exact.
value_math = SimpleNamespace(
    exp=Value.exp, log=Value.log, sqrt=Value.sqrt, sin=Value.sin, cos=Value.cos,
    tanh=Value.tanh, sigmoid=Value.sigmoid, softplus=Value.softplus, relu=Value.relu, abs=abs,
    leaky_relu=lambda u, slope: u.leaky_relu(slope),
    elu=lambda u, alpha: u.elu(alpha),
    logsumexp=lambda *xs: logsumexp(xs),
    pow=lambda a, p: a ** p,
    div=lambda a, b: a / b,
    xlogy=lambda x, y: 0.0 if x.data == 0.0 else x * y.log(),
    step=lambda v: scalar_math.step(v.data),
    sign=lambda v: scalar_math.sign(v.data),
)
