"""``zcfast.Ensemble``: several evolved expressions combined by averaging their ranks.

Each member's score for an architecture becomes its quantile among the member's scores on a
reference set of architectures (the training architectures, or any table given with
:meth:`Ensemble.with_reference`), and the ensemble's score is the mean quantile. A member that
extrapolates wildly on an architecture unlike its training data moves that architecture by at
most one reference step, so the top of the ensemble's ranking is where its members agree: the
property that makes bagged ensembles pick good architectures where single formulas pick
outliers.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from zcfast._expression import (
    DEGENERATE_SCORE,
    Expression,
    _mapping_frame,
    check_metric,
    check_score,
    load_json,
)
from zcfast._layers import ARCH_COLUMN, LayerTable
from zcfast._messages import describe_value
from zcfast._quantiles import QuantileColumn, column_quantiles
from zcfast._validate import (
    as_array,
    as_table,
    describe_shape,
    frame_columns,
    is_dataframe,
    label_name,
)
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, ShapeError

if TYPE_CHECKING:
    from zcfast._export import ProxyFunction, TorchRankMean
    from zcfast._torch_quantiles import QuantileRankMean

__all__ = ["Ensemble"]

_JSON_FORMAT = "zcfast.ensemble/1"


def reference_quantiles(scores: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Mid-rank quantiles of ``scores`` among the sorted ``reference`` scores, in [0, 1] inside
    the reference's range and within one reference step (``1/len``) beyond it, where the
    distance past the range is squashed by ``tanh`` (so order is kept, influence bounded)."""
    m = len(reference)
    lo = np.searchsorted(reference, scores, side="left")
    hi = np.searchsorted(reference, scores, side="right")
    q = (lo + hi) / (2.0 * m)
    span = float(reference[-1] - reference[0]) or 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        beyond_top = np.tanh((scores - reference[-1]) / span)
        beyond_bottom = np.tanh((reference[0] - scores) / span)
    q = np.where(scores > reference[-1], 1.0 + beyond_top / m, q)
    return np.where(scores < reference[0], -beyond_bottom / m, q)


@dataclass(frozen=True)
class Ensemble:
    """A rank-average of expressions over the same columns; evaluates like an Expression.

    Attributes
    ----------
    members : tuple of Expression
        The combined formulas (all flat, or all layer-wise).
    references : tuple of tuple of float
        Each member's sorted scores on the reference architectures.
    fitness, validation_fitness, metric
        As for :class:`Expression`: the ensemble's own training (validation) fitness.
    quantile_columns : tuple of QuantileColumn
        Quantile columns the members may read besides the table's columns (flat members
        only): ``q_c`` is the quantile of column ``c`` among the training architectures'
        values, which each entry keeps; :meth:`evaluate` computes them from ``c``, so the
        ensemble takes the plain columns (:attr:`feature_names`). See
        :meth:`member_inputs`.

    Example
    -------
    >>> X, y = zcfast.datasets.features_and_targets(zcfast.datasets.load_demo())
    >>> result = zcfast.evolve(X[:100], y[:100], ensemble=10, generations=10, seed=0)
    >>> result.best.evaluate(X[100:]).shape      # one score per held-out architecture
    (200,)
    """

    members: tuple[Expression, ...]
    references: tuple[tuple[float, ...], ...]
    fitness: float | None = field(default=None, compare=False)
    validation_fitness: float | None = field(default=None, compare=False)
    metric: str | None = field(default=None, compare=False)
    quantile_columns: tuple[QuantileColumn, ...] = ()

    def __post_init__(self) -> None:
        members, references = self.members, self.references
        for name, value in (("members", members), ("references", references)):
            if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
                raise ArgumentTypeError(
                    f"{name}: expected a list (one entry per member), found {describe_value(value)}"
                )
        if not members:
            raise ShapeError("members: expected at least one expression, found none")
        for i, m in enumerate(members):
            if not isinstance(m, Expression):
                raise ArgumentTypeError(
                    f"members[{i}]: expected a zcfast.Expression, found {type(m).__name__}"
                )
        if len(references) != len(members):
            raise ShapeError(
                f"references: expected one per member ({len(members)}), found {len(references)}"
            )
        names = members[0].feature_names
        for i, m in enumerate(members):
            if m.feature_names != names:
                raise InvalidValueError(
                    f"members[{i}]: expected an expression over the columns of members[0]"
                    f" ({list(names)[:20]}), found one over {list(m.feature_names)[:20]}"
                )
        kinds = {m.is_layerwise for m in members}
        if len(kinds) > 1:
            raise InvalidValueError(
                "members: expected all flat or all layer-wise expressions, found a mix"
            )
        object.__setattr__(self, "members", tuple(members))
        object.__setattr__(
            self, "references", tuple(_reference(i, r) for i, r in enumerate(references))
        )
        for name in ("fitness", "validation_fitness"):
            object.__setattr__(self, name, check_score(name, getattr(self, name)))
        object.__setattr__(self, "metric", check_metric(self.metric))
        object.__setattr__(
            self, "quantile_columns", _check_quantile_columns(self.quantile_columns, members)
        )

    @classmethod
    def from_members(
        cls,
        members: Sequence[Expression],
        reference: object,
        *,
        arch_column: str = ARCH_COLUMN,
        quantile_columns: Sequence[QuantileColumn] = (),
    ) -> Ensemble:
        """An ensemble of ``members`` referenced to the architectures of ``reference`` (a
        matrix or layer table of the columns the ensemble takes; degenerate architectures are
        left out). ``quantile_columns``: the quantile columns the members may read.

        Example
        -------
        >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
        >>> members = [Expression.parse(f, ["a", "b"]) for f in ("a", "a / b")]
        >>> Ensemble.from_members(members, X).references
        ((1.0, 2.0, 3.0), (0.5, 0.6, 2.0))
        """
        if isinstance(members, (str, bytes)) or not isinstance(members, Sequence):
            raise ArgumentTypeError(
                f"members: expected a list of zcfast.Expression, found {describe_value(members)}"
            )
        template = cls(
            tuple(members),
            tuple((0.0,) for _ in members),
            quantile_columns=tuple(quantile_columns),
        )
        return template.with_reference(reference, arch_column=arch_column)

    def with_reference(self, reference: object, *, arch_column: str = ARCH_COLUMN) -> Ensemble:
        """The same members, with quantiles taken among the architectures of ``reference``
        (e.g. a search's whole table: ranks among the candidates). Quantile columns keep
        their training references: they are part of what the members compute."""
        scores = self.member_scores(reference, arch_column=arch_column)
        return replace(self, references=_references(self.members, scores))

    def outside_reference(self, matrix: object, *, arch_column: str = ARCH_COLUMN) -> np.ndarray:
        """Per architecture of ``matrix``, the share of members whose score lies outside the
        range of their reference scores (the training architectures', unless
        :meth:`with_reference` replaced them). Near 1 for most architectures means the proxy
        is applied to values unlike those it was evolved on.

        Example
        -------
        >>> X = np.array([[1.0], [2.0], [4.0]])
        >>> e = Ensemble.from_members([Expression.parse("a", ["a"])], X)
        >>> e.outside_reference(np.array([[3.0], [40.0]]))
        array([0., 1.])
        """
        scores = self.member_scores(matrix, arch_column=arch_column)
        outside = [(s < ref[0]) | (s > ref[-1]) for s, ref in zip(scores, self.references)]
        return np.mean(outside, axis=0)

    def member_inputs(self, matrix: object) -> object:
        """What the members evaluate for the architectures of ``matrix`` (inputs as for
        :meth:`evaluate`): ``matrix`` itself, or with quantile columns an array of the
        members' columns (:attr:`Expression.feature_names` of a member: the table's columns,
        then the quantile columns computed from them). Member formulas, and
        ``EvolveResult.front``, evaluate on it.

        Example
        -------
        >>> X = np.array([[1.0], [2.0], [4.0]])
        >>> q = QuantileColumn("q_a", "a", (1.0, 2.0, 4.0))
        >>> e = Ensemble.from_members([Expression.parse("q_a", ["a", "q_a"])], X,
        ...                           quantile_columns=[q])
        >>> e.member_inputs(X)
        array([[1.        , 0.16666667],
               [2.        , 0.5       ],
               [4.        , 0.83333333]])
        """
        if not self.quantile_columns:
            return matrix
        raw = self.feature_names
        if isinstance(matrix, LayerTable):
            raise InvalidValueError(
                "matrix: expected a flat table (one row per architecture) for an ensemble with"
                " quantile columns, found a LayerTable"
            )
        # the columns the members read, and any other of the ensemble's columns the table
        # has (every quantile column whose column is given is computed: front formulas read
        # quantile columns the final members may not)
        given = set(raw)
        if isinstance(matrix, Mapping) or is_dataframe(matrix):
            if type(matrix).__name__ == "LazyFrame":
                matrix = cast(Any, matrix).collect()
            labels = matrix if isinstance(matrix, Mapping) else cast(Any, matrix).columns
            present = {label_name(c) for c in labels}
            given = {n for n in raw if n in present} | set(self.features)
            needed = [n for n in raw if n in given]
            if isinstance(matrix, Mapping):
                matrix = _mapping_frame(matrix, needed)
            table = frame_columns(matrix, needed)
            values = np.zeros((table.values.shape[0], len(raw)))
            for j, name in enumerate(table.names):
                values[:, raw.index(name)] = table.values[:, j]
        else:
            values = as_table(matrix, None, min_rows=1).values
            if values.shape[1] != len(raw):
                raise ShapeError(
                    f"matrix: expected {len(raw)} columns ({', '.join(raw)}), found"
                    f" {values.shape[1]}"
                )
        names = self.members[0].feature_names
        out = np.zeros((values.shape[0], len(names)))
        out[:, : len(raw)] = values
        for q in self.quantile_columns:
            if q.column in given:
                out[:, names.index(q.name)] = q.of(values[:, raw.index(q.column)])
        return out

    @property
    def used_quantile_columns(self) -> tuple[QuantileColumn, ...]:
        """The quantile columns some member reads."""
        read = {f for m in self.members for f in m.features}
        return tuple(q for q in self.quantile_columns if q.name in read)

    def member_scores(self, matrix: object, *, arch_column: str = ARCH_COLUMN) -> list[np.ndarray]:
        """Each member's scores of the architectures of ``matrix``."""
        inputs = self.member_inputs(matrix)
        return [m.evaluate(inputs, arch_column=arch_column) for m in self.members]

    # -- views -----------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Total number of nodes of the members."""
        return sum(m.size for m in self.members)

    @property
    def depth(self) -> int:
        return max(m.depth for m in self.members)

    @property
    def is_layerwise(self) -> bool:
        return self.members[0].is_layerwise

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The columns the ensemble takes (the members' columns but the quantile columns)."""
        names = self.members[0].feature_names
        if not self.quantile_columns:
            return names
        computed = {q.name for q in self.quantile_columns}
        return tuple(n for n in names if n not in computed)

    @property
    def features(self) -> list[str]:
        """Columns any member uses, in order of first use (for a quantile column, the
        column it is computed from)."""
        source = {q.name: q.column for q in self.quantile_columns}
        return list(dict.fromkeys(source.get(f, f) for m in self.members for f in m.features))

    def __str__(self) -> str:
        return f"rank_mean({'; '.join(str(m) for m in self.members)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Unpickling goes through __init__, so a tampered pickle is validated like any input.
        return (
            Ensemble,
            (
                self.members,
                self.references,
                self.fitness,
                self.validation_fitness,
                self.metric,
                self.quantile_columns,
            ),
        )

    def __repr__(self) -> str:
        fit = "" if self.fitness is None else f", fitness={self.fitness:.4f}"
        return f"Ensemble({len(self.members)} members{fit})"

    # -- evaluation ------------------------------------------------------------------------

    def evaluate(self, matrix: object, *, arch_column: str = ARCH_COLUMN) -> np.ndarray:
        """Mean over the members of each architecture's reference quantile; an architecture
        that is degenerate for any member (a missing-value marker in a column it reads) scores
        :data:`zcfast.DEGENERATE_SCORE`. Inputs as for :meth:`Expression.evaluate`.

        Example
        -------
        >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
        >>> members = [Expression.parse(f, ["a", "b"]) for f in ("a", "a / b")]
        >>> Ensemble.from_members(members, X).evaluate(X)
        array([0.16666667, 0.66666667, 0.66666667])
        """
        scores = self.member_scores(matrix, arch_column=arch_column)
        degenerate = np.zeros(len(scores[0]), dtype=bool)
        quantiles = []
        for s, ref in zip(scores, self.references):
            degenerate |= (s == DEGENERATE_SCORE) | np.isnan(s)
            quantiles.append(reference_quantiles(s, np.asarray(ref)))
        out = np.mean(quantiles, axis=0)
        out[degenerate] = DEGENERATE_SCORE
        return out

    def score(
        self,
        matrix: object,
        targets: object,
        fitness: str = "spearman",
        *,
        top_fraction: float = 0.1,
    ) -> float:
        """The fitness measure ``fitness`` of the ensemble's scores against ``targets``."""
        from zcfast._stats import measure

        return measure(fitness, self.evaluate(matrix), targets, top_fraction)

    def with_fitness(
        self, fitness: float | None, validation_fitness: float | None = None
    ) -> Ensemble:
        return replace(self, fitness=fitness, validation_fitness=validation_fitness)

    # -- export ----------------------------------------------------------------------------

    def to_latex(self, names: Mapping[str, str] | None = None) -> str:
        r"""The ensemble as LaTeX: ``\frac{1}{K} \left(Q_{1}\left[f_1\right] + \dots +
        Q_{K}\left[f_K\right]\right)``, the members written as :meth:`Expression.to_latex`
        writes them and ``Q_k`` standing for the quantile among member ``k``'s reference
        scores (within one reference step beyond their range, squashed), so the score is the
        mean quantile. No extra package needed.

        Example
        -------
        >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
        >>> members = [Expression.parse(f, ["a", "b"]) for f in ("a", "a / b")]
        >>> print(Ensemble.from_members(members, X).to_latex())
        \frac{1}{2} \left(Q_{1}\left[a\right] + Q_{2}\left[\frac{a}{b}\right]\right)
        """
        from zcfast._export import _check_latex_names, ensemble_latex, latex_name

        if not self.quantile_columns:
            return ensemble_latex(self, names)
        given = dict(_check_latex_names(names) or {})
        shown = {
            q.name: rf"q\left({given.get(q.column, latex_name(q.column))}\right)"
            for q in self.quantile_columns
        }
        return ensemble_latex(self._plain(), {**given, **shown})

    def to_sympy(
        self, *, protected: bool = True, degenerate: bool = False, arch: str = "arch"
    ) -> Any:
        """The ensemble as a sympy expression (``pip install 'zcfast[sympy]'``):
        ``rank_mean(f_1, ..., f_K)``, the members as :meth:`Expression.to_sympy` writes them
        (same options). ``rank_mean`` is a sympy function that carries the members' reference
        scores and means: quantile of each ``f_k`` among member ``k``'s reference scores, then
        the mean, :data:`zcfast.DEGENERATE_SCORE` where any member is degenerate or NaN;
        ``sympy.lambdify`` runs it as :meth:`evaluate`. As lambdified arithmetic may differ
        from zcfast's in the last bits, it takes a score within 1e-12 (relative) of a
        reference score for that score, so that ties with reference architectures stay ties.

        Example
        -------
        >>> import sympy
        >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
        >>> members = [Expression.parse(f, ["a", "b"]) for f in ("a", "a * b")]
        >>> ensemble = Ensemble.from_members(members, X)
        >>> ensemble.to_sympy()
        rank_mean(a, a*b)
        >>> sympy.lambdify(sympy.symbols("a b"), ensemble.to_sympy())(X[:, 0], X[:, 1])
        array([0.25      , 0.41666667, 0.83333333])
        """
        from zcfast._export import ensemble_sympy, require_sympy

        out = ensemble_sympy(self._plain(), protected=protected, degenerate=degenerate, arch=arch)
        if not self.quantile_columns:
            return out
        sympy = require_sympy()
        from sympy.utilities.lambdify import implemented_function

        swaps = {}
        for q in self.used_quantile_columns:
            quantiles = functools.partial(column_quantiles, reference=q.reference_array)
            function = implemented_function(sympy.Function(q.name), quantiles)
            swaps[sympy.Symbol(q.name, real=True)] = function(sympy.Symbol(q.column, real=True))
        return out.xreplace(swaps)

    def to_function(self) -> ProxyFunction:
        """The ensemble as a NumPy function of a table's columns, independent of zcfast's Rust
        core and computing exactly what :meth:`evaluate` computes: the members' scores, their
        quantiles among the reference scores the function carries, the mean. Inputs as for
        :meth:`Expression.to_function`.

        Example
        -------
        >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
        >>> members = [Expression.parse(f, ["a", "b"]) for f in ("a", "a * b")]
        >>> Ensemble.from_members(members, X).to_function()({"a": X[:, 0], "b": X[:, 1]})
        array([0.25      , 0.41666667, 0.83333333])
        """
        from zcfast._export import ProxyFunction

        if not self.quantile_columns:
            return ProxyFunction(self)
        return _quantile_function(self)

    def to_torch(self) -> TorchRankMean | QuantileRankMean:
        """The ensemble as a PyTorch module (``pip install 'zcfast[torch]'``) computing what
        :meth:`evaluate` computes, the quantile step included (the reference scores are
        buffers of the module); inputs as for :meth:`Expression.to_torch`. The rank step has
        zero gradient almost everywhere.

        Example
        -------
        >>> import torch
        >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
        >>> members = [Expression.parse(f, ["a", "b"]) for f in ("a", "a * b")]
        >>> m = Ensemble.from_members(members, X).to_torch()
        >>> m({"a": torch.tensor(X[:, 0]), "b": torch.tensor(X[:, 1])})
        tensor([0.2500, 0.4167, 0.8333], dtype=torch.float64)
        """
        from zcfast._export import ensemble_torch

        if not self.quantile_columns:
            return ensemble_torch(self)
        from zcfast._torch_quantiles import quantile_module

        return quantile_module(self, ensemble_torch(self._plain()))

    def _plain(self) -> Ensemble:
        """The same members as an ensemble over the members' own columns, quantile columns
        included as plain inputs (what the exports compute from the columns)."""
        return replace(self, quantile_columns=())

    # -- serialisation ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (what :meth:`to_json` writes)."""
        out = {
            "format": _JSON_FORMAT,
            "formula": str(self),
            "members": [m.to_dict() for m in self.members],
            "references": [list(r) for r in self.references],
            "fitness": self.fitness,
            "validation_fitness": self.validation_fitness,
            "metric": self.metric,
        }
        if self.quantile_columns:
            out["quantile_columns"] = [q.to_dict() for q in self.quantile_columns]
        return out

    def to_json(self) -> str:
        """JSON text that :meth:`from_json` turns back into an equal ensemble."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ensemble:
        if not isinstance(data, dict):
            raise InvalidValueError(f"data: expected a mapping, found {type(data).__name__}")
        if data.get("format") != _JSON_FORMAT:
            from zcfast._load import KINDS

            found = KINDS.get(str(data.get("format")), "")
            raise InvalidValueError(
                f"data: expected an ensemble in format {_JSON_FORMAT!r},"
                f" found format {describe_value(data.get('format'))}"
                + (f": {found}" if found else "")
            )
        for key in ("members", "references"):
            if not isinstance(data.get(key), list):
                raise InvalidValueError(
                    f"data: expected {key!r} to be a list, found {describe_value(data.get(key))}"
                )
        return cls(
            members=tuple(Expression.from_dict(m) for m in data["members"]),
            references=tuple(data["references"]),
            fitness=data.get("fitness"),
            validation_fitness=data.get("validation_fitness"),
            metric=data.get("metric"),
            quantile_columns=_read_quantile_columns(data.get("quantile_columns", [])),
        )

    @classmethod
    def from_json(cls, text: str) -> Ensemble:
        """Reads an ensemble written by :meth:`to_json`."""
        return cls.from_dict(load_json(text, "an ensemble"))


def _reference(i: int, ref: object) -> tuple[float, ...]:
    """Member ``i``'s reference scores, checked: a non-empty sorted sequence of finite
    numbers."""
    what = f"references[{i}]: expected a non-empty sorted sequence of finite scores"
    if isinstance(ref, (str, bytes)) or not isinstance(ref, (list, tuple, np.ndarray)):
        raise ArgumentTypeError(f"{what}, found {describe_value(ref)}")
    try:
        r = as_array(ref).astype(np.float64)
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"{what}, found {describe_value(ref)}") from None
    if r.ndim != 1 or len(r) == 0:
        raise ShapeError(f"{what}, found {describe_shape(r)}")
    if not np.isfinite(r).all():
        raise InvalidValueError(f"{what}, found a non-finite value")
    if (np.diff(r) < 0).any():
        raise InvalidValueError(f"{what}, found them unsorted")
    return tuple(float(v) for v in r)


def _quantile_function(ensemble: Ensemble) -> ProxyFunction:
    """:meth:`Ensemble.to_function` of an ensemble with quantile columns."""
    from zcfast._export import ProxyFunction

    class QuantileProxyFunction(ProxyFunction):
        """The members' function, after computing the quantile columns from the table's
        columns in NumPy."""

        def __init__(self, source: Ensemble) -> None:
            super().__init__(source._plain())
            self._source = source
            plain = source._plain()  # the columns member_inputs gives
            self._member_names: tuple[str, ...] = plain.members[0].feature_names
            self._member_features: tuple[str, ...] = tuple(plain.features)
            self.formula = str(source)
            self.feature_names = source.feature_names
            self.features = tuple(source.features)

        def __call__(self, data: object, *, arch_column: str = ARCH_COLUMN) -> np.ndarray:
            from zcfast._export import numpy_inputs, rank_mean, score_program

            inputs = numpy_inputs(
                self._source.member_inputs(data),
                self._member_names,
                self._member_features,
                False,
                arch_column,
            )
            scores = [score_program(p, inputs) for p in self._programs]
            return rank_mean(scores, cast(tuple[np.ndarray, ...], self._references))

    return QuantileProxyFunction(ensemble)


def _read_quantile_columns(data: object) -> tuple[QuantileColumn, ...]:
    if not isinstance(data, list):
        raise InvalidValueError(
            f"data: expected 'quantile_columns' to be a list, found {describe_value(data)}"
        )
    return tuple(QuantileColumn.from_dict(q) for q in data)


def _check_quantile_columns(
    columns: object, members: Sequence[Expression]
) -> tuple[QuantileColumn, ...]:
    """The quantile columns, checked against the members: each names one of the members'
    columns and is computed from another, which is not a quantile column itself."""
    if isinstance(columns, (str, bytes)) or not isinstance(columns, (list, tuple)):
        raise ArgumentTypeError(
            f"quantile_columns: expected a list of QuantileColumn, found {describe_value(columns)}"
        )
    out = tuple(columns)
    if not out:
        return out
    for i, q in enumerate(out):
        if not isinstance(q, QuantileColumn):
            raise ArgumentTypeError(
                f"quantile_columns[{i}]: expected a QuantileColumn, found {type(q).__name__}"
            )
    if members[0].is_layerwise:
        raise InvalidValueError(
            "quantile_columns: expected flat members (quantile columns are columns of a flat"
            " table), found layer-wise ones"
        )
    names = members[0].feature_names
    computed = {q.name for q in out}
    if len(computed) != len(out):
        raise InvalidValueError("quantile_columns: expected distinct names, found a repeat")
    for q in out:
        if q.name not in names or q.column not in names or q.column in computed:
            raise InvalidValueError(
                f"quantile_columns: expected each to name one of the members' columns and be"
                f" computed from another column, found {q.name!r} from {q.column!r} with"
                f" columns {list(names)[:20]}"
            )
    return out


def _references(
    members: Sequence[Expression], scores: Sequence[np.ndarray]
) -> tuple[tuple[float, ...], ...]:
    """Each member's sorted, valid scores on the reference architectures."""
    out = []
    for i, (m, s) in enumerate(zip(members, scores)):
        s = np.sort(s[np.isfinite(s) & (s != DEGENERATE_SCORE)])
        if len(s) == 0:
            raise InvalidValueError(
                f"reference: expected architectures that member {i} ({m}) scores, found only"
                " degenerate or non-finite scores"
            )
        out.append(tuple(float(v) for v in s))
    return tuple(out)
