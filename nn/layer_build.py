"""The walkthrough's steps, from one run of the engine and the closed form (``explain_layers``' second half).

Each step is an equation of the notes with the engine's numbers and, per entry, the scalar nodes of
the first example's graph it comes from. W^[l] is n_l x n_{l-1} (notes 003/004); where a formula is
note 001's, its W^[l] is the transpose of ours, so its W delta is our W^T delta.

    >>> print(LOSS_TEXT["half_squared_error"].delta)
    delta^[L] = (a^[L] - t) o g'(z^[L])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from autograd_lite import OPS

from .activations import ACTIVATION_PARAMS
from .layer_steps import Label, Step, Term, plain, scalar, symbol


class LossText(NamedTuple):
    """A loss's conventions: what L is, and the output delta it gives."""

    text: str  # the convention, said in words
    formula: Label  # L of one example
    delta: str  # delta^[L] as plain text
    delta_label: Label
    cite: str


def _loss_texts() -> dict[str, LossText]:
    yt = plain("||a^[L] - t||^2", r"\lVert a^{[L]} - t \rVert^2", "‖a<sup>[L]</sup> − t‖²")
    return {
        "mse": LossText(
            "nn.mse_loss (PyTorch): L = 1/n_L sum_k (y_k - t_k)^2, the mean over the n_L outputs, no 1/2; so "
            "delta^[L] = 2/n_L (y - t) o g'(z^[L]), twice the notes' half squared error's (for n_L = 1)",
            plain("1/n_L ", r"\frac{1}{n_L}", "1/n<sub>L</sub> ") + yt,
            "delta^[L] = 2/n_L (a^[L] - t) o g'(z^[L])",
            plain("2/n_L (a^[L] - t) o g'(z^[L])", r"\frac{2}{n_L}(a^{[L]} - t) \circ g'(z^{[L]})",
                  "2/n<sub>L</sub> (a<sup>[L]</sup> − t) ∘ g′(z<sup>[L]</sup>)"),
            "dL/da^[L] = 2/n_L (a - t) by the power rule, times g'(z^[L]) (note 004: delta^L = grad_a C o g'(z^L))"),
        "half_squared_error": LossText(
            "the notes' half squared error: L = 1/2 sum_k (t_k - y_k)^2 (note 002); delta^[L] = (y - t) o g'(z^[L]), "
            "y - t for a linear output (nn.mse_loss is 2/n_L times this)",
            plain("1/2 ", r"\frac{1}{2}", "½ ") + yt,
            "delta^[L] = (a^[L] - t) o g'(z^[L])",
            plain("(a^[L] - t) o g'(z^[L])", r"(a^{[L]} - t) \circ g'(z^{[L]})",
                  "(a<sup>[L]</sup> − t) ∘ g′(z<sup>[L]</sup>)"),
            "note 004: delta^L = grad_a C o g'(z^L), and grad_a 1/2 ||a - t||^2 = a - t (note 002)"),
        "bce": LossText(
            "log loss on the sigmoid output: L = -sum_k [t_k log y_k + (1 - t_k) log(1 - y_k)] (note 000; "
            "nn.binary_cross_entropy is this / n_L); delta^[L] = y - t: sigma' cancels",
            plain("-sum_k [t log a^[L] + (1 - t) log(1 - a^[L])]",
                  r"-\sum_k \left[t_k \log a_k^{[L]} + (1 - t_k)\log(1 - a_k^{[L]})\right]",
                  "−Σ<sub>k</sub> [t log a<sup>[L]</sup> + (1 − t) log(1 − a<sup>[L]</sup>)]"),
            "delta^[L] = a^[L] - t",
            plain("a^[L] - t = sigma(z^[L]) - t", r"a^{[L]} - t = \sigma(z^{[L]}) - t",
                  "a<sup>[L]</sup> − t = σ(z<sup>[L]</sup>) − t"),
            "notes 000/003: delta_out = sigma(a_out) - t (their a is our z: note 000 swaps the names a and z)"),
        "bce_with_logits": LossText(
            "log loss on logits: the output layer is linear (y = z) and the sigmoid belongs to the loss, "
            "L = sum_k [softplus(z_k) - t_k z_k] = -sum_k [t log sigma(z) + (1 - t) log(1 - sigma(z))] "
            "(nn.binary_cross_entropy_with_logits is this / n_L); delta^[L] = sigma(z^[L]) - t",
            plain("sum_k [softplus(z^[L]) - t z^[L]]",
                  r"\sum_k \left[\operatorname{softplus}(z_k^{[L]}) - t_k z_k^{[L]}\right]",
                  "Σ<sub>k</sub> [softplus(z<sup>[L]</sup>) − t z<sup>[L]</sup>]"),
            "delta^[L] = sigma(z^[L]) - t",
            plain("sigma(z^[L]) - t", r"\sigma(z^{[L]}) - t", "σ(z<sup>[L]</sup>) − t"),
            "notes 000/003: delta_out = sigma(a_out) - t, the sigmoid applied inside the loss"),
        "cross_entropy": LossText(
            "cross-entropy on the softmax output: L = -sum_k y~_k log y^_k (note 001 eq. 9); "
            "delta^[L] = y^ - y~ (eq. 21d / 22d)",
            plain("-sum_k y~_k log y^_k", r"-\sum_k \tilde{y}_k \log \hat{y}_k",
                  "−Σ<sub>k</sub> ỹ<sub>k</sub> log ŷ<sub>k</sub>"),
            "delta^[L] = y^ - y~",
            plain("y^ - y~", r"\hat{y} - \tilde{y}", "ŷ − ỹ"),
            "note 001 eq. 21d / 22d (softmax with cross-entropy; 23d for a batch)"),
    }


LOSS_TEXT: dict[str, LossText] = _loss_texts()
HADAMARD = plain(" o ", r" \circ ", " ∘ ")
TRANSPOSE_NOTE = "note 001's W is the transpose of ours (n_{l-1} x n_l)"


@dataclass
class Run:
    """Everything one ``explain_layers`` call computed: the engine's arrays (n_l x m), the graphs, the reference."""

    model: Any
    loss: str
    T: np.ndarray  # (n_L, m)
    roots: list = field(default_factory=list)
    trace: Any = None
    cost: Any = None
    reference: Any = None
    columns: dict = field(default_factory=dict)
    delta: list = field(default_factory=list)
    back: list = field(default_factory=list)
    g_prime: list = field(default_factory=list)
    z: list = field(default_factory=list)
    a: list = field(default_factory=list)
    dW: list = field(default_factory=list)
    db: list = field(default_factory=list)
    single: bool = False

    def add_column(self, name: str, per_layer: list) -> None:
        """One example's vectors (a list per layer, None where there is none)."""
        self.columns.setdefault(name, []).append(per_layer)

    def finish(self) -> None:
        """Stack the examples' columns into n_l x m matrices."""
        for name, examples in self.columns.items():
            layers = zip(*examples)
            setattr(self, name, [None if cols[0] is None else np.array(cols, dtype=float).T for cols in layers])

    def squeeze(self) -> None:
        """One example: matrices n_l x 1 become vectors (n_l,)."""
        self.single = True
        self.T = self.T[:, 0]
        for name in ("delta", "back", "g_prime", "z", "a"):
            setattr(self, name, [None if v is None else v[:, 0] for v in getattr(self, name)])


class _Builder:
    def __init__(self, run: Run) -> None:
        self.run, self.ref = run, run.reference
        self.batch = not run.single
        self.m = 1 if run.single else run.T.shape[1]
        self.L = len(run.model.layers)

    # --- terms -------------------------------------------------------------------------------------
    def column(self, label: Label, engine: np.ndarray, reference: np.ndarray, base: str, layer: int | None,
               nodes: list | None) -> Term:
        """A vector (one example) or an n x m matrix (a batch) whose first column comes from ``nodes``."""
        n = len(engine)
        if nodes is not None:
            nodes = [v if isinstance(v, tuple) else (v,) for v in nodes]
        if not self.batch:
            names = [scalar(base, (k + 1,), layer) for k in range(n)]
            return Term(label, engine, reference, nodes, names)
        name_grid = [[scalar(base, (k + 1,), layer, i + 1) for i in range(self.m)] for k in range(n)]
        node_grid = None if nodes is None else [[v] + [()] * (self.m - 1) for v in nodes]
        return Term(label, engine, reference, node_grid, name_grid)

    def weights(self, ell: int, transpose: bool = False) -> Term:
        layer = self.run.model.layers[ell - 1]
        W = np.array([[w.data for w in n.w] for n in layer.neurons])
        nodes = [[(w,) for w in n.w] for n in layer.neurons]
        # entry (k, j) of W^[l] is the weight from node j of layer l-1 to node k of layer l: note 001's w_jk^[l]
        names = [[scalar("w", (j + 1, k + 1), ell) for j in range(W.shape[1])] for k in range(len(W))]
        ref = self.ref_layers[ell - 1][0]
        if transpose:
            nodes, names = [list(r) for r in zip(*nodes)], [list(r) for r in zip(*names)]
            return Term(symbol("W", ell, transpose=True), W.T, ref.T, nodes, names)
        return Term(symbol("W", ell), W, ref, nodes, names)

    def bias(self, ell: int) -> Term:
        neurons = self.run.model.layers[ell - 1].neurons
        b = np.array([n.b.data for n in neurons])
        return Term(symbol("b", ell), b, self.ref_layers[ell - 1][1], [(n.b,) for n in neurons],
                    [scalar("b", (k + 1,), ell) for k in range(len(b))])

    def z(self, ell: int) -> Term:
        return self.column(symbol("z", ell, batch=self.batch), self.run.z[ell - 1], self.ref.z[ell - 1], "z", ell,
                           self.run.trace.z[ell - 1])

    def a(self, ell: int) -> Term:
        nodes = self.run.trace.a[ell]
        label = symbol("a", ell, batch=self.batch)
        if ell == 0:
            label = label + (plain(" = X", " = X", " = X") if self.batch else plain(" = x"))
        return self.column(label, self.run.a[ell], self.ref.a[ell], "x" if ell == 0 else "a", None if ell == 0 else ell,
                           nodes if all(hasattr(v, "data") for v in nodes) else None)

    def a_transposed(self, ell: int) -> Term:
        term = self.a(ell)
        engine, reference = np.atleast_2d(term.engine.T), np.atleast_2d(term.reference.T)
        if not self.batch:
            engine, reference = term.engine[None, :], term.reference[None, :]
        grid = lambda rows: [list(r) for r in zip(*rows)] if self.batch else [list(rows)]
        return Term(symbol("a", ell, batch=self.batch, transpose=True), engine, reference,
                    None if term.nodes is None else grid(term.nodes), grid(term.names))

    def delta(self, ell: int) -> Term:
        label = symbol("delta", ell)
        if self.batch:
            label = Label(f"J^[{ell}]", rf"\mathcal{{J}}_{{z^{{[{ell}]}}}}(\mathcal{{C}})",
                          f"J<sub>z<sup>[{ell}]</sup></sub>(C)")
        return self.column(label, self.run.delta[ell - 1], self.ref.delta[ell - 1], "delta", ell,
                           self.run.trace.z[ell - 1])

    # --- steps ---------------------------------------------------------------------------------------
    def steps(self) -> list[Step]:
        self.ref_layers = self.run.model.to_numpy()
        out: list[Step] = []
        for ell in range(1, self.L + 1):
            out += self.forward(ell)
        out.append(self.loss_step())
        out += self.output_delta()
        out += self.gradients(self.L)
        for ell in range(self.L - 1, 0, -1):
            out += self.hidden_delta(ell)
            out += self.gradients(ell)
        return out

    def forward(self, ell: int) -> list[Step]:
        z, a = self.z(ell), self.a(ell)
        formula = Label(f"W^[{ell}] a^[{ell - 1}] + b^[{ell}]", f"W^{{[{ell}]}} a^{{[{ell - 1}]}} + b^{{[{ell}]}}",
                        f"W<sup>[{ell}]</sup> a<sup>[{ell - 1}]</sup> + b<sup>[{ell}]</sup>")
        cite = ("notes 003/004: z^[l] = W^[l] a^[l-1] + b^[l] with W^[l] n_l x n_{l-1}, row k holding neuron k's "
                f"weights (note 001 writes (W^[l])^T a^[l-1] + b^[l]: {TRANSPOSE_NOTE})")
        if self.batch:
            formula = Label(f"W^[{ell}] A^[{ell - 1}] + b^[{ell}]", f"W^{{[{ell}]}} A^{{[{ell - 1}]}} + B^{{[{ell}]}}",
                            f"W<sup>[{ell}]</sup> A<sup>[{ell - 1}]</sup> + B<sup>[{ell}]</sup>")
            cite += "; one column per example, b added to each (note 001: B has m equal columns)"
        name = self.run.model.layers[ell - 1].activation
        g = _g_label(name, ell, self.batch)
        fw = Step(f"Layer {ell}, forward: the weighted sums", z, formula,
                  [self.weights(ell), self.a(ell - 1), plain(" + "), self.bias(ell)], cite, phase="forward", layer=ell)
        note = "the sigmoid of the log loss belongs to the loss, not to this layer" if (
            ell == self.L and self.run.loss == "bce_with_logits") else ""
        act = Step(f"Layer {ell}, forward: the activation g = {name}", a, g, [z], "a^[l] = g(z^[l]), elementwise "
                   "(notes 003/004)" if name != "softmax" else "a^[L] = s(z^[L]), the softmax (note 001)",
                   note, phase="forward", layer=ell)
        return [fw, act]

    def loss_step(self) -> Step:
        text = LOSS_TEXT[self.run.loss]
        cost = Term(Label("C" if self.batch else "L", r"\mathcal{C}" if self.batch else r"\mathcal{L}",
                          "C" if self.batch else "L"), np.array(self.run.cost.data), np.array(self.ref.cost),
                    tuple(self.run.roots[:1]), Label("L(1)", "L^{(1)}", "L<sup>(1)</sup>") if self.batch
                    else Label("L", r"\mathcal{L}", "L"))
        formula = text.formula
        if self.batch:
            formula = plain("1/m sum_i ", r"\frac{1}{m}\sum_i ", "1/m Σ<sub>i</sub> ") + formula
        target = self.target()
        formula = Label(*(s.replace("[L]", f"[{self.L}]") for s in (formula.text, formula.latex, formula.html)))
        call = plain("mean over the columns of L(" if self.batch else "L(", r"\mathcal{L}\left(" if not self.batch
                     else r"\operatorname{mean}_i \mathcal{L}\left(", "L(" if not self.batch else "mean<sub>i</sub> L(")
        return Step("The loss", cost, formula, [call, self.a(self.L), plain(", "), target,
                                                plain(")", r"\right)", ")")], text.text, phase="loss", layer=self.L)

    def target(self) -> Term:
        t = self.run.T
        label = plain("y~", r"\tilde{y}", "ỹ") if self.run.loss == "cross_entropy" else plain("t")
        if self.batch:
            label = plain("Y~", r"\tilde{Y}", "Ỹ") if self.run.loss == "cross_entropy" else plain("T")
        return self.column(label, t, t, "t", None, None)

    def output_delta(self) -> list[Step]:
        L, loss, text = self.L, self.run.loss, LOSS_TEXT[self.run.loss]
        delta, a, t = self.delta(L), self.a(L), self.target()
        n_out = len(self.run.z[-1])
        if loss in ("mse", "half_squared_error"):
            gp = self.g_prime(L)
            coeff = [plain(f"2/{n_out} ")] if loss == "mse" else []
            operands: list[Term | Label] = [*coeff, plain("("), a, plain(" - ", " - ", " − "), t, plain(")"),
                                            HADAMARD, gp]
        elif loss == "bce_with_logits":
            sigma = self.column(Label(f"sigma(z^[{L}])", rf"\sigma(z^{{[{L}]}})", f"σ(z<sup>[{L}]</sup>)"),
                                self.run.delta[-1] + self.run.T, _sigmoid(self.ref.z[-1]), "y", L,
                                self.run.trace.z[-1])
            operands = [sigma, plain(" - ", " - ", " − "), t]
        else:
            operands = [a, plain(" - ", " - ", " − "), t]
        formula = Label(*(s.replace("[L]", f"[{L}]") for s in (text.delta_label.text, text.delta_label.latex,
                                                              text.delta_label.html)))
        note = self.delta_note(L)
        return [Step(f"Layer {L} (output), backward: delta^[{L}] = dL/dz^[{L}]", delta, formula, operands, text.cite,
                     note, phase="backward", layer=L)]

    def delta_note(self, ell: int) -> str:
        if not self.batch:
            return f"delta^[{ell}] = dL/dz^[{ell}] of this example (the engine's gradient of z^[{ell}])."
        return (f"J^[{ell}] holds dL^(i)/dz^[{ell}] per example, one column each (note 001's J_z(C), eq. 23c-d); "
                f"the engine's dC/dz^[{ell}] is 1/m of it, C = 1/m sum_i L^(i).")

    def g_prime(self, ell: int) -> Term:
        name = self.run.model.layers[ell - 1].activation
        z = symbol("z", ell, batch=self.batch)
        label = Label(f"g'({z.text})", f"g'({z.latex})", f"g′({z.html})")
        reference = self.ref.g_prime[ell - 1]
        if reference is None:  # the output layer: g' from the op table, as the closed form uses it
            reference = _derivative(name, self.ref.z[ell - 1])
        pairs = list(zip(self.run.trace.z[ell - 1], self.run.trace.a[ell]))  # g'(z_k) is the edge z_k -> a_k
        return self.column(label, self.run.g_prime[ell - 1], reference, "g'", ell, pairs)

    def hidden_delta(self, ell: int) -> list[Step]:
        up = ell + 1
        delta_up = self.delta(up)
        wtd = symbol("W", up, transpose=True) + plain(" ") + delta_up.label
        back = self.column(wtd, self.run.back[ell - 1], self.ref.back[ell - 1], "dL/da", ell, self.run.trace.a[ell])
        grad_a = Label(f"dL/da^[{ell}]", rf"\frac{{\partial \mathcal{{L}}}}{{\partial a^{{[{ell}]}}}}",
                       f"∂L/∂a<sup>[{ell}]</sup>")
        lhs = self.column(grad_a, back.engine, back.reference, "dL/da", ell, self.run.trace.a[ell])
        n_next = len(self.run.z[ell])
        step1 = Step(f"Layer {ell}, backward: (W^[{up}])^T delta^[{up}], the gradient reaching a^[{ell}]", lhs, wtd,
                     [self.weights(up, transpose=True), delta_up],
                     f"entry k sums w_kj^[{up}] delta_j^[{up}] over the {n_next} neuron{'s' if n_next > 1 else ''} "
                     f"j of layer {up} that a_k^[{ell}] feeds, w_kj^[{up}] (from node k to node j) being entry (j, k) "
                     f"of W^[{up}] (note 001 eq. 21c's sum; {TRANSPOSE_NOTE})",
                     phase="backward", layer=ell)
        name = self.run.model.layers[ell - 1].activation
        gp = self.g_prime(ell)
        step2 = Step(f"Layer {ell}, backward: g'(z^[{ell}]) for g = {name}", gp, _g_prime_label(name, ell),
                     [self.z(ell)], "the op table's local derivative (note 001 eq. 20)", phase="backward", layer=ell)
        title = f"Layer {ell}, backward: delta^[{ell}] = dL/dz^[{ell}]"
        step3 = Step(title, self.delta(ell), wtd + HADAMARD + gp.label, [back, HADAMARD, gp],
                     f"note 001 eq. 21c / 22c{' / 23c' if self.batch else ''} ({TRANSPOSE_NOTE}); "
                     "notes 003/004: delta^l = (W^(l+1))^T delta^(l+1) o sigma'(z^l)",
                     self.delta_note(ell), phase="backward", layer=ell)
        return [step1, step2, step3]

    def gradients(self, ell: int) -> list[Step]:
        layer = self.run.model.layers[ell - 1]
        w_names = self.weights(ell).names

        def grad_label(of: str) -> Label:
            return Label(f"dC/d{of}^[{ell}]", rf"\frac{{\partial \mathcal{{C}}}}{{\partial {of}^{{[{ell}]}}}}",
                         f"∂C/∂{of}<sup>[{ell}]</sup>")

        dW = Term(grad_label("W"), self.run.dW[ell - 1], self.ref.dW[ell - 1],
                  [[(w,) for w in n.w] for n in layer.neurons], [[plain("dC/d") + n for n in row] for row in w_names])
        db = Term(grad_label("b"), self.run.db[ell - 1], self.ref.db[ell - 1], [(n.b,) for n in layer.neurons],
                  [plain("dC/d") + scalar("b", (k + 1,), ell) for k in range(len(layer.neurons))])
        delta, a_t = self.delta(ell), self.a_transposed(ell - 1)
        if not self.batch:
            w_step = Step(f"Layer {ell}: dC/dW^[{ell}]", dW, delta.label + plain(" ") + a_t.label, [delta, a_t],
                          f"notes 003/004; note 001 eq. 21a / 22a ({TRANSPOSE_NOTE}): entry (k, j) is delta_k a_j",
                          phase="backward", layer=ell)
            b_step = Step(f"Layer {ell}: dC/db^[{ell}]", db, delta.label, [delta],
                          "notes 003/004; note 001 eq. 21b / 22b", phase="backward", layer=ell)
            return [w_step, b_step]
        one_m = plain("1/m ", r"\frac{1}{m}", "1/m ")
        ones = plain(" 1(m)", r"\mathbf{1}(m)", " 1(m)")
        w_step = Step(f"Layer {ell}: dC/dW^[{ell}], the batch average", dW,
                      one_m + delta.label + plain(" ") + a_t.label, [one_m, delta, a_t],
                      f"note 001 eq. 23a transposed (its W is the transpose of ours), m = {self.m}",
                      "The diagram's w nodes show the first example's dL/dw; this is the mean over the batch.",
                      phase="backward", layer=ell)
        b_step = Step(f"Layer {ell}: dC/db^[{ell}], the batch average", db, one_m + delta.label + ones,
                      [one_m, delta, ones], "note 001 eq. 23b: the mean of delta's columns", phase="backward",
                      layer=ell)
        return [w_step, b_step]


def build_steps(run: Run) -> list[Step]:
    """Every step of the walkthrough: forward per layer, the loss, then backward from the output layer."""
    return _Builder(run).steps()


def _sigmoid(z: np.ndarray) -> np.ndarray:
    from .reference import activation
    return activation("sigmoid", z)


def _derivative(name: str, z: np.ndarray) -> np.ndarray:
    from .reference import derivative
    return derivative(name, z)


def _g_label(name: str, ell: int, batch: bool) -> Label:
    z = symbol("z", ell, batch=batch)
    if name == "linear":
        return z
    symbol_text = "s" if name == "softmax" else OPS[name].label(ACTIVATION_PARAMS.get(name))
    return Label(f"{symbol_text}({z.text})", rf"\operatorname{{{symbol_text}}}({z.latex})", f"{symbol_text}({z.html})")


def _g_prime_label(name: str, ell: int) -> Label:
    if name == "linear":
        return plain("1 (linear: g(z) = z)")
    u = f"z^[{ell}]"
    text = re.sub(r"\bu\b", u, OPS[name].partials[0])  # the op table's g'(u), written at u = z^[l]
    text = re.sub(r"\b(alpha|slope)\b", str(ACTIVATION_PARAMS.get(name, "")), text)
    return Label(text, r"\text{" + text.replace("^", r"\^{}").replace("_", r"\_") + "}", text.replace(
        u, f"z<sup>[{ell}]</sup>"))
