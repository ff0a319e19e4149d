r"""Exports of expressions and ensembles: LaTeX, sympy, a NumPy function and a PyTorch module.

Every export keeps zcfast's semantics (README, *Semantics* and *Degenerate architectures*):
``div(a, b) = 1`` where ``|b| <= 1e-10`` (NaN included, as in the core), ``log(a) = ln|a|`` or 0
where ``|a| <= 1e-10``, ``sqrt(a) = sqrt(|a|)``, ``min``/``max`` propagate NaN, and the
reductions fold each architecture's layers in table order (``std_layers`` is the population
standard deviation, ddof 0; ``meanlog_layers`` the mean of the protected log).

Representations
---------------
LaTeX (:func:`expression_latex`, no extra needed)
    Upright names (``\mathrm{grad\_norm}``), ``\frac`` for division,
    ``\log\left|a\right|`` and ``\sqrt{\left|a\right|}`` (the operators act on ``|a|``),
    ``a^{2}``, ``\min``/``\max``, and for the reductions ``\sum_{\ell}``,
    ``\operatorname{mean}_{\ell}``, ``\max_{\ell}``, ``\min_{\ell}``,
    ``\operatorname{mean}_{\ell} \log\left|\cdot\right|`` and
    ``\operatorname{std}_{\ell}`` over the layers ``\ell`` of an architecture, whose per-layer
    columns carry the subscript ``\ell``. The protection thresholds are not written: they are
    part of zcfast's definition of ``/`` and ``\log``. An ensemble is
    ``\frac{1}{K}\left(Q_{1}\left[f_1\right] + \dots\right)``, ``Q_k`` being the quantile
    among member ``k``'s reference scores.

sympy (:func:`expression_sympy`, ``pip install 'zcfast[sympy]'``)
    Columns are real symbols, ``sympy.Symbol(name, real=True)`` (so that ``Abs`` differentiates
    and simplifies; ``sympy.lambdify`` matches arguments by name, so plain ``sympy.Symbol(name)``
    arguments work there too). The protected operators are the functions
    ``pdiv(a, b)`` and ``plog(a)``: they evaluate numbers by zcfast's rules, differentiate (0
    beyond the thresholds), spell themselves out with ``expr.rewrite(sympy.Piecewise)``
    (``Piecewise((a/b, Abs(b) > 1e-10), (1, True))``, ...), print as ``\frac`` and
    ``\log|a|`` in ``sympy.latex``, and lambdify to zcfast's own NumPy implementations (its
    logarithm included). They are functions rather than ``Piecewise`` because sympy moves a
    ``Piecewise`` out of the function it is an argument of (``simplify``, relationals), which is
    wrong for a reduction over layers (so do not ``simplify`` a layer-wise expression in its
    ``Piecewise`` spelling). ``protected=False`` writes ``a/b`` and ``log(Abs(a))``:
    easier to read and simplify, and equal away from the thresholds. ``sqrt`` is
    ``sqrt(Abs(a))``, ``square`` ``a**2``, ``min``/``max`` ``Min``/``Max``.

    A reduction is a function of two arguments, ``sum_layers(u, arch)``: ``u`` is the
    per-layer expression, ``arch`` a symbol standing for each layer's architecture key; it means
    "for each architecture, the sum of ``u`` over the layers with that key", one value per
    architecture in order of first appearance (``sum_layers`` and ``mean_layers``
    differentiate per layer). These functions carry their NumPy implementation, so
    ``sympy.lambdify([*columns, arch], expr)`` runs as is on per-layer arrays plus the
    architecture key of each layer. ``degenerate=True`` adds the missing-value rule,
    ``Piecewise((DEGENERATE_SCORE, Eq(Abs(x), 1e8) | ...), (f, True))`` (for a layer-wise
    formula ``Eq(max_layers(is_missing(x, ...), arch), 1)``). NaN inputs are outside the
    formula (:meth:`zcfast.Expression.evaluate` scores them NaN; the protected operators would
    turn them into numbers): drop or mark them first. An ensemble is
    ``rank_mean(f_1, ..., f_K)``, a function carrying the members' reference scores that
    lambdifies to :meth:`zcfast.Ensemble.evaluate`'s mean quantile; since sympy reorders
    arithmetic (``a*(b*c)`` becomes ``a*b*c``), lambdified scores may differ from zcfast's in
    the last bits, so it counts a score within 1e-12 (relative) of a reference score as that
    score, and ties with reference architectures stay ties.

NumPy (:class:`ProxyFunction`)
    A callable that evaluates the postfix program with NumPy, independently of the Rust core,
    with the core's operations in the core's order (its logarithm included), so its scores
    equal :meth:`zcfast.Expression.evaluate`'s bit for bit.

PyTorch (``TorchProxy``, ``TorchRankMean``: ``pip install 'zcfast[torch]'``)
    ``forward(columns, arch=None, num_archs=None)``: ``columns`` maps column names to ``(N,)``
    tensors (one value per architecture, or for a layer-wise proxy one per layer); ``arch`` is
    the ``(N,)`` integer tensor of each layer row's architecture index (``0..num_archs - 1``,
    rows in any order); ``num_archs`` defaults to ``arch.max() + 1`` (for a flat proxy that
    reads no column it is the number of rows); the result has one score per architecture,
    architecture ``k`` at position ``k``. ``module(**module.tensors(data))`` builds these
    arguments from anything :class:`ProxyFunction` takes. Reductions fold each
    architecture's rows in the order they come, with tensor operations, so they run on any
    device, deterministically; in float64 on the CPU the scores equal ``evaluate``'s bit for
    bit (elsewhere to rounding: ``sqrt`` and ``tanh`` come from the device's library).
    Gradients flow where the math is differentiable; at the protection thresholds and at
    ``sqrt``'s zero the gradient is 0 (never NaN), and the rank step of an ensemble has zero
    gradient almost everywhere.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from zcfast._ensemble import Ensemble, reference_quantiles
from zcfast._expression import (
    _ARITIES,
    DEGENERATE_SCORE,
    FUNCTIONS,
    LAYERWISE_FOR_TABLE,
    REDUCERS,
    Expression,
)
from zcfast._layers import ARCH_COLUMN, LayerTable, as_layer_table
from zcfast._messages import describe_value
from zcfast._params import (
    Bool,
    Constraint,
    Instance,
    Int,
    Optional,
    Text,
    check,
    check_all,
    fail,
    missing_dependency,
)
from zcfast._validate import (
    as_array,
    as_table,
    check_width,
    describe_shape,
    frame_columns,
    is_dataframe,
    require_columns,
)
from zcfast.exceptions import ArgumentTypeError, ShapeError, UnknownNameError

#: What the exports check their arguments with.
_SOURCE = Instance(Expression, Ensemble, what="a zcfast.Expression or zcfast.Ensemble")
_COLUMN_NAME = Text()
_COLUMNS = Instance(Mapping, what="a mapping of column names to tensors")
_NUM_ARCHS = Optional(Int(0))
_EXPRESSION = Instance(Expression, what="a zcfast.Expression")
_ENSEMBLE = Instance(Ensemble, what="a zcfast.Ensemble")
_SYMPY: dict[str, Constraint[Any]] = {"protected": Bool(), "degenerate": Bool(), "arch": Text()}

if TYPE_CHECKING:
    import torch
    from torch import Tensor

    # What type checkers see of the modules torch_classes() builds at run time.
    class TorchProxy(torch.nn.Module):
        formula: str
        features: tuple[str, ...]
        feature_names: tuple[str, ...]
        is_layerwise: bool
        constants: Tensor

        def tensors(
            self, data: object, *, arch_column: str = ..., dtype: Any = ..., device: Any = ...
        ) -> dict[str, Any]: ...

        def forward(
            self,
            columns: Mapping[str, Tensor],
            arch: Tensor | None = ...,
            num_archs: int | None = ...,
        ) -> Tensor: ...

    class TorchRankMean(torch.nn.Module):
        formula: str
        features: tuple[str, ...]
        feature_names: tuple[str, ...]
        is_layerwise: bool
        members: torch.nn.ModuleList

        def tensors(
            self, data: object, *, arch_column: str = ..., dtype: Any = ..., device: Any = ...
        ) -> dict[str, Any]: ...

        def forward(
            self,
            columns: Mapping[str, Tensor],
            arch: Tensor | None = ...,
            num_archs: int | None = ...,
        ) -> Tensor: ...


__all__ = [
    "ProxyFunction",
    "ensemble_latex",
    "ensemble_sympy",
    "ensemble_torch",
    "expression_latex",
    "expression_sympy",
    "expression_torch",
]

#: Magnitude at or below which ``div`` and ``log`` give their protected value.
PROTECT_EPS = 1e-10
#: The missing-value marker (in either sign).
MISSING = 1e8
#: Relative distance within which the sympy ``rank_mean`` takes a score for a reference score.
SNAP_TOLERANCE = 1e-12


# -- programs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Program:
    """An expression's postfix tokens, decoded: ``("var", name)``, ``("const", value)``,
    ``("func", name)`` or ``("reduce", name)``."""

    ops: tuple[tuple[str, Any], ...]
    features: tuple[str, ...]
    is_layerwise: bool
    formula: str


def compile_program(expression: Expression) -> Program:
    """The decoded program of ``expression`` (tokens were validated by the core)."""
    ops: list[tuple[str, Any]] = []
    features: dict[str, None] = {}
    for token in expression.tokens:
        if token in FUNCTIONS:
            ops.append(("func", token))
        elif token in REDUCERS:
            ops.append(("reduce", token))
        elif token.startswith("x"):
            name = expression.feature_names[int(token[1:])]
            features.setdefault(name, None)
            ops.append(("var", name))
        else:
            ops.append(("const", float(token[1:])))
    layerwise = any(kind == "reduce" for kind, _ in ops)
    return Program(tuple(ops), tuple(features), layerwise, str(expression))


def _children(ops: Sequence[tuple[str, Any]]) -> list[tuple[int, ...]]:
    """The operand positions of every node of a postfix program."""
    stack: list[int] = []
    out: list[tuple[int, ...]] = []
    for i, (kind, name) in enumerate(ops):
        arity = _ARITIES[name] if kind in ("func", "reduce") else 0
        args = tuple(stack[len(stack) - arity :]) if arity else ()
        del stack[len(stack) - arity :]
        out.append(args)
        stack.append(i)
    return out


# -- LaTeX --------------------------------------------------------------------------------------

_LATEX_ESCAPES = {
    "\\": r"\backslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "^": r"\hat{}",
    "~": r"\sim{}",
    " ": r"\ ",
}

_LATEX_REDUCERS = {
    "sum_layers": r"\sum_{\ell}",
    "mean_layers": r"\operatorname{mean}_{\ell}",
    "max_layers": r"\max_{\ell}",
    "min_layers": r"\min_{\ell}",
    "meanlog_layers": r"\operatorname{mean}_{\ell}",
    "std_layers": r"\operatorname{std}_{\ell}",
}

# The shape of a node's text, which decides where its operands need parentheses: a sum, a
# leading minus, a product, a fraction, a big operator (a reduction, which extends to its
# right), a logarithm, a power, or an atom (a name, a number, |a|, sqrt, min/max(...)).
_KIND = {
    "add": "sum",
    "sub": "sum",
    "mul": "prod",
    "div": "frac",
    "neg": "neg",
    "square": "pow",
    "log": "log",
    "abs": "atom",
    "sqrt": "atom",
    "min": "atom",
    "max": "atom",
}
# The place of each operand: the parent's kind and the operand's position.
_PLACES = {
    "add": ("left", "add_right"),
    "sub": ("left", "sub_right"),
    "mul": ("mul_left", "mul_right"),
    "div": ("open", "open"),
    "neg": ("neg",),
    "square": ("base",),
    "log": ("open",),
    "abs": ("open",),
    "sqrt": ("open",),
    "min": ("open", "open"),
    "max": ("open", "open"),
}


def _latex_number(value: float) -> tuple[str, str]:
    """A constant's LaTeX and its kind (``1e-05`` is ``10^{-5}``, ``2.5e+20`` is
    ``2.5 \\cdot 10^{20}``)."""
    text = repr(value)
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa.removesuffix(".0")
        power = f"10^{{{int(exponent)}}}"
        body, kind = (power, "pow") if mantissa == "1" else (rf"{mantissa} \cdot {power}", "prod")
    else:
        body, kind = text.removesuffix(".0"), "atom"
    return sign + body, "neg" if sign else kind


def latex_name(name: str) -> str:
    """A column name as LaTeX: a single ASCII letter as is, any other name upright, escaped."""
    if len(name) == 1 and name.isascii() and name.isalpha():
        return name
    return r"\mathrm{" + "".join(_LATEX_ESCAPES.get(ch, ch) for ch in name) + "}"


def _needs_parens(kind: str, lead: bool, open_right: bool, place: str) -> bool:
    if place == "open" or place == "left":
        return False
    if place == "base":
        return kind != "atom"
    if place == "mul_left":
        return kind == "sum" or open_right
    if place == "add_right":
        return lead
    # mul_right, sub_right, neg and the operand of a reduction
    return kind == "sum" or lead


def program_latex(program: Program, names: Mapping[str, str] | None = None) -> str:
    """The LaTeX of a decoded program, in one pass without recursion (linear in its size)."""
    ops = program.ops
    children = _children(ops)
    n = len(ops)
    kinds = [""] * n
    lead = [False] * n  # the text starts with a minus sign
    open_right = [False] * n  # the text ends in a reduction's operand
    text_of: list[str] = [""] * n
    for i, (kind, arg) in enumerate(ops):
        if kind == "var":
            kinds[i] = "atom"
            continue
        if kind == "const":
            text_of[i], kinds[i] = _latex_number(arg)
            lead[i] = kinds[i] == "neg"
            continue
        if kind == "reduce":
            kinds[i], open_right[i] = "op", True
            continue
        kinds[i] = _KIND[arg]
        args = children[i]
        places = _PLACES[arg]
        shown = [
            (False, False)
            if _needs_parens(kinds[c], lead[c], open_right[c], place)
            else (lead[c], open_right[c])
            for c, place in zip(args, places)
        ]
        if kinds[i] in ("sum", "prod"):
            lead[i], open_right[i] = shown[0][0], shown[1][1]
        elif arg == "neg":
            lead[i], open_right[i] = True, shown[0][1]

    def name_of(feature: str, layer: bool) -> str:
        if names is not None and feature in names:
            base = names[feature]
            return f"{{{base}}}_{{\\ell}}" if layer else base
        base = latex_name(feature)
        return f"{base}_{{\\ell}}" if layer else base

    out: list[str] = []
    # Tasks: a node to write (index, place, inside a reduction) or literal text; pushed in
    # reverse, so the last pushed is written first.
    tasks: list[tuple[int, str, bool] | str] = [(n - 1, "open", False)]
    while tasks:
        task = tasks.pop()
        if isinstance(task, str):
            out.append(task)
            continue
        i, place, layer = task
        kind, arg = ops[i]
        if _needs_parens(kinds[i], lead[i], open_right[i], place):
            out.append(r"\left(")
            tasks.append(r"\right)")
        if kind == "var":
            out.append(name_of(arg, layer))
            continue
        if kind == "const":
            out.append(text_of[i])
            continue
        args = children[i]
        if kind == "reduce":
            out.append(_LATEX_REDUCERS[arg] + " ")
            if arg == "meanlog_layers":
                _push_bars(tasks, ops, children, args[0], r"\log\left|", True)
            else:
                tasks.append((args[0], "reduce", True))
            continue
        parts: list[tuple[int, str, bool] | str]
        if arg in ("add", "sub", "mul"):
            op = {"add": " + ", "sub": " - ", "mul": r" \cdot "}[arg]
            left, right = _PLACES[arg]
            parts = [(args[0], left, layer), op, (args[1], right, layer)]
        elif arg == "div":
            parts = [r"\frac{", (args[0], "open", layer), "}{", (args[1], "open", layer), "}"]
        elif arg == "neg":
            parts = ["-", (args[0], "neg", layer)]
        elif arg == "square":
            parts = [(args[0], "base", layer), "^{2}"]
        elif arg in ("min", "max"):
            parts = [
                f"\\{arg}\\left(",
                (args[0], "open", layer),
                ", ",
                (args[1], "open", layer),
                r"\right)",
            ]
        elif arg == "abs":
            parts = [r"\left|", (args[0], "open", layer), r"\right|"]
        elif arg == "log":
            _push_bars(tasks, ops, children, args[0], r"\log\left|", layer)
            continue
        else:  # sqrt
            tasks.append("}")
            _push_bars(tasks, ops, children, args[0], r"\sqrt{\left|", layer)
            continue
        tasks.extend(reversed(parts))
    return "".join(out)


def _push_bars(
    tasks: list[tuple[int, str, bool] | str],
    ops: Sequence[tuple[str, Any]],
    children: list[tuple[int, ...]],
    operand: int,
    opening: str,
    layer: bool,
) -> None:
    """Writes ``opening`` + operand + ``\\right|``; an operand ``abs(b)`` is written as ``b``
    (its bars are the ones ``opening`` opens)."""
    if ops[operand] == ("func", "abs"):
        operand = children[operand][0]
    tasks.extend([r"\right|", (operand, "open", layer), opening])


def expression_latex(expression: Expression, names: Mapping[str, str] | None = None) -> str:
    return program_latex(compile_program(expression), _check_latex_names(names))


def ensemble_latex(ensemble: Ensemble, names: Mapping[str, str] | None = None) -> str:
    names = _check_latex_names(names)
    terms = [
        rf"Q_{{{k}}}\left[{program_latex(compile_program(m), names)}\right]"
        for k, m in enumerate(ensemble.members, start=1)
    ]
    if len(terms) == 1:
        return terms[0]
    return rf"\frac{{1}}{{{len(terms)}}} \left(" + " + ".join(terms) + r"\right)"


def _check_latex_names(names: object) -> Mapping[str, str] | None:
    if names is None:
        return None
    if not isinstance(names, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in names.items()
    ):
        expected = "a mapping of column names to LaTeX (str to str)"
        raise fail("names", expected, describe_value(names), ArgumentTypeError)
    return names


# -- NumPy ------------------------------------------------------------------------------------

# fdlibm's log (the core's `fastmath::ln`), digit for digit: the same operations in the same
# order give the same bits.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_SQRT2 = 1.4142135623730951
_TWO52 = 4503599627370496.0
_LG = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)


def _ln_steps(
    bits_exponent: Any, mantissa: Any, where: Callable[[Any, Any, Any], Any]
) -> Callable[[Any], Any]:
    """fdlibm's reduction and polynomial, for NumPy or torch (``bits_exponent(x)`` is
    ``2^52 + the exponent field`` as a float, ``mantissa(x)`` the significand in [1, 2))."""
    lg1, lg2, lg3, lg4, lg5, lg6, lg7 = _LG

    def ln(x: Any) -> Any:
        exp_field = bits_exponent(x) - _TWO52
        m0 = mantissa(x)
        big = m0 > _SQRT2
        m = where(big, m0 * 0.5, m0)
        k = exp_field - 1023.0 + where(big, 1.0, 0.0)
        f = m - 1.0
        s = f / (2.0 + f)
        z = s * s
        w = z * z
        t1 = w * (lg2 + w * (lg4 + w * lg6))
        t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
        r = t2 + t1
        hfsq = 0.5 * f * f
        return k * _LN2_HI - ((hfsq - (s * (hfsq + r) + k * _LN2_LO)) - f)

    return ln


_np_ln_core = _ln_steps(
    lambda x: (np.uint64(0x4330000000000000) | (x.view(np.uint64) >> np.uint64(52))).view(
        np.float64
    ),
    lambda x: (
        (x.view(np.uint64) & np.uint64(0x000FFFFFFFFFFFFF)) | np.uint64(0x3FF0000000000000)
    ).view(np.float64),
    np.where,
)


def np_ln(x: np.ndarray) -> np.ndarray:
    """ln(x) for positive normal float64 ``x``, exactly as the core computes it; inf and NaN
    are returned unchanged."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(np.isfinite(x), _np_ln_core(x), x)


def _np_log(a: Any) -> Any:
    m = np.abs(a)
    ok = m > PROTECT_EPS
    return np.where(ok, np_ln(np.where(ok, m, 1.0)), 0.0)


def _np_div(a: Any, b: Any) -> Any:
    return np.where(np.abs(b) > PROTECT_EPS, a / b, 1.0)


_NP_UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": np.negative,
    "abs": np.abs,
    "log": _np_log,
    "sqrt": lambda a: np.sqrt(np.abs(a)),
    "square": lambda a: a * a,
}
_NP_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": _np_div,
    "min": np.minimum,
    "max": np.maximum,
}


class FoldPlan:
    """How to fold the rows of every architecture in row order (the core's order) with
    vector operations: architectures sorted by row count, longest first, so that step ``k``
    combines the ``k``-th row of a prefix of them.

    ``counts`` are the architectures' row counts (zero allowed); ``rows[j]`` is the first
    grouped row of the ``j``-th architecture in that order, ``active[k]`` the number of
    architectures with more than ``k`` rows.
    """

    def __init__(self, counts: np.ndarray, starts: np.ndarray) -> None:
        self.n_archs = len(counts)
        self.by_count = np.argsort(-counts, kind="stable")
        ranked = counts[self.by_count]
        longest = int(ranked[0]) if len(ranked) else 0
        self.active = [int(a) for a in np.searchsorted(-ranked, -np.arange(longest), "left")]
        self.rows = starts[self.by_count]
        self.n_nonempty = self.active[0] if self.active else 0


class Segments:
    """A layer table's grouping: architecture ``a`` owns rows ``offsets[a]:offsets[a + 1]``."""

    def __init__(self, offsets: np.ndarray) -> None:
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.counts = np.diff(self.offsets)
        self.plan = FoldPlan(self.counts, self.offsets[:-1])
        self.row_arch = np.repeat(np.arange(len(self.counts)), self.counts)

    @property
    def n_archs(self) -> int:
        return len(self.counts)

    @property
    def n_rows(self) -> int:
        return int(self.offsets[-1])

    def fold(self, op: Callable[[Any, Any], Any], values: np.ndarray) -> np.ndarray:
        plan = self.plan
        acc = values[plan.rows[: plan.n_nonempty]]
        for k, n in enumerate(plan.active[1:], start=1):
            acc[:n] = op(acc[:n], values[plan.rows[:n] + k])
        out = np.full(plan.n_archs, np.nan)
        out[plan.by_count[: plan.n_nonempty]] = acc
        return out

    def reduce(self, name: str, values: Any) -> np.ndarray:
        v = np.array(np.broadcast_to(values, (self.n_rows,)), dtype=np.float64)
        n = self.counts.astype(np.float64)
        if name == "sum_layers":
            return self.fold(np.add, v)
        if name == "mean_layers":
            return self.fold(np.add, v) / n
        if name == "max_layers":
            return self.fold(np.maximum, v)
        if name == "min_layers":
            return self.fold(np.minimum, v)
        if name == "meanlog_layers":
            return self.fold(np.add, np.asarray(_np_log(v), dtype=np.float64)) / n
        mean = self.fold(np.add, v) / n  # std_layers, ddof 0
        d = v - mean[self.row_arch]
        return np.sqrt(self.fold(np.add, d * d) / n)

    def any(self, rows: np.ndarray) -> np.ndarray:
        """Per architecture, whether any of its rows is True."""
        return np.logical_or.reduceat(rows, self.offsets[:-1])


@dataclass
class Inputs:
    """Float64 columns (one value per row: architecture, or layer of a layer table) and, for a
    layer table, its grouping."""

    columns: dict[str, np.ndarray]
    n_rows: int
    segments: Segments | None

    @property
    def n_archs(self) -> int:
        return self.n_rows if self.segments is None else self.segments.n_archs


def _float_column(values: object, name: str) -> np.ndarray:
    try:
        arr = as_array(values)
    except (TypeError, ValueError):
        found = describe_value(values)
        raise fail("columns", f"numbers in column {name!r}", found, ArgumentTypeError) from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        expected = f"numeric values in column {name!r}"
        raise fail("columns", expected, f"dtype {arr.dtype}", ArgumentTypeError)
    if arr.ndim == 0:  # one architecture's value, e.g. from zcfast.metrics.compute
        arr = arr.reshape(1)
    if arr.ndim != 1:
        expected = f"a 1-D array for column {name!r}"
        raise fail("columns", expected, describe_shape(arr), ShapeError)
    return arr.astype(np.float64)


def _mapping_columns(data: Mapping[Any, Any], features: Sequence[str]) -> dict[str, np.ndarray]:
    require_columns("columns", features, data)
    columns = {f: _float_column(data[f], f) for f in features}
    _same_lengths({f: len(c) for f, c in columns.items()})
    return columns


def check_tensor_columns(columns: object, features: Sequence[str]) -> None:
    """What the PyTorch modules check their ``columns`` argument with."""
    require_columns("columns", features, check("columns", columns, _COLUMNS), "the proxy uses")


def _same_lengths(lengths: Mapping[str, int]) -> None:
    if len(set(lengths.values())) > 1:
        raise fail("columns", "columns of one length", f"lengths {dict(lengths)}", ShapeError)


def _mapping_rows(data: Mapping[Any, Any]) -> int:
    """The number of rows of a mapping of columns (for a formula that reads none of them)."""
    for value in data.values():
        shape = np.shape(value)
        if len(shape) == 1:
            return int(shape[0])
    expected = "at least one 1-D column to count the rows of an expression that reads no column"
    raise fail("columns", expected, "none", ShapeError)


def numpy_inputs(
    data: object,
    feature_names: tuple[str, ...],
    features: tuple[str, ...],
    layerwise: bool,
    arch_column: str,
) -> Inputs:
    """The columns ``features`` of ``data``, as :class:`ProxyFunction` takes it."""
    check("arch_column", arch_column, _COLUMN_NAME)
    if layerwise:
        return _layer_inputs(data, feature_names, features, arch_column)
    if isinstance(data, LayerTable):
        raise fail("data", LAYERWISE_FOR_TABLE, "a flat expression")
    if isinstance(data, Mapping):
        columns = _mapping_columns(data, features)
        n_rows = len(next(iter(columns.values()))) if columns else _mapping_rows(data)
        return Inputs(columns, n_rows, None)
    if is_dataframe(data):
        table = frame_columns(data, features, "data")
        n_rows = table.values.shape[0]
        return Inputs({f: table.values[:, j] for j, f in enumerate(features)}, n_rows, None)
    table = as_table(data, None, "data", min_rows=1)
    check_width("data", table.values, feature_names)
    values = table.values
    columns = {f: values[:, feature_names.index(f)] for f in features}
    return Inputs(columns, values.shape[0], None)


def _layer_inputs(
    data: object, feature_names: tuple[str, ...], features: tuple[str, ...], arch_column: str
) -> Inputs:
    if isinstance(data, tuple) and not isinstance(data, LayerTable) and len(data) == 2:
        table = LayerTable.from_arrays(data[0], data[1])
        check_width("layers", table.values, feature_names)
        table = LayerTable(table.values, table.offsets, feature_names, table.archs)
    elif isinstance(data, Mapping):
        if arch_column not in data:
            expected = (
                f"an {arch_column!r} entry (each layer's architecture) in the mapping of columns"
            )
            raise fail("layers", expected, f"keys {list(data)[:20]}", UnknownNameError)
        frame = pl.DataFrame({arch_column: _keys(data[arch_column], arch_column)})
        columns = _mapping_columns(data, features)
        lengths = {len(c) for c in columns.values()}
        if lengths and lengths != {frame.height}:
            expected = f"columns as long as {arch_column!r} ({frame.height} layers)"
            raise fail("layers", expected, f"lengths {sorted(lengths)}", ShapeError)
        frame = frame.with_columns(pl.Series(f, c) for f, c in columns.items())
        if not features:
            frame = frame.with_columns(pl.lit(0.0).alias(f"{arch_column}_"))
        table = LayerTable.from_frame(frame, arch_column, list(features) or None)
    else:
        table = as_layer_table(data, arch_column, list(features) or None)
    require_columns("layers", features, table.names)
    columns = {f: table.values[:, table.names.index(f)] for f in features}
    return Inputs(columns, table.n_layers, Segments(table.offsets))


def _keys(values: object, arch_column: str) -> pl.Series:
    if isinstance(values, pl.Series):
        return values.rename(arch_column)
    listed = values.tolist() if hasattr(values, "tolist") else values
    if isinstance(listed, (str, bytes)) or not isinstance(listed, Sequence):
        expected = "a sequence of architecture keys, one per layer"
        raise fail(arch_column, expected, describe_value(values), ArgumentTypeError)
    return pl.Series(arch_column, list(listed))


def run_program(program: Program, inputs: Inputs) -> np.ndarray:
    """The program's value per architecture (no missing-value rules), with NumPy."""
    stack: list[Any] = []
    with np.errstate(all="ignore"):
        for kind, arg in program.ops:
            if kind == "var":
                stack.append(inputs.columns[arg])
            elif kind == "const":
                stack.append(np.float64(arg))
            elif kind == "reduce":
                assert inputs.segments is not None
                stack.append(inputs.segments.reduce(arg, stack.pop()))
            elif _ARITIES[arg] == 1:
                stack.append(_NP_UNARY[arg](stack.pop()))
            else:
                b = stack.pop()
                stack.append(_NP_BINARY[arg](stack.pop(), b))
    return np.array(np.broadcast_to(stack.pop(), (inputs.n_archs,)), dtype=np.float64)


def score_program(program: Program, inputs: Inputs) -> np.ndarray:
    """What :meth:`Expression.evaluate` returns: the program's values, with
    :data:`DEGENERATE_SCORE` where a column it reads holds the marker ±1e8 and NaN where one is
    NaN."""
    out = run_program(program, inputs)
    marked = np.zeros(inputs.n_rows, dtype=bool)
    nan = np.zeros(inputs.n_rows, dtype=bool)
    for f in program.features:
        column = inputs.columns[f]
        marked |= np.abs(column) == MISSING
        nan |= np.isnan(column)
    if inputs.segments is not None:
        marked, nan = inputs.segments.any(marked), inputs.segments.any(nan)
    out[marked] = DEGENERATE_SCORE
    out[nan] = np.nan
    return out


def rank_mean(
    scores: Sequence[np.ndarray], references: Sequence[np.ndarray], snap: bool = False
) -> np.ndarray:
    """:meth:`Ensemble.evaluate`'s combination of member scores: mean reference quantile,
    :data:`DEGENERATE_SCORE` where any member is degenerate or NaN. ``snap`` first moves each
    score within :data:`SNAP_TOLERANCE` of a reference score onto it."""
    arrays = [np.atleast_1d(np.asarray(s, dtype=np.float64)) for s in scores]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    degenerate = np.zeros(shape, dtype=bool)
    quantiles = []
    with np.errstate(all="ignore"):
        for s, ref in zip(arrays, references):
            s = np.broadcast_to(s, shape)
            degenerate |= (s == DEGENERATE_SCORE) | np.isnan(s)
            quantiles.append(reference_quantiles(_snap(s, ref) if snap else s, ref))
        out = np.mean(quantiles, axis=0)
    out[degenerate] = DEGENERATE_SCORE
    return out


def _snap(s: np.ndarray, ref: np.ndarray) -> np.ndarray:
    i = np.searchsorted(ref, s)
    below = ref[np.clip(i - 1, 0, len(ref) - 1)]
    above = ref[np.clip(i, 0, len(ref) - 1)]
    nearest = np.where(np.abs(s - below) <= np.abs(above - s), below, above)
    close = np.abs(s - nearest) <= SNAP_TOLERANCE * np.maximum(np.abs(s), np.abs(nearest))
    return np.where(close, nearest, s)


class ProxyFunction:
    """An expression or ensemble as a plain NumPy function of a table's columns.

    Calling it scores every architecture of ``data`` exactly as the expression's (ensemble's)
    ``evaluate`` does, missing-value rules included, but in NumPy, without zcfast's Rust core:
    the postfix program runs on a stack of arrays with the core's operations in the core's
    order, so the scores are the same bit for bit.

    ``data`` is a mapping of column names to 1-D arrays (one value per architecture), a
    polars/pandas DataFrame (columns by name), or a 2-D array (columns in ``feature_names``
    order). For a layer-wise expression: a long table (DataFrame, or mapping of columns) with an
    ``arch_column`` naming each layer's architecture (each architecture's rows together), a
    :class:`zcfast.LayerTable`, or ``(values, offsets)`` arrays; one score per architecture in
    table order.

    Example
    -------
    >>> import zcfast
    >>> e = zcfast.Expression.parse("log(synflow) * nwot / params", ["synflow", "nwot", "params"])
    >>> f = e.to_function()
    >>> f({"synflow": [10.0, 1e-12], "nwot": [2.0, 3.0], "params": [4.0, 0.0]})
    array([1.15129255, 1.        ])
    """

    def __init__(self, source: Expression | Ensemble) -> None:
        check("source", source, _SOURCE)
        if isinstance(source, Ensemble):
            members: tuple[Expression, ...] = source.members
            self._references: tuple[np.ndarray, ...] | None = tuple(
                np.asarray(r, dtype=np.float64) for r in source.references
            )
        else:
            members = (source,)
            self._references = None
        self._programs = tuple(compile_program(m) for m in members)
        self.formula = str(source)
        self.feature_names: tuple[str, ...] = members[0].feature_names
        self.features: tuple[str, ...] = tuple(
            dict.fromkeys(f for p in self._programs for f in p.features)
        )
        self.is_layerwise = self._programs[0].is_layerwise

    def __call__(self, data: object, *, arch_column: str = ARCH_COLUMN) -> np.ndarray:
        """Scores of the architectures of ``data`` (see the class)."""
        inputs = numpy_inputs(
            data, self.feature_names, self.features, self.is_layerwise, arch_column
        )
        scores = [score_program(p, inputs) for p in self._programs]
        if self._references is None:
            return scores[0]
        return rank_mean(scores, self._references)

    def __repr__(self) -> str:
        return f"ProxyFunction({self.formula!r})"


# -- sympy --------------------------------------------------------------------------------------


def require_sympy() -> Any:
    try:
        import sympy
    except ImportError as exc:
        raise missing_dependency("sympy", "exporting to sympy", "'zcfast[sympy]'", exc) from exc
    return sympy


def reduce_by_arch(name: str, values: object, arch: object) -> np.ndarray:
    """The reduction ``name`` of per-layer ``values`` over the layers of each architecture
    ``arch`` names (one key per layer, any order); one value per architecture in order of first
    appearance. The NumPy implementation of the sympy reductions."""
    keys = np.asarray(arch)
    if keys.ndim != 1 or len(keys) == 0:
        expected = "a 1-D array with each layer's architecture key"
        raise fail("arch", expected, describe_shape(keys), ShapeError)
    try:
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    except TypeError:
        expected = "architecture keys of one sortable type"
        raise fail("arch", expected, f"dtype {keys.dtype}", ArgumentTypeError) from None
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    code = rank[inverse.ravel()]
    order = np.argsort(code, kind="stable")
    counts = np.bincount(code, minlength=len(first))
    segments = Segments(np.concatenate([[0], np.cumsum(counts)]))
    v = np.broadcast_to(np.asarray(values, dtype=np.float64), keys.shape)[order]
    with np.errstate(all="ignore"):
        return segments.reduce(name, v)


def _np_is_missing(*columns: object) -> np.ndarray:
    with np.errstate(all="ignore"):
        hits = [np.abs(np.asarray(c, dtype=np.float64)) == MISSING for c in columns]
    return np.asarray(np.logical_or.reduce(np.broadcast_arrays(*hits)), dtype=np.float64)


def _np_pdiv(a: object, b: object) -> Any:
    with np.errstate(all="ignore"):
        return _np_div(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))


def _np_plog(a: object) -> Any:
    with np.errstate(all="ignore"):
        return _np_log(np.asarray(a, dtype=np.float64))


@functools.cache
def sympy_classes() -> dict[str, Any]:
    """zcfast's sympy functions: ``pdiv``, ``plog``, ``is_missing`` and the reductions
    (attributes of ``zcfast._export``, so that expressions using them pickle). Each carries its
    NumPy implementation (``_imp_``, which ``sympy.lambdify`` uses)."""
    sympy = require_sympy()
    eps = sympy.Float(PROTECT_EPS)
    Function: Any = sympy.Function

    def numbers(*args: Any) -> list[float] | None:
        """The arguments as floats when all are numbers (to evaluate with zcfast's rules)."""
        if not all(a.is_Number for a in args):
            return None
        try:
            return [float(a) for a in args]
        except TypeError:  # complex infinity
            return None

    class pdiv(Function):
        """``pdiv(a, b)``: zcfast's protected division, ``a/b``, or 1 where ``|b| <= 1e-10``
        (NaN included); ``rewrite(Piecewise)`` spells it out."""

        nargs = 2
        _imp_ = staticmethod(_np_pdiv)

        @classmethod
        def eval(cls, a: Any, b: Any) -> Any:
            values = numbers(a, b)
            return None if values is None else _sympy_float(sympy, float(_np_pdiv(*values)))

        def fdiff(self, argindex: int = 1) -> Any:
            a, b = self.args
            derivative = 1 / b if argindex == 1 else -a / b**2
            return sympy.Piecewise((derivative, sympy.Abs(b) > eps), (0, True))

        def _eval_rewrite_as_Piecewise(self, a: Any, b: Any, **kwargs: Any) -> Any:
            return sympy.Piecewise((a / b, sympy.Abs(b) > eps), (1, True))

        def _latex(self, printer: Any) -> str:
            a, b = (printer._print(arg) for arg in self.args)
            return rf"\frac{{{a}}}{{{b}}}"

    class plog(Function):
        """``plog(a)``: zcfast's protected logarithm, ``log(|a|)``, or 0 where
        ``|a| <= 1e-10`` (NaN included); ``rewrite(Piecewise)`` spells it out."""

        nargs = 1
        _imp_ = staticmethod(_np_plog)

        @classmethod
        def eval(cls, a: Any) -> Any:
            values = numbers(a)
            return None if values is None else _sympy_float(sympy, float(_np_plog(values[0])))

        def fdiff(self, argindex: int = 1) -> Any:
            (a,) = self.args
            return sympy.Piecewise((1 / a, sympy.Abs(a) > eps), (0, True))

        def _eval_rewrite_as_Piecewise(self, a: Any, **kwargs: Any) -> Any:
            return sympy.Piecewise((sympy.log(sympy.Abs(a)), sympy.Abs(a) > eps), (0, True))

        def _latex(self, printer: Any) -> str:
            return rf"\log\left|{printer._print(self.args[0])}\right|"

    class is_missing(Function):
        """``is_missing(x, ...)``: 1 where any argument is the missing-value marker ±1e8,
        else 0."""

        _imp_ = staticmethod(_np_is_missing)

        @classmethod
        def eval(cls, *args: Any) -> Any:
            values = numbers(*args)
            return None if values is None else sympy.Integer(int(_np_is_missing(*values)))

        def _eval_derivative(self, s: Any) -> Any:
            return sympy.Integer(0)

        def _latex(self, printer: Any) -> str:
            args = ", ".join(printer._print(a) for a in self.args)
            return rf"\operatorname{{missing}}\left({args}\right)"

    class Reduction(Function):
        """``r(u, arch)``: per architecture (the layers sharing one ``arch`` key), the
        reduction of the per-layer values ``u``; one value per architecture, in order of first
        appearance."""

        nargs = 2
        name = ""

        def _eval_derivative(self, s: Any) -> Any:
            u, arch = self.args
            if self.name in ("sum_layers", "mean_layers"):  # linear: differentiate per layer
                return self.func(u.diff(s), arch)
            if self.name == "meanlog_layers":
                return reducers["mean_layers"](plog(u).diff(s), arch)
            return None  # max, min, std: left as a Derivative

        def _latex(self, printer: Any) -> str:
            operand = printer._print(self.args[0])
            if self.name == "meanlog_layers":
                return rf"{_LATEX_REDUCERS[self.name]} \log\left|{operand}\right|"
            return rf"{_LATEX_REDUCERS[self.name]} \left({operand}\right)"

    reducers: dict[str, Any] = {}
    for name, meaning in REDUCERS.items():
        doc = (
            f"``{name}(u, arch)``: per architecture (the layers sharing one ``arch`` key), the"
            f" {meaning} of the per-layer values ``u``; one value per architecture, in order of"
            " first appearance."
        )
        namespace = {
            "name": name,
            "_imp_": staticmethod(functools.partial(reduce_by_arch, name)),
            "__doc__": doc,
            "__module__": __name__,
        }
        reducers[name] = type(name, (Reduction,), namespace)
    classes = {"pdiv": pdiv, "plog": plog, "is_missing": is_missing, **reducers}
    for name, cls in classes.items():
        cls.__module__ = __name__
        cls.__qualname__ = name
    return classes


def _sympy_float(sympy: Any, value: float) -> Any:
    """A sympy Float that prints (and so lambdifies) back to ``value`` exactly: 15 digits where
    they suffice, else 17."""
    if not math.isfinite(value):
        return sympy.nan if math.isnan(value) else (sympy.oo if value > 0 else -sympy.oo)
    if float(f"{value:.15g}") == value:
        return sympy.Float(value)
    return sympy.Float(value, 17)


def program_sympy(program: Program, *, protected: bool, degenerate: bool, arch: str) -> Any:
    sympy = require_sympy()
    classes = sympy_classes()
    check_all({"protected": protected, "degenerate": degenerate, "arch": arch}, _SYMPY)
    if program.is_layerwise and arch in program.features:
        expected = "a name for the architecture symbol other than the expression's columns"
        raise fail("arch", expected, f"{arch!r}, one of them")
    symbols = {f: sympy.Symbol(f, real=True) for f in program.features}
    arch_symbol = sympy.Symbol(arch)

    def log(a: Any) -> Any:
        return classes["plog"](a) if protected else sympy.log(sympy.Abs(a))

    unary: dict[str, Callable[[Any], Any]] = {
        "neg": lambda a: -a,
        "abs": sympy.Abs,
        "log": log,
        "sqrt": lambda a: sympy.sqrt(sympy.Abs(a)),
        "square": lambda a: a**2,
    }
    binary: dict[str, Callable[[Any, Any], Any]] = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": classes["pdiv"] if protected else (lambda a, b: a / b),
        "min": sympy.Min,
        "max": sympy.Max,
    }
    stack: list[Any] = []
    for kind, arg in program.ops:
        if kind == "var":
            stack.append(symbols[arg])
        elif kind == "const":
            stack.append(_sympy_float(sympy, arg))
        elif kind == "reduce":
            operand = stack.pop()
            if arg == "meanlog_layers" and not protected:
                stack.append(classes["mean_layers"](log(operand), arch_symbol))
            else:
                stack.append(classes[arg](operand, arch_symbol))
        elif _ARITIES[arg] == 1:
            stack.append(unary[arg](stack.pop()))
        else:
            b = stack.pop()
            stack.append(binary[arg](stack.pop(), b))
    expr = stack.pop()
    if degenerate and program.features:
        columns = [symbols[f] for f in program.features]
        if program.is_layerwise:
            hit = classes["max_layers"](classes["is_missing"](*columns), arch_symbol)
            marked = sympy.Eq(hit, 1)
        else:
            marker = sympy.Float(MISSING)
            marked = sympy.Or(*(sympy.Eq(sympy.Abs(c), marker) for c in columns))
        expr = sympy.Piecewise((_sympy_float(sympy, DEGENERATE_SCORE), marked), (expr, True))
    return expr


def expression_sympy(
    expression: Expression, *, protected: bool = True, degenerate: bool = False, arch: str = "arch"
) -> Any:
    return program_sympy(
        compile_program(expression), protected=protected, degenerate=degenerate, arch=arch
    )


def ensemble_sympy(
    ensemble: Ensemble, *, protected: bool = True, degenerate: bool = False, arch: str = "arch"
) -> Any:
    sympy = require_sympy()
    from sympy.utilities.lambdify import implemented_function

    members = [
        expression_sympy(m, protected=protected, degenerate=degenerate, arch=arch)
        for m in ensemble.members
    ]
    references = tuple(np.asarray(r, dtype=np.float64) for r in ensemble.references)
    function = implemented_function(
        sympy.Function("rank_mean"), functools.partial(_sympy_rank_mean, references)
    )
    return function(*members)


def _sympy_rank_mean(references: tuple[np.ndarray, ...], *scores: object) -> np.ndarray:
    return rank_mean([np.asarray(s, dtype=np.float64) for s in scores], references, snap=True)


# -- PyTorch ----------------------------------------------------------------------------------


def require_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise missing_dependency("torch", "exporting to PyTorch", "'zcfast[torch]'", exc) from exc
    return torch


def expression_torch(expression: Expression, *, trainable_constants: bool = False) -> TorchProxy:
    require_torch()
    check("trainable_constants", trainable_constants, Bool())
    module: TorchProxy = torch_classes()["TorchProxy"](
        expression, trainable_constants=trainable_constants
    )
    return module


def ensemble_torch(ensemble: Ensemble) -> TorchRankMean:
    require_torch()
    module: TorchRankMean = torch_classes()["TorchRankMean"](ensemble)
    return module


@functools.cache
def torch_classes() -> dict[str, Any]:
    """The PyTorch modules, built on first use (module attributes of ``zcfast._export``, so
    that ``torch.save`` of a whole module works)."""
    torch = require_torch()
    nn = torch.nn
    Module: Any = nn.Module
    AutogradFunction: Any = torch.autograd.Function

    torch_ln_core = _ln_steps(
        lambda x: ((x.view(torch.int64) >> 52) | 0x4330000000000000).view(torch.float64),
        lambda x: ((x.view(torch.int64) & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000).view(
            torch.float64
        ),
        torch.where,
    )

    class ExactLog(AutogradFunction):
        """ln of positive float64 values as the core computes it; gradient 1/x."""

        @staticmethod
        def forward(ctx: Any, m: Tensor) -> Tensor:
            ctx.save_for_backward(m)
            m = m.contiguous()
            return torch.where(torch.isfinite(m), torch_ln_core(m), m)

        @staticmethod
        def backward(ctx: Any, grad: Tensor) -> Tensor:
            (m,) = ctx.saved_tensors
            return grad / m

    class ExactSqrt(AutogradFunction):
        """Correctly rounded sqrt of float64 values, as the core computes it (PyTorch's
        vectorised CPU sqrt can be an ulp off; NumPy's and CUDA's are IEEE sqrt)."""

        @staticmethod
        def forward(ctx: Any, x: Tensor) -> Tensor:
            if x.device.type == "cpu":
                y = torch.from_numpy(np.asarray(np.sqrt(x.detach().numpy())))
            else:
                y = torch.sqrt(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx: Any, grad: Tensor) -> Tensor:
            (y,) = ctx.saved_tensors
            return grad / (2.0 * y)

    class ExactTanh(AutogradFunction):
        """tanh of float64 values as NumPy computes it (the ensembles' tails use np.tanh)."""

        @staticmethod
        def forward(ctx: Any, x: Tensor) -> Tensor:
            if x.device.type == "cpu":
                y = torch.from_numpy(np.asarray(np.tanh(x.detach().numpy())))
            else:
                y = torch.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx: Any, grad: Tensor) -> Tensor:
            (y,) = ctx.saved_tensors
            return grad * (1.0 - y * y)

    def tanh(x: Tensor) -> Tensor:
        return ExactTanh.apply(x) if x.dtype == torch.float64 else torch.tanh(x)

    def ln(m: Tensor) -> Tensor:
        if m.dtype == torch.float64:
            return ExactLog.apply(m)
        return torch.log(m)

    def safe_sqrt(x: Tensor) -> Tensor:
        """sqrt (correctly rounded in float64) with gradient 0, not NaN, at 0."""
        zero = x == 0
        x = torch.where(zero, 1.0, x)
        root = ExactSqrt.apply(x) if x.dtype == torch.float64 else torch.sqrt(x)
        return torch.where(zero, 0.0, root)

    def protected_log(a: Tensor) -> Tensor:
        m = a.abs()
        ok = m > PROTECT_EPS
        return torch.where(ok, ln(torch.where(ok, m, 1.0)), 0.0)

    def protected_div(a: Tensor, b: Tensor) -> Tensor:
        ok = b.abs() > PROTECT_EPS
        return torch.where(ok, a / torch.where(ok, b, 1.0), 1.0)

    unary: dict[str, Callable[[Tensor], Tensor]] = {
        "neg": torch.neg,
        "abs": torch.abs,
        "log": protected_log,
        "sqrt": lambda a: safe_sqrt(a.abs()),
        "square": lambda a: a * a,
    }
    binary: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
        "add": torch.add,
        "sub": torch.sub,
        "mul": torch.mul,
        "div": protected_div,
        "min": torch.minimum,
        "max": torch.maximum,
    }

    class TorchSegments:
        """Layer rows grouped by architecture index, folded in row order."""

        def __init__(self, arch: Tensor, num_archs: int, dtype: Any) -> None:
            counts = torch.bincount(arch, minlength=num_archs)
            if counts.numel() > num_archs:
                expected = f"architecture indices below num_archs ({num_archs})"
                raise fail("arch", expected, str(int(arch.max())), ShapeError)
            self.arch = arch
            self.num_archs = num_archs
            self.order = torch.argsort(arch, stable=True)
            self.arch_sorted = arch[self.order]
            counts_np = counts.cpu().numpy()
            starts = np.concatenate([[0], np.cumsum(counts_np)[:-1]]).astype(np.int64)
            plan = FoldPlan(counts_np, starts)
            self.active = plan.active
            self.n_nonempty = plan.n_nonempty
            device = arch.device
            self.rows = torch.as_tensor(plan.rows, device=device)
            # position in fold order -> architecture (empty ones last)
            self.inverse = torch.as_tensor(np.argsort(plan.by_count, kind="stable"), device=device)
            self.counts = counts.to(dtype)
            self.empty = counts == 0

        def fold(self, op: Callable[[Tensor, Tensor], Tensor], grouped: Tensor) -> Tensor:
            head = grouped[self.rows[: self.n_nonempty]]
            done: list[Tensor] = []
            for k, n in enumerate(self.active[1:], start=1):
                if n < head.shape[0]:
                    done.append(head[n:])
                    head = head[:n]
                head = op(head, grouped[self.rows[:n] + k])
            empty = grouped.new_full((self.num_archs - self.n_nonempty,), math.nan)
            return torch.cat([head, *reversed(done), empty])[self.inverse]

        def reduce(self, name: str, values: Tensor) -> Tensor:
            v = values.expand(self.arch.shape)[self.order]
            if name == "sum_layers":
                return self.fold(torch.add, v)
            if name == "mean_layers":
                return self.fold(torch.add, v) / self.counts
            if name == "max_layers":
                return self.fold(torch.maximum, v)
            if name == "min_layers":
                return self.fold(torch.minimum, v)
            if name == "meanlog_layers":
                return self.fold(torch.add, protected_log(v)) / self.counts
            mean = self.fold(torch.add, v) / self.counts
            d = v - mean[self.arch_sorted]
            return safe_sqrt(self.fold(torch.add, d * d) / self.counts)

        def any(self, rows: Tensor) -> Tensor:
            hits = torch.zeros(self.num_archs, dtype=torch.int64, device=rows.device)
            return hits.index_add(0, self.arch, rows.to(torch.int64)) > 0

    class Batch:
        """A forward pass's inputs: the columns in one floating dtype, and the grouping."""

        def __init__(
            self,
            columns: Mapping[str, Any],
            features: Sequence[str],
            layerwise: bool,
            arch: Any,
            num_archs: int | None,
        ) -> None:
            check_tensor_columns(columns, features)
            tensors = {}
            for f in features:
                t = columns[f]
                if not isinstance(t, torch.Tensor):
                    t = torch.as_tensor(t)
                if t.ndim != 1:
                    expected = f"a 1-D tensor for column {f!r}"
                    raise fail("columns", expected, f"shape {tuple(t.shape)}", ShapeError)
                if t.is_complex() or t.dtype == torch.bool:
                    expected = f"real numbers in column {f!r}"
                    raise fail("columns", expected, str(t.dtype), ArgumentTypeError)
                tensors[f] = t
            floating = [t.dtype for t in tensors.values() if t.is_floating_point()]
            dtype = functools.reduce(torch.promote_types, floating) if floating else torch.float64
            self.columns = {f: t.to(dtype) for f, t in tensors.items()}
            self.dtype = dtype
            lengths = {f: t.shape[0] for f, t in self.columns.items()}
            _same_lengths(lengths)
            num_archs = check("num_archs", num_archs, _NUM_ARCHS)
            if arch is not None:
                arch = torch.as_tensor(arch)
            self.device = (
                next(iter(self.columns.values())).device
                if self.columns
                else (None if arch is None else arch.device)
            )
            if lengths:
                n_rows = next(iter(lengths.values()))
            elif arch is not None and arch.ndim == 1:
                n_rows = arch.shape[0]
            elif not layerwise and num_archs is not None:
                n_rows = num_archs
            else:
                expected = (
                    "num_archs (or arch) to count the architectures of a proxy that reads no column"
                )
                raise fail("columns", expected, "neither (tensors() gives all three)", ShapeError)
            self.n_rows = n_rows
            self.n_archs: int
            self.segments: TorchSegments | None = None
            if not layerwise:
                if arch is not None:
                    expected = "None for a flat proxy (one row per architecture)"
                    raise fail("arch", expected, "architecture indices")
                if num_archs is not None and num_archs != n_rows:
                    expected = f"the number of rows of a flat proxy's columns ({n_rows})"
                    raise fail("num_archs", expected, str(num_archs), ShapeError)
                self.n_archs = n_rows
            else:
                if arch is None:
                    expected = "the architecture index of every layer row for a layer-wise proxy"
                    raise fail("arch", expected, "None (see tensors())")
                arch = arch.to(self.device) if self.device is not None else arch
                if arch.ndim != 1 or arch.shape[0] != n_rows or arch.is_floating_point():
                    expected = f"a 1-D integer tensor with one entry per layer row ({n_rows})"
                    found = f"{arch.dtype} of shape {tuple(arch.shape)}"
                    raise fail("arch", expected, found, ShapeError)
                arch = arch.to(torch.int64)
                if num_archs is None:
                    num_archs = int(arch.max()) + 1 if n_rows else 0
                if n_rows and int(arch.min()) < 0:
                    found = str(int(arch.min()))
                    raise fail("arch", "non-negative architecture indices", found)
                self.segments = TorchSegments(arch, num_archs, dtype)
                self.n_archs = num_archs
            self._marks: dict[str, tuple[Tensor, Tensor]] = {}

        def marks(self, feature: str) -> tuple[Tensor, Tensor]:
            """Rows where ``feature`` holds the missing-value marker, and where it is NaN."""
            if feature not in self._marks:
                column = self.columns[feature]
                self._marks[feature] = (column.abs() == MISSING, torch.isnan(column))
            return self._marks[feature]

    class TorchBase(Module):
        features: tuple[str, ...]
        feature_names: tuple[str, ...]
        is_layerwise: bool
        formula: str

        def tensors(
            self,
            data: object,
            *,
            arch_column: str = ARCH_COLUMN,
            dtype: Any = None,
            device: Any = None,
        ) -> dict[str, Any]:
            """The keyword arguments of :meth:`forward` (``columns``, ``arch``, ``num_archs``),
            for ``module(**module.tensors(data))``, from anything :class:`ProxyFunction` takes
            (a DataFrame, a mapping of columns, an array; for a layer-wise proxy a long table, a
            LayerTable or ``(values, offsets)``): tensors (float64 unless ``dtype`` says
            otherwise, on ``device``) of the columns the proxy reads, for a layer-wise proxy each
            layer row's architecture index in table order (``None`` for a flat one), and the
            number of architectures."""
            inputs = numpy_inputs(
                data, self.feature_names, self.features, self.is_layerwise, arch_column
            )
            dtype = torch.float64 if dtype is None else dtype
            columns = {
                f: torch.from_numpy(np.array(c, dtype=np.float64)).to(dtype=dtype, device=device)
                for f, c in inputs.columns.items()
            }
            arch = None
            if inputs.segments is not None:
                row_arch = inputs.segments.row_arch
                arch = torch.as_tensor(row_arch, dtype=torch.int64, device=device)
            return {"columns": columns, "arch": arch, "num_archs": inputs.n_archs}

        def extra_repr(self) -> str:
            return repr(self.formula)

    class TorchProxy(TorchBase):
        """A zcfast expression as a PyTorch module.

        ``forward(columns, arch=None, num_archs=None)`` scores ``N`` architectures from
        ``columns``, a mapping of the proxy's column names to ``(N,)`` tensors; a layer-wise
        proxy takes one value per layer row instead, ``arch`` (the ``(n_layers,)`` integer
        tensor of each row's architecture index, rows in any order) and optionally
        ``num_archs`` (default ``arch.max() + 1``), and returns ``(num_archs,)`` scores.
        ``module(**module.tensors(data))`` scores a table.
        Computes in the columns' floating dtype (integers become float64); in float64 the
        scores equal :meth:`zcfast.Expression.evaluate`'s. An architecture where a column the
        proxy reads holds ±1e8 scores the dtype's lowest value (:data:`zcfast.DEGENERATE_SCORE`
        in float64); one where such a column is NaN, or without layers, scores NaN. Constants
        are the buffer (or, with ``trainable_constants``, the parameter) ``constants``.
        """

        def __init__(self, expression: Expression, trainable_constants: bool = False) -> None:
            super().__init__()
            check("expression", expression, _EXPRESSION)
            program = compile_program(expression)
            ops: list[tuple[str, Any]] = []
            constants: list[float] = []
            for kind, arg in program.ops:
                if kind == "const":
                    ops.append(("const", len(constants)))
                    constants.append(arg)
                else:
                    ops.append((kind, arg))
            values = torch.tensor(constants, dtype=torch.float64)
            if trainable_constants:
                self.constants = nn.Parameter(values)
            else:
                self.register_buffer("constants", values)
            self.ops = tuple(ops)
            self.formula = program.formula
            self.features = program.features
            self.feature_names = expression.feature_names
            self.is_layerwise = program.is_layerwise

        def forward(
            self,
            columns: Mapping[str, Tensor],
            arch: Tensor | None = None,
            num_archs: int | None = None,
        ) -> Tensor:
            batch = Batch(columns, self.features, self.is_layerwise, arch, num_archs)
            return self.score(batch)

        def score(self, batch: Batch) -> Tensor:
            constants = self.constants.to(device=batch.device, dtype=batch.dtype)
            stack: list[Tensor] = []
            for kind, arg in self.ops:
                if kind == "var":
                    stack.append(batch.columns[arg])
                elif kind == "const":
                    stack.append(constants[arg])
                elif kind == "reduce":
                    assert batch.segments is not None
                    stack.append(batch.segments.reduce(arg, stack.pop()))
                elif _ARITIES[arg] == 1:
                    stack.append(unary[arg](stack.pop()))
                else:
                    b = stack.pop()
                    stack.append(binary[arg](stack.pop(), b))
            out = stack.pop().expand(batch.n_archs)
            marked = torch.zeros(batch.n_rows, dtype=torch.bool, device=out.device)
            nan = torch.zeros_like(marked)
            for f in self.features:
                m, n = batch.marks(f)
                marked, nan = marked | m, nan | n
            if batch.segments is not None:
                marked, nan = batch.segments.any(marked), batch.segments.any(nan)
                nan = nan | batch.segments.empty
            out = torch.where(marked, torch.finfo(out.dtype).min, out)
            return torch.where(nan, math.nan, out)

    class TorchRankMean(TorchBase):
        """A zcfast ensemble as a PyTorch module: the members (``members``, TorchProxy
        modules) score the architectures, each score becomes its quantile among the member's
        reference scores (buffers ``reference0``, ``reference1``, ...), and the result is the
        mean quantile, or the dtype's lowest value (:data:`zcfast.DEGENERATE_SCORE` in
        float64) where any member's score is degenerate or NaN: what
        :meth:`zcfast.Ensemble.evaluate` computes. Inputs as for TorchProxy."""

        def __init__(self, ensemble: Ensemble) -> None:
            super().__init__()
            check("ensemble", ensemble, _ENSEMBLE)
            self.members = nn.ModuleList(TorchProxy(m) for m in ensemble.members)
            self.spans: list[float] = []
            for k, ref in enumerate(ensemble.references):
                self.register_buffer(f"reference{k}", torch.tensor(ref, dtype=torch.float64))
                self.spans.append(float(ref[-1] - ref[0]) or 1.0)
            self.formula = str(ensemble)
            self.feature_names = ensemble.feature_names
            self.features = tuple(ensemble.features)
            self.is_layerwise = ensemble.is_layerwise

        def forward(
            self,
            columns: Mapping[str, Tensor],
            arch: Tensor | None = None,
            num_archs: int | None = None,
        ) -> Tensor:
            batch = Batch(columns, self.features, self.is_layerwise, arch, num_archs)
            quantiles = []
            degenerate: Tensor | None = None
            for k, member in enumerate(self.members):
                s = member.score(batch)
                bad = (s == torch.finfo(s.dtype).min) | torch.isnan(s)
                degenerate = bad if degenerate is None else degenerate | bad
                ref = getattr(self, f"reference{k}").to(device=s.device, dtype=s.dtype)
                quantiles.append(self.quantiles(s, ref, self.spans[k]))
            total = quantiles[0]
            for q in quantiles[1:]:  # NumPy's order for a mean over the first axis
                total = total + q
            out = total / len(quantiles)
            assert degenerate is not None
            return torch.where(degenerate, torch.finfo(out.dtype).min, out)

        @staticmethod
        def quantiles(s: Tensor, ref: Tensor, span: float) -> Tensor:
            """zcfast.Ensemble's reference quantiles of ``s`` among the sorted ``ref``."""
            m = ref.shape[0]
            lo = torch.searchsorted(ref, s.detach(), side="left")
            hi = torch.searchsorted(ref, s.detach(), side="right")
            q = (lo + hi).to(s.dtype) / (2.0 * m)
            beyond_top = tanh((s - ref[-1]) / span)
            beyond_bottom = tanh((ref[0] - s) / span)
            q = torch.where(s > ref[-1], 1.0 + beyond_top / m, q)
            return torch.where(s < ref[0], -beyond_bottom / m, q)

    classes = {"TorchProxy": TorchProxy, "TorchRankMean": TorchRankMean}
    for name, cls in classes.items():
        cls.__module__ = __name__
        cls.__qualname__ = name
    return classes


def __getattr__(name: str) -> Any:
    # The sympy functions and torch modules are built when first needed (their packages are
    # optional and slow to import); naming them here lets pickle find them.
    if name in ("TorchProxy", "TorchRankMean"):
        return torch_classes()[name]
    if name in ("pdiv", "plog", "is_missing") or name in REDUCERS:
        return sympy_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
