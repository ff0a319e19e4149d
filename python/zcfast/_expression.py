"""Evolved expressions: readable, evaluable, serialisable."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from zcfast import _core
from zcfast._formula import check_names, parse_formula, printable_name
from zcfast._layers import ARCH_COLUMN, LayerTable, as_layer_table
from zcfast._messages import describe_value
from zcfast._params import Choice, Instance, Optional, check, fail, found_type
from zcfast._settings import FITNESSES
from zcfast._validate import as_table, check_width, frame_columns, is_dataframe, require_columns
from zcfast.exceptions import ArgumentTypeError, ShapeError

if TYPE_CHECKING:
    from zcfast._export import ProxyFunction, TorchProxy

__all__ = ["DEGENERATE_SCORE", "FUNCTIONS", "REDUCERS", "Expression"]

#: Functions an expression may use, with their (protected) meaning.
FUNCTIONS: dict[str, str] = {
    "add": "a + b",
    "sub": "a - b",
    "mul": "a * b",
    "div": "a / b, or 1 where |b| <= 1e-10",
    "neg": "-a",
    "abs": "|a|",
    "log": "ln|a|, or 0 where |a| <= 1e-10",
    "sqrt": "sqrt(|a|)",
    "square": "a^2",
    "min": "minimum of a and b",
    "max": "maximum of a and b",
}

#: Reductions a layer-wise expression may use: each maps its operand's values on one
#: architecture's layers to one number.
REDUCERS: dict[str, str] = {
    "sum_layers": "sum over the layers",
    "mean_layers": "mean over the layers",
    "max_layers": "largest value over the layers",
    "min_layers": "smallest value over the layers",
    "meanlog_layers": "mean over the layers of ln|a| (0 where |a| <= 1e-10)",
    "std_layers": "population standard deviation over the layers",
}

_UNARY = frozenset({"neg", "abs", "log", "sqrt", "square", *REDUCERS})
#: Every function and reduction a formula can call, with its number of arguments.
_ARITIES = {name: 1 if name in _UNARY else 2 for name in (*FUNCTIONS, *REDUCERS)}
_RESERVED = frozenset(_ARITIES)

#: The score of an architecture for which an expression reads a missing-value marker (±1e8,
#: the NAS-Bench-Suite-Zero sentinel) in a column it uses: the lowest float, below every real
#: score, so that degenerate architectures rank last.
DEGENERATE_SCORE: float = float(np.finfo(np.float64).min)

_JSON_FORMAT = "zcfast.expression/1"
#: What a flat expression is not, for a :class:`~zcfast.LayerTable`.
LAYERWISE_FOR_TABLE = (
    "a layer-wise expression (columns inside reductions such as mean_layers) for a LayerTable"
)
_TOKENS = Instance(list, tuple, what="a list of postfix tokens")
_METRIC = Optional(Choice(*FITNESSES))


def _mapping_frame(columns: Mapping[Any, Any], names: Sequence[str]) -> pl.DataFrame:
    """The columns ``names`` of a mapping (scalars or 1-D arrays of one length) as a frame."""
    require_columns("matrix", names, columns, "the expression reads")
    try:
        arrays = {n: np.atleast_1d(np.asarray(columns[n], dtype=np.float64)) for n in names}
        return pl.DataFrame(arrays)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        expected = "numbers or 1-D arrays of one length per column"
        raise fail("matrix", expected, str(exc), ShapeError) from None


def _missing_is_nan(out: np.ndarray, used: np.ndarray, offsets: np.ndarray | None) -> np.ndarray:
    """``out`` with NaN for every architecture where a column the formula reads is NaN (a
    missing input has no score; protected arithmetic would make one up, e.g. log(NaN) = 0)."""
    if used.size == 0:
        return out
    missing = np.isnan(used).any(axis=1)
    if offsets is not None and len(offsets) > 1:
        missing = np.logical_or.reduceat(missing, offsets[:-1])
    if missing.any():
        out = out.copy() if not out.flags.writeable else out
        out[missing] = np.nan
    return out


def check_score(name: str, value: object) -> float | None:
    """A fitness attribute: None or a finite number (as a float)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise fail(name, "a number or None", found_type(value), ArgumentTypeError)
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        number = math.inf
    if not math.isfinite(number):
        raise fail(name, "a finite number or None", describe_value(value))
    return number


def check_metric(metric: object) -> str | None:
    """The ``metric`` attribute: None or one of the fitness measures."""
    return check("metric", metric, _METRIC)


def load_json(text: object, what: str) -> dict[str, Any]:
    """The JSON object in ``text`` (str or bytes), with clear errors for anything else."""
    if not isinstance(text, (str, bytes, bytearray)):
        expected = f"JSON text (str or bytes) of {what}"
        raise fail("text", expected, type(text).__name__, ArgumentTypeError)
    try:
        data = json.loads(text)
    except RecursionError:
        raise fail("text", f"JSON of {what}", "JSON nested too deeply to read") from None
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        raise fail("text", f"JSON of {what}", f"invalid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise fail("text", f"a JSON object ({what})", type(data).__name__)
    return data


def check_document(data: object, fmt: str, what: str, lists: Sequence[str]) -> dict[str, Any]:
    """``data`` if it is a mapping in format ``fmt`` (a saved ``what``) whose keys ``lists``
    hold lists: what ``from_dict`` checks before reading it."""
    if not isinstance(data, dict):
        raise fail("data", "a mapping", type(data).__name__)
    if data.get("format") != fmt:
        from zcfast._load import KINDS

        kind = KINDS.get(str(data.get("format")), "")
        found = f"format {describe_value(data.get('format'))}" + (f": {kind}" if kind else "")
        raise fail("data", f"{what} in format {fmt!r}", found)
    for key in lists:
        if not isinstance(data.get(key), list):
            raise fail("data", f"{key!r} to be a list", describe_value(data.get(key)))
    return data


@dataclass(frozen=True)
class Expression:
    """A formula over named metric columns, e.g. ``log(synflow) * nwot / params``, or a
    layer-wise one over per-layer primitives, e.g. ``mean_layers(log(abs(wg_sum)) / fan_in)``.

    Stored as postfix tokens (function and reduction names, ``x<j>`` for column ``j`` of
    ``feature_names``, ``c<number>`` for constants). Expressions are immutable, hashable,
    picklable and round-trip exactly through :meth:`to_json`. A layer-wise expression
    (:attr:`is_layerwise`) evaluates on layer tables, one score per architecture.

    Attributes
    ----------
    tokens : tuple of str
        The formula in postfix order.
    feature_names : tuple of str
        Names of the columns the ``x<j>`` tokens refer to.
    fitness : float or None
        Training fitness (correlation on the training rows) when the expression was evolved.
    validation_fitness : float or None
        Fitness on the held-out validation rows, when a validation fraction was used.
    metric : str or None
        The correlation ``fitness`` refers to.

    Example
    -------
    >>> e = Expression.parse("log(synflow) * nwot", ["synflow", "nwot"])
    >>> e.evaluate(np.array([[10.0, 2.0], [100.0, 1.0]]))
    array([4.60517019, 4.60517019])
    """

    tokens: tuple[str, ...]
    feature_names: tuple[str, ...]
    fitness: float | None = field(default=None, compare=False)
    validation_fitness: float | None = field(default=None, compare=False)
    metric: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        check("tokens", self.tokens, _TOKENS)
        if not all(isinstance(t, str) for t in self.tokens):
            bad = next(t for t in self.tokens if not isinstance(t, str))
            raise fail("tokens", "postfix tokens (str)", found_type(bad), ArgumentTypeError)
        object.__setattr__(self, "tokens", tuple(self.tokens))
        object.__setattr__(self, "feature_names", check_names(self.feature_names))
        for name in ("fitness", "validation_fitness"):
            object.__setattr__(self, name, check_score(name, getattr(self, name)))
        object.__setattr__(self, "metric", check_metric(self.metric))
        _, _, max_feature, _ = _core.describe(list(self.tokens))
        if max_feature >= len(self.feature_names):
            expected = f"at least {max_feature + 1} names (the expression uses x{max_feature})"
            raise fail("feature_names", expected, str(len(self.feature_names)), ShapeError)

    # -- views -----------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of nodes."""
        return len(self.tokens)

    @property
    def depth(self) -> int:
        """Depth of the tree (a single column has depth 0)."""
        return int(_core.describe(list(self.tokens))[1])

    @property
    def is_layerwise(self) -> bool:
        """Whether the expression reduces over layers (evaluates on layer tables)."""
        return bool(_core.describe(list(self.tokens))[3])

    @property
    def features(self) -> list[str]:
        """Names of the columns the formula uses, in order of first use."""
        seen: dict[str, None] = {}
        for t in self.tokens:
            if t.startswith("x") and t[1:].isdigit():
                seen.setdefault(self.feature_names[int(t[1:])], None)
        return list(seen)

    def __str__(self) -> str:
        names = [printable_name(n, _RESERVED) for n in self.feature_names]
        return str(_core.format_infix(list(self.tokens), names))

    def __reduce__(self) -> tuple[Any, ...]:
        # Unpickling goes through __init__, so a tampered pickle is validated like any input.
        return (
            Expression,
            (self.tokens, self.feature_names, self.fitness, self.validation_fitness, self.metric),
        )

    def __repr__(self) -> str:
        fit = "" if self.fitness is None else f", fitness={self.fitness:.4f}"
        return f"Expression({str(self)!r}, size={self.size}{fit})"

    # -- evaluation ------------------------------------------------------------------------

    def evaluate(self, matrix: object, *, arch_column: str = ARCH_COLUMN) -> np.ndarray:
        """Scores every architecture of ``matrix``.

        Parameters
        ----------
        matrix : DataFrame, mapping or 2-D array-like; for a layer-wise expression, a layer table
            A polars/pandas DataFrame is matched by column name (other columns are ignored),
            as is a mapping of column names to values or 1-D arrays (e.g. the dict
            :func:`zcfast.metrics.compute` returns, which scores one architecture); an array
            must have the columns of ``feature_names`` in that order. A layer-wise
            expression takes what :func:`zcfast.evolve_layerwise` takes: a long table with
            an ``arch_column`` (columns matched by name), a :class:`zcfast.LayerTable`, or
            ``(values, offsets)`` arrays (columns in ``feature_names`` order).
        arch_column : str
            The architecture column of a long layer table.

        Returns
        -------
        numpy.ndarray of float64, one score per row, or for a layer-wise expression one per
        architecture in table order (``LayerTable.archs``: first appearance in a long table).
        An architecture where a column the formula uses holds the missing-value marker ±1e8
        scores :data:`DEGENERATE_SCORE` (it ranks last); one where such a column is NaN
        scores NaN. Where the formula overflows the score is inf or NaN; rank-based uses treat
        such scores as invalid.

        Example
        -------
        >>> e = Expression.parse("nwot / params", ["nwot", "params"])
        >>> e.evaluate(pl.DataFrame({"params": [1.0, 4.0], "nwot": [2.0, 3.0]}))  # by name
        array([2.  , 0.75])
        """
        if self.is_layerwise:
            return self._evaluate_layers(matrix, arch_column)
        if isinstance(matrix, LayerTable):
            raise fail("matrix", LAYERWISE_FOR_TABLE, f"the flat expression {str(self)!r}")
        if isinstance(matrix, Mapping):
            matrix = _mapping_frame(matrix, self.features)
        if is_dataframe(matrix):
            table = frame_columns(matrix, self.features)
            out = np.asarray(_core.evaluate(self._tokens_over(self.features), table.values))
            return _missing_is_nan(out, table.values, None)
        table = as_table(matrix, None, min_rows=1)
        check_width("matrix", table.values, self.feature_names)
        out = np.asarray(_core.evaluate(list(self.tokens), table.values))
        return _missing_is_nan(out, table.values[:, self._columns()], None)

    def _columns(self) -> list[int]:
        """Positions in ``feature_names`` of the columns the formula reads."""
        return [self.feature_names.index(f) for f in self.features]

    def _evaluate_layers(self, layers: object, arch_column: str) -> np.ndarray:
        by_position = isinstance(layers, tuple) and not isinstance(layers, LayerTable)
        table = as_layer_table(layers, arch_column)
        if by_position:
            check_width("layers", table.values, self.feature_names)
            tokens = list(self.tokens)
            used = table.values[:, self._columns()]
        else:
            table = table.select(self.features)
            tokens = self._tokens_over(self.features)
            used = table.values
        out = np.asarray(_core.evaluate(tokens, table.values, table.offsets))
        return _missing_is_nan(out, used, table.offsets)

    def _tokens_over(self, columns: Sequence[str]) -> list[str]:
        """The tokens with features renumbered as positions in ``columns``."""
        position = {n: i for i, n in enumerate(columns)}
        return [
            f"x{position[self.feature_names[int(t[1:])]]}"
            if t.startswith("x") and t[1:].isdigit()
            else t
            for t in self.tokens
        ]

    def score(
        self,
        matrix: object,
        targets: object,
        fitness: str = "spearman",
        *,
        top_fraction: float = 0.1,
    ) -> float:
        """The fitness measure ``fitness`` (any of :data:`zcfast.Settings`' choices) of the
        expression's scores on ``matrix`` against ``targets``.

        Example
        -------
        >>> e = Expression.parse("nwot / params", ["nwot", "params"])
        >>> e.score(np.array([[2.0, 1.0], [3.0, 4.0], [1.0, 1.0]]), [3.0, 1.0, 2.0])
        1.0
        """
        from zcfast._stats import measure

        return measure(fitness, self.evaluate(matrix), targets, top_fraction)

    # -- serialisation ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (what :meth:`to_json` writes)."""
        return {
            "format": _JSON_FORMAT,
            "formula": str(self),
            "postfix": list(self.tokens),
            "feature_names": list(self.feature_names),
            "fitness": self.fitness,
            "validation_fitness": self.validation_fitness,
            "metric": self.metric,
        }

    def to_json(self) -> str:
        """JSON text that :meth:`from_json` turns back into an equal expression.

        Example
        -------
        >>> e = Expression.parse("log(synflow) * nwot", ["synflow", "nwot"])
        >>> Expression.from_json(e.to_json()) == e
        True
        """
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Expression:
        check_document(data, _JSON_FORMAT, "an expression", ("postfix", "feature_names"))
        return cls(
            tokens=tuple(data["postfix"]),
            feature_names=tuple(data["feature_names"]),
            fitness=data.get("fitness"),
            validation_fitness=data.get("validation_fitness"),
            metric=data.get("metric"),
        )

    @classmethod
    def from_json(cls, text: str) -> Expression:
        """Reads an expression written by :meth:`to_json`."""
        return cls.from_dict(load_json(text, "an expression"))

    @classmethod
    def parse(cls, formula: str, feature_names: Sequence[str]) -> Expression:
        """Builds an expression from infix text, e.g. a formula from a paper.

        Supports ``+ - * /``, unary ``-``, ``x**2`` / ``x^2`` (square), numbers, column names
        (bare if they are identifiers, else in backticks: `` `grad norm` ``, as ``str()``
        writes them; matched exactly, without Unicode normalisation), the calls ``log sqrt
        abs neg square min max add sub mul div`` and the reductions of :data:`REDUCERS`
        (``mean_layers(...)``, ...). Division and ``log`` get zcfast's protected meaning.
        Precedence is Python's; ``-2.5`` is a constant, ``-(2.5)`` its negation. Any nesting
        within 1,000,000 characters reads (in linear time), so ``parse(str(e))`` gives back
        ``e`` for every expression ``e`` whose text is that short.

        Example
        -------
        >>> str(Expression.parse("log(synflow)*nwot/params", ["synflow", "nwot", "params"]))
        'log(synflow) * nwot / params'
        """
        names = check_names(feature_names)
        return cls(tokens=tuple(parse_formula(formula, names, _ARITIES)), feature_names=names)

    def with_fitness(
        self, fitness: float | None, validation_fitness: float | None = None
    ) -> Expression:
        return replace(self, fitness=fitness, validation_fitness=validation_fitness)

    # -- export ----------------------------------------------------------------------------

    def to_latex(self, names: Mapping[str, str] | None = None) -> str:
        r"""The formula as LaTeX (math mode, without delimiters), written by zcfast: no extra
        package needed.

        Columns are upright (``\mathrm{grad\_norm}``; a one-letter name stays as it is), or
        what ``names`` maps them to. Division is ``\frac``; ``log`` and ``sqrt`` act on
        ``|a|`` and are written so; the reductions are ``\sum_{\ell}``,
        ``\operatorname{mean}_{\ell}``, ``\max_{\ell}``, ``\min_{\ell}``,
        ``\operatorname{mean}_{\ell} \log|\cdot|`` and ``\operatorname{std}_{\ell}`` over the
        layers ``\ell`` of an architecture, whose per-layer columns carry the subscript
        ``\ell``. The protection of ``/`` and ``log`` at 1e-10 is part of zcfast's definition
        of these operators and is not written.

        Example
        -------
        >>> e = Expression.parse("log(synflow) * nwot / params", ["synflow", "nwot", "params"])
        >>> print(e.to_latex())
        \frac{\log\left|\mathrm{synflow}\right| \cdot \mathrm{nwot}}{\mathrm{params}}
        >>> print(Expression.parse("sum_layers(sqrt(wg_sum) - 1e-05)", ["wg_sum"]).to_latex())
        \sum_{\ell} \left(\sqrt{\left|\mathrm{wg\_sum}_{\ell}\right|} - 10^{-5}\right)
        """
        from zcfast._export import expression_latex

        return expression_latex(self, names)

    def to_sympy(
        self, *, protected: bool = True, degenerate: bool = False, arch: str = "arch"
    ) -> Any:
        """The formula as a sympy expression (``pip install 'zcfast[sympy]'``).

        Columns are real symbols, ``sympy.Symbol(name, real=True)`` (``expr.free_symbols``;
        ``sympy.lambdify`` matches arguments by name, so ``sympy.Symbol(name)`` works there).
        With ``protected`` (the default) ``div`` and ``log`` are the sympy functions
        ``pdiv(a, b)`` and ``plog(a)``, zcfast's protected operators: they evaluate,
        differentiate, print to LaTeX and lambdify with zcfast's meaning, and
        ``expr.rewrite(sympy.Piecewise)`` spells them out as ``Piecewise((a/b, Abs(b) > 1e-10),
        (1, True))`` and ``Piecewise((log(Abs(a)), Abs(a) > 1e-10), (0, True))`` (a spelling
        not to ``simplify`` inside reductions: sympy would move the conditions out of them).
        ``protected=False`` writes ``a/b`` and ``log(Abs(a))``, which read and simplify better
        and agree away from the thresholds. ``sqrt`` is ``sqrt(Abs(a))``, ``square`` ``a**2``,
        ``min``/``max`` ``Min``/``Max``. ``sympy.lambdify`` with NumPy gives :meth:`evaluate`'s
        scores (to rounding: sympy reorders sums and products).

        A reduction is a function of the per-layer expression and of the symbol ``arch``
        (each layer's architecture key): ``mean_layers(plog(...), arch)`` is, per architecture,
        the mean over its layers; these functions carry their NumPy implementation, so
        ``sympy.lambdify([*columns, arch], expr)`` runs on per-layer arrays plus the key of each
        layer and returns one value per architecture, in order of first appearance.

        ``degenerate=True`` adds the missing-value rule, ``Piecewise((DEGENERATE_SCORE,
        Eq(Abs(x), 1e8) | ...), (f, True))`` over the columns used (for a layer-wise formula,
        over any layer: ``Eq(max_layers(is_missing(x, ...), arch), 1)``). NaN inputs are not
        covered: :meth:`evaluate` scores them NaN, the protected operators would not.

        Example
        -------
        >>> e = Expression.parse("log(synflow) * nwot / params", ["synflow", "nwot", "params"])
        >>> e.to_sympy()
        pdiv(nwot*plog(synflow), params)
        >>> e.to_sympy(protected=False)
        nwot*log(Abs(synflow))/params
        >>> import sympy
        >>> columns = [sympy.Symbol(n) for n in e.features]
        >>> f = sympy.lambdify(columns, e.to_sympy())
        >>> f(np.array([10.0, 100.0]), np.array([2.0, 3.0]), np.array([4.0, 0.0]))
        array([1.15129255, 1.        ])
        """
        from zcfast._export import expression_sympy

        return expression_sympy(self, protected=protected, degenerate=degenerate, arch=arch)

    def to_function(self) -> ProxyFunction:
        """The expression as a NumPy function of a table's columns, independent of zcfast's Rust
        core: ``f(data)`` scores the architectures of ``data`` exactly as :meth:`evaluate`
        does (the same operations in the same order, missing-value rules included).

        ``data`` is a mapping of column names to 1-D arrays, a polars/pandas DataFrame or a 2-D
        array in ``feature_names`` order; for a layer-wise expression a long table (DataFrame
        or mapping of columns with an ``arch_column``, default ``"arch"``), a
        :class:`zcfast.LayerTable` or ``(values, offsets)``. The function pickles.

        Example
        -------
        >>> e = Expression.parse("log(synflow) * nwot / params", ["synflow", "nwot", "params"])
        >>> f = e.to_function()
        >>> f({"synflow": [10.0, 100.0], "nwot": [2.0, 3.0], "params": [4.0, 0.0]})
        array([1.15129255, 1.        ])
        """
        from zcfast._export import ProxyFunction

        return ProxyFunction(self)

    def to_torch(self, *, trainable_constants: bool = False) -> TorchProxy:
        """The expression as a PyTorch module (``pip install 'zcfast[torch]'``).

        ``module(columns)`` takes a mapping of column names to ``(N,)`` tensors and returns the
        ``N`` scores; a layer-wise expression takes per-layer tensors, ``arch`` (each layer
        row's architecture index, an integer tensor) and optionally ``num_archs``:
        ``module(columns, arch)``. ``module(**module.tensors(data))`` scores what
        :meth:`to_function` takes (``tensors`` gives ``columns``, ``arch`` and ``num_archs``).
        It runs on any device, in the inputs' floating dtype; in float64 its scores equal
        :meth:`evaluate`'s, missing-value rules included (the dtype's lowest value,
        :data:`DEGENERATE_SCORE` in float64, for a column holding ±1e8). Gradients flow where
        the formula is differentiable (0 at the protection thresholds and at ``sqrt(0)``);
        ``trainable_constants=True`` makes the constants a parameter.

        Example
        -------
        >>> import torch
        >>> e = Expression.parse("log(synflow) * nwot / params", ["synflow", "nwot", "params"])
        >>> m = e.to_torch()
        >>> m({n: torch.tensor([v], dtype=torch.float64) for n, v in zip(e.features, [10, 2, 4])})
        tensor([1.1513], dtype=torch.float64)
        """
        from zcfast._export import expression_torch

        return expression_torch(self, trainable_constants=trainable_constants)
