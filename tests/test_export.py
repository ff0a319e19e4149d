"""Exports of expressions and ensembles (LaTeX, sympy, NumPy, PyTorch) agree with evaluate.

The NumPy function and the PyTorch module (float64, CPU) repeat the core's operations in the
core's order, so they are checked bit for bit; sympy reorders arithmetic, so it is checked to
rtol 1e-9 (the ensembles' rank step stays exact through ``rank_mean``'s snapping).
"""

from __future__ import annotations

import pickle
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
import zcfast
from zcfast import (
    DEGENERATE_SCORE,
    FUNCTIONS,
    REDUCERS,
    Ensemble,
    Expression,
    LayerTable,
    datasets,
)
from zcfast._export import ProxyFunction, np_ln
from zcfast.exceptions import (
    ArgumentTypeError,
    InvalidValueError,
    MissingDependencyError,
    ShapeError,
    UnknownNameError,
)

RTOL = 1e-9
SMALL: dict[str, Any] = {"population_size": 200, "generations": 10, "seed": 0}

# Every function of zcfast.FUNCTIONS, with constants, protected cases (a column minus itself is
# zero) and tiny divisors, over columns both NB201 and the demo table have.
FLAT_FORMULAS = [
    "log(synflow) * nwot / params",
    "sqrt(jacov) - square(snip) + min(fisher, grasp) / max(flops, -epe_nas)",
    "add(abs(grasp), neg(plain)) - sub(l2_norm, grad_norm)",
    "div(mul(nwot, 2.5), sub(params, params))",
    "log(sub(snip, snip)) + log(grasp) * sqrt(neg(fisher))",
    "max(log(abs(epe_nas)), -1e-12) / min(square(jacov), 3)",
    "(synflow - 1.5e-10) / (flops * 1e-12) + 1 / (grad_norm * 1e-20)",
    "flops + params + synflow + grasp + fisher + grad_norm + l2_norm + plain + nwot + epe_nas"
    " + jacov + snip",
]


@pytest.fixture(scope="module")
def sp() -> Any:
    return pytest.importorskip("sympy")


@pytest.fixture(scope="module")
def th() -> Any:
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def nb201(data_dir: Path) -> tuple[pl.DataFrame, np.ndarray]:
    df = datasets.load_suite_zero(data_dir / "naslib" / "zc_nasbench201.json", task="cifar10")
    X, y = datasets.features_and_targets(df)
    return datasets.replace_missing(X), y.to_numpy()


@pytest.fixture(scope="module")
def demo() -> tuple[pl.DataFrame, np.ndarray]:
    X, y = datasets.features_and_targets(datasets.load_demo())
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def layers() -> tuple[pl.DataFrame, dict[Any, float], list[str]]:
    table = datasets.load_demo_layers()
    names = [c for c, dt in zip(table.columns, table.dtypes) if dt.is_numeric()]
    return table, datasets.accuracy_by_arch(datasets.load_demo()), names


# -- helpers ----------------------------------------------------------------------------------


def _column(data: Any, name: str, feature_names: tuple[str, ...]) -> np.ndarray:
    if isinstance(data, (pl.DataFrame, pd.DataFrame)):
        return np.asarray(data[name], dtype=np.float64)
    return np.asarray(data)[:, feature_names.index(name)]


def sympy_scores(sp: Any, e: Expression | Ensemble, data: Any, n: int) -> np.ndarray:
    """What ``sympy.lambdify`` of ``e.to_sympy(degenerate=True)`` gives on ``data``'s columns
    (plus the ``arch`` keys of a long layer table), ``n`` scores."""
    expr = e.to_sympy(degenerate=True)
    args = [sp.Symbol(name) for name in e.features]
    values = [_column(data, name, e.feature_names) for name in e.features]
    if e.is_layerwise:
        args.append(sp.Symbol("arch"))
        values.append(data["arch"].to_numpy())
    f = sp.lambdify(args, expr, "numpy")
    with np.errstate(all="ignore"):
        out = f(*values)
    return np.broadcast_to(np.asarray(out, dtype=np.float64), (n,))


def torch_scores(e: Expression | Ensemble, data: Any, **tensors: Any) -> Any:
    module = e.to_torch()
    return module(**module.tensors(data, **tensors))


def check_exports(sp: Any, th: Any, e: Expression | Ensemble, data: Any) -> np.ndarray:
    """Every export of ``e`` scores ``data`` as ``e.evaluate`` does; returns those scores."""
    expected = e.evaluate(data)
    np.testing.assert_array_equal(e.to_function()(data), expected)
    scores = torch_scores(e, data)
    assert scores.dtype == th.float64
    np.testing.assert_array_equal(scores.numpy(), expected)
    np.testing.assert_allclose(sympy_scores(sp, e, data, len(expected)), expected, rtol=RTOL)
    return expected


def functions_used(formulas: list[str], names: list[str]) -> set[str]:
    return {t for f in formulas for t in Expression.parse(f, names).tokens if t in FUNCTIONS}


def balanced(latex: str) -> bool:
    """Braces (unescaped) and \\left/\\right pairs nest properly."""
    stack = []
    for token in re.findall(r"\\[{}]|\\left|\\right|[{}]", latex):
        if token in ("{", r"\left"):
            stack.append(token)
        elif token in ("}", r"\right"):
            if not stack or stack.pop() != {"}": "{", r"\right": r"\left"}[token]:
                return False
    return not stack


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@pytest.fixture
def no_core(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The Rust core's evaluation made unavailable (NumPy exports must not need it)."""

    def unavailable(*args: object, **kwargs: object) -> None:
        raise AssertionError("the Rust core was called")

    monkeypatch.setattr(zcfast._core, "evaluate", unavailable)
    yield


# -- flat expressions -------------------------------------------------------------------------


def test_formulas_cover_every_function(nb201: tuple[pl.DataFrame, np.ndarray]) -> None:
    assert functions_used(FLAT_FORMULAS, nb201[0].columns) == set(FUNCTIONS)


@pytest.mark.parametrize("formula", FLAT_FORMULAS)
def test_flat_formulas_on_real_data(
    sp: Any,
    th: Any,
    nb201: tuple[pl.DataFrame, np.ndarray],
    demo: tuple[pl.DataFrame, np.ndarray],
    formula: str,
) -> None:
    X, _ = nb201
    e = Expression.parse(formula, X.columns)
    check_exports(sp, th, e, X)
    check_exports(sp, th, e, X.to_numpy())  # an array, columns in feature_names order
    check_exports(sp, th, e, demo[0])  # matched by name, other columns ignored


def test_sentinel_rows_are_degenerate_in_every_export(
    sp: Any, th: Any, nb201: tuple[pl.DataFrame, np.ndarray]
) -> None:
    X, _ = nb201
    e = Expression.parse(FLAT_FORMULAS[-1], X.columns)  # reads every column
    scores = check_exports(sp, th, e, X)
    marked = (np.abs(X.to_numpy()) == 1e8).any(axis=1)
    assert marked.sum() >= 1 and np.array_equal(scores == DEGENERATE_SCORE, marked)


VALUES = [0.0, -0.0, 1e-10, -1e-10, 1.0000000000000002e-10, -2e-10, 1e-300, -3.5, 7.25, 1e200]
VALUES += [1e8, -1e8, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize(
    "formula",
    [
        "div(a, b)",
        "log(a)",
        "sqrt(a) + square(b)",
        "min(a, b) - max(a, b)",
        "log(a) / b",
        "div(a, log(b))",
        "neg(abs(a)) * b",
        "log(a * b) - sqrt(a / b)",
        "sqrt(2.0) * a + log(3.0) / b - square(-1.5) + div(2.0, 1e-11)",
        "3.25",
    ],
)
def test_protected_cases(sp: Any, th: Any, formula: str) -> None:
    a, b = np.meshgrid(VALUES, VALUES)
    X = np.column_stack([a.ravel(), b.ravel()])
    e = Expression.parse(formula, ["a", "b"])
    expected = e.evaluate(X)
    np.testing.assert_array_equal(e.to_function()(X), expected)
    np.testing.assert_array_equal(torch_scores(e, X).numpy(), expected)
    # NaN inputs are outside the sympy formula (documented): compare the other rows
    used = [["a", "b"].index(f) for f in e.features]
    rows = ~np.isnan(X[:, used]).any(axis=1)
    got = sympy_scores(sp, e, X[rows], int(rows.sum()))
    np.testing.assert_allclose(got, expected[rows], rtol=RTOL)
    assert np.isnan(expected[~rows]).all()


def test_evolved_expressions(
    sp: Any, th: Any, nb201: tuple[pl.DataFrame, np.ndarray], demo: tuple[pl.DataFrame, np.ndarray]
) -> None:
    X, y = nb201
    front = zcfast.evolve(X, y, ensemble=1, **SMALL).front
    Xd, yd = demo
    front += zcfast.evolve(Xd, yd, ensemble=1, **SMALL).front
    assert len(front) >= 4
    for e in front:
        if set(e.features) <= set(X.columns):
            check_exports(sp, th, e, X)
        check_exports(sp, th, e, Xd)


def test_numpy_function_takes_every_flat_input(no_core: None) -> None:
    e = Expression.parse("log(a) * b - c", ["a", "b", "c"])
    X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [0.0, 1.0, 1e8]])
    f = e.to_function()
    expected = np.array([-3.0, np.log(4.0) * 5.0 - 6.0, DEGENERATE_SCORE])
    frame = pl.DataFrame({"c": X[:, 2], "a": X[:, 0], "b": X[:, 1], "other": ["x", "y", "z"]})
    for data in (
        X,
        X.tolist(),
        {"a": X[:, 0], "b": X[:, 1].tolist(), "c": pl.Series(X[:, 2]), "d": "ignored"},
        frame,
        frame.lazy(),
        frame.to_pandas(),
    ):
        np.testing.assert_allclose(f(data), expected, rtol=1e-15)
    assert np.isnan(f({"a": [np.nan], "b": [1.0], "c": [1e8]}))[0]
    copy = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(copy(X), f(X))
    assert repr(f) == "ProxyFunction('log(a) * b - c')"
    assert f.features == ("a", "b", "c") and not f.is_layerwise
    # a formula that reads no column still gives one score per row
    constant = Expression.parse("2.5", ["a", "b", "c"]).to_function()
    np.testing.assert_array_equal(constant(X), [2.5] * 3)


def test_numpy_function_errors() -> None:
    f = Expression.parse("a / b", ["a", "b"]).to_function()
    with pytest.raises(UnknownNameError, match="'b'"):
        f({"a": [1.0]})
    with pytest.raises(ShapeError, match="one length"):
        f({"a": [1.0, 2.0], "b": [1.0]})
    with pytest.raises(ShapeError, match="1-D"):
        f({"a": [[1.0]], "b": [[1.0]]})
    with pytest.raises(ArgumentTypeError, match="numeric"):
        f({"a": ["x"], "b": [1.0]})
    with pytest.raises(ShapeError, match="2 columns"):
        f(np.ones((3, 3)))
    with pytest.raises(UnknownNameError):
        f(pl.DataFrame({"a": [1.0]}))
    with pytest.raises(InvalidValueError, match="LayerTable"):
        f(LayerTable.from_arrays(np.ones((2, 2)), [0, 2], names=["a", "b"]))
    with pytest.raises(ArgumentTypeError, match=r"Expression or zcfast\.Ensemble"):
        ProxyFunction("a / b")  # type: ignore[arg-type]


# -- layer-wise expressions -------------------------------------------------------------------


@pytest.mark.parametrize("reducer", list(REDUCERS))
def test_every_reducer_on_the_demo_layers(
    sp: Any, th: Any, layers: tuple[pl.DataFrame, dict[Any, float], list[str]], reducer: str
) -> None:
    table, _, names = layers
    formula = (
        f"{reducer}(log(wg_sum) / fan_in) - {reducer}(grad_norm * 2.5) * {reducer}(sqrt(synflow))"
        f" + {reducer}(1.5)"
    )
    e = Expression.parse(formula, names)
    scores = check_exports(sp, th, e, table)
    assert len(scores) == 300 and np.isfinite(scores).all()
    lt = LayerTable.from_frame(table, features=names)
    np.testing.assert_array_equal(e.to_function()(lt), scores)
    np.testing.assert_array_equal(torch_scores(e, lt).numpy(), scores)


def test_evolved_layerwise_expressions(
    sp: Any, th: Any, layers: tuple[pl.DataFrame, dict[Any, float], list[str]]
) -> None:
    table, accuracy, _ = layers
    result = zcfast.evolve_layerwise(table, accuracy, ensemble=3, baselines=False, **SMALL)
    assert isinstance(result.best, Ensemble)
    expressions = [*result.front, *result.best.members]
    assert len(expressions) >= 4 and all(e.is_layerwise for e in expressions)
    for e in expressions:
        check_exports(sp, th, e, table)


def test_layer_tables_with_markers_and_nan(
    sp: Any, th: Any, layers: tuple[pl.DataFrame, dict[Any, float], list[str]]
) -> None:
    table, _, names = layers
    row = np.arange(table.height)
    table = table.with_columns(
        pl.when(pl.Series(row % 97 == 5)).then(1e8).otherwise(pl.col("wg_sum")).alias("wg_sum"),
        pl.when(pl.Series(row % 389 == 7)).then(None).otherwise(pl.col("fan_in")).alias("fan_in"),
    )
    e = Expression.parse("mean_layers(log(abs(wg_sum)) / fan_in) + max_layers(synflow)", names)
    expected = e.evaluate(table)
    assert (expected == DEGENERATE_SCORE).sum() >= 10 and np.isnan(expected).sum() >= 5
    np.testing.assert_array_equal(e.to_function()(table), expected)
    np.testing.assert_array_equal(torch_scores(e, table).numpy(), expected)
    # sympy: the architectures without NaN inputs (NaN is outside the formula)
    archs = table.filter(pl.col("fan_in").is_null().any().over("arch").not_())
    got = sympy_scores(sp, e, archs, int(np.sum(~np.isnan(expected))))
    np.testing.assert_allclose(got, expected[~np.isnan(expected)], rtol=RTOL)


def test_numpy_function_takes_every_layer_input(
    no_core: None, layers: tuple[pl.DataFrame, dict[Any, float], list[str]]
) -> None:
    table, _, names = layers
    e = Expression.parse("std_layers(fan_in * wg_sum) / sum_layers(flops)", names)
    f = e.to_function()
    expected = f(table)
    lt = LayerTable.from_frame(table, features=names)
    positional = lt.select(list(e.feature_names))
    for data in (
        table.lazy(),
        table.to_pandas(),
        lt,
        (positional.values, positional.offsets),
        {c: table[c].to_numpy() for c in ("arch", "fan_in", "wg_sum", "flops")},
        table.rename({"arch": "net"}),
    ):
        got = f(data, arch_column="net") if isinstance(data, pl.DataFrame) else f(data)
        np.testing.assert_array_equal(got, expected)
    with pytest.raises(UnknownNameError, match="'arch'"):
        f({"fan_in": [1.0], "wg_sum": [1.0], "flops": [1.0]})
    with pytest.raises(ShapeError, match="columns"):
        f((np.ones((4, 2)), [0, 4]))
    with pytest.raises(InvalidValueError, match="contiguous"):
        f({"arch": ["a", "b", "a"], "fan_in": [1.0] * 3, "wg_sum": [1.0] * 3, "flops": [1.0] * 3})


# -- ensembles --------------------------------------------------------------------------------


def test_flat_ensemble_exports(
    sp: Any, th: Any, nb201: tuple[pl.DataFrame, np.ndarray], demo: tuple[pl.DataFrame, np.ndarray]
) -> None:
    X, y = nb201
    ensemble = zcfast.evolve(X, y, ensemble=3, baselines=False, **SMALL).best
    assert isinstance(ensemble, Ensemble) and len(ensemble.members) == 3
    # on the training architectures every member's score ties a reference score
    check_exports(sp, th, ensemble, X)
    Xd = demo[0]
    if set(ensemble.features) <= set(Xd.columns):
        check_exports(sp, th, ensemble, Xd)
        check_exports(sp, th, ensemble.with_reference(Xd), X)
    assert str(ensemble.to_sympy()).startswith("rank_mean(")


def test_layerwise_ensemble_exports(
    sp: Any, th: Any, layers: tuple[pl.DataFrame, dict[Any, float], list[str]]
) -> None:
    table, accuracy, _ = layers
    result = zcfast.evolve_layerwise(table, accuracy, ensemble=3, baselines=False, **SMALL)
    ensemble = result.best
    assert isinstance(ensemble, Ensemble) and ensemble.is_layerwise
    check_exports(sp, th, ensemble, table)
    keep = table["arch"].unique(maintain_order=True)[:150].implode()
    half = table.filter(pl.col("arch").is_in(keep))
    check_exports(sp, th, ensemble.with_reference(half), table)


def test_ensemble_degenerate_and_overflowing_members(sp: Any, th: Any) -> None:
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 4.0]])
    members = [Expression.parse(f, ["a", "b"]) for f in ("a", "a * b", "square(square(a)) * 0.0")]
    ensemble = Ensemble.from_members(members[:2], X)
    Y = np.array([[1.0, 2.0], [1e8, 1.0], [-5.0, 7.0], [10.0, 10.0], [np.nan, 1.0], [2.0, 4.0]])
    expected = check_exports(sp, th, ensemble, Y[:4])
    assert expected[1] == DEGENERATE_SCORE and expected[2] < 0 < 1 < expected[3]
    np.testing.assert_array_equal(ensemble.to_function()(Y), ensemble.evaluate(Y))
    np.testing.assert_array_equal(torch_scores(ensemble, Y).numpy(), ensemble.evaluate(Y))
    # a member that overflows to inf/NaN: NaN makes the architecture degenerate
    wild = Ensemble(tuple(members[1:]), ((1.0, 2.0), (1.0, 3.0)))
    Z = np.array([[1e80, 1.0], [2.0, 2.0], [1e100, -1.0]])
    expected = wild.evaluate(Z)
    np.testing.assert_array_equal(wild.to_function()(Z), expected)
    np.testing.assert_array_equal(torch_scores(wild, Z).numpy(), expected)


# -- LaTeX ------------------------------------------------------------------------------------

LATEX = [
    (
        "log(synflow) * nwot / params",
        r"\frac{\log\left|\mathrm{synflow}\right| \cdot \mathrm{nwot}}{\mathrm{params}}",
    ),
    ("a - (b - c)", r"a - \left(b - c\right)"),
    ("a + (b + c)", "a + b + c"),
    ("a * (b * c)", r"a \cdot b \cdot c"),
    ("-(a + b) * c", r"-\left(a + b\right) \cdot c"),
    ("a * -b", r"a \cdot \left(-b\right)"),
    ("a - -b", r"a - \left(-b\right)"),
    ("a + -2.5", r"a + \left(-2.5\right)"),
    ("-(-a)", r"-\left(-a\right)"),
    ("-(2.5)", r"-2.5"),
    ("(a + b)^2", r"\left(a + b\right)^{2}"),
    ("square(square(a))", r"\left(a^{2}\right)^{2}"),
    ("(-a)^2 * (a * b)^2", r"\left(-a\right)^{2} \cdot \left(a \cdot b\right)^{2}"),
    ("a / (b / c)", r"\frac{a}{\frac{b}{c}}"),
    ("sqrt(abs(a)) + log(abs(b))", r"\sqrt{\left|a\right|} + \log\left|b\right|"),
    ("sqrt(a - b)^2", r"\sqrt{\left|a - b\right|}^{2}"),
    ("log(a)^2", r"\left(\log\left|a\right|\right)^{2}"),
    (
        "min(a, b) - max(a, 2.5e-12)",
        r"\min\left(a, b\right) - \max\left(a, 2.5 \cdot 10^{-12}\right)",
    ),
    ("1e-05 * a + 3.0 * b + 1.5e+20", r"10^{-5} \cdot a + 3 \cdot b + 1.5 \cdot 10^{20}"),
    ("a * 1e-05^2", r"a \cdot \left(10^{-5}\right)^{2}"),
    (
        "`grad norm` + `a_b%` * `$x^y{}`",
        r"\mathrm{grad\ norm} + \mathrm{a\_b\%} \cdot "
        r"\mathrm{\$x\hat{}y\{\}}",
    ),
]

LAYER_LATEX = [
    ("sum_layers(wg_sum) * 2", r"\left(\sum_{\ell} \mathrm{wg\_sum}_{\ell}\right) \cdot 2"),
    ("2 * sum_layers(a * b)", r"2 \cdot \sum_{\ell} a_{\ell} \cdot b_{\ell}"),
    (
        "mean_layers(a - b) / std_layers(b)",
        r"\frac{\operatorname{mean}_{\ell} \left(a_{\ell} - b_{\ell}\right)}"
        r"{\operatorname{std}_{\ell} b_{\ell}}",
    ),
    (
        "meanlog_layers(abs(a)) + max_layers(-a) - min_layers(1.5)",
        r"\operatorname{mean}_{\ell} \log\left|a_{\ell}\right| + \max_{\ell} \left(-a_{\ell}\right)"
        r" - \min_{\ell} 1.5",
    ),
]


@pytest.mark.parametrize(("formula", "latex"), LATEX)
def test_latex_of_flat_formulas(formula: str, latex: str) -> None:
    names = ["synflow", "nwot", "params", "a", "b", "c", "grad norm", "a_b%", "$x^y{}"]
    got = Expression.parse(formula, names).to_latex()
    assert got == latex and balanced(got)


@pytest.mark.parametrize(("formula", "latex"), LAYER_LATEX)
def test_latex_of_layerwise_formulas(formula: str, latex: str) -> None:
    got = Expression.parse(formula, ["wg_sum", "a", "b"]).to_latex()
    assert got == latex and balanced(got)


def test_latex_of_ensembles_names_and_deep_formulas() -> None:
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
    members = [Expression.parse(f, ["synflow", "b"]) for f in ("synflow", "log(synflow) / b")]
    ensemble = Ensemble.from_members(members, X)
    want = (
        r"\frac{1}{2} \left(Q_{1}\left[S\right] + Q_{2}\left[\frac{\log\left|S\right|}{b}\right]"
        r"\right)"
    )
    assert ensemble.to_latex(names={"synflow": "S"}) == want
    one = Ensemble.from_members(members[:1], X)
    assert one.to_latex() == r"Q_{1}\left[\mathrm{synflow}\right]"
    e = Expression.parse("mean_layers(a)", ["a"])
    assert e.to_latex(names={"a": r"W_{g}"}) == r"\operatorname{mean}_{\ell} {W_{g}}_{\ell}"
    with pytest.raises(ArgumentTypeError, match="names"):
        e.to_latex(names={"a": 1})  # type: ignore[dict-item]
    deep = Expression(("x0", *(["neg"] * 100_000)), ("a",))
    start = time.perf_counter()
    text = deep.to_latex()
    assert time.perf_counter() - start < 5 and balanced(text)
    assert text.startswith(r"-\left(-\left(") and text.endswith(r"-a" + r"\right)" * 99_999)


# -- sympy ------------------------------------------------------------------------------------


def test_sympy_forms(sp: Any, nb201: tuple[pl.DataFrame, np.ndarray]) -> None:
    X, _ = nb201
    e = Expression.parse("log(synflow) * nwot / params + sqrt(max(snip, -2.5))", X.columns)
    expr = e.to_sympy()
    assert str(expr) == "sqrt(Abs(Max(-2.5, snip))) + pdiv(nwot*plog(synflow), params)"
    plain = e.to_sympy(protected=False)
    assert str(plain) == "nwot*log(Abs(synflow))/params + sqrt(Abs(Max(-2.5, snip)))"
    assert sp.latex(expr) == (
        r"\sqrt{\left|{\max\left(-2.5, snip\right)}\right|} + \frac{nwot \log\left|synflow"
        r"\right|}{params}"
    )
    # the spelled-out Piecewise form lambdifies to the same scores
    columns = [sp.Symbol(n) for n in e.features]
    values = [X[n].to_numpy() for n in e.features]
    expected = e.evaluate(X)
    rows = expected != DEGENERATE_SCORE
    with np.errstate(all="ignore"):
        spelled = sp.lambdify(columns, expr.rewrite(sp.Piecewise))(*values)
        unprotected = sp.lambdify(columns, plain)(*values)
    np.testing.assert_allclose(spelled[rows], expected[rows], rtol=RTOL)
    away = rows & (np.abs(values[0]) > 1e-10) & (np.abs(values[2]) > 1e-10)  # synflow, params
    np.testing.assert_allclose(unprotected[away], expected[away], rtol=RTOL)
    assert pickle.loads(pickle.dumps(expr)) == expr
    assert {type(f).__name__ for f in expr.atoms(sp.Function)} >= {"pdiv", "plog"}
    # numbers evaluate by zcfast's rules
    f = Expression.parse("div(1.0, 0.0) + log(-1e-11) + log(-2.0)", ["a"]).to_sympy()
    assert f.is_Float and float(f) == 1.0 + float(np_ln(np.array(2.0)))


def test_sympy_derivatives_match_torch_autograd(
    sp: Any, th: Any, nb201: tuple[pl.DataFrame, np.ndarray]
) -> None:
    X, _ = nb201
    e = Expression.parse("log(synflow) * nwot / params - sqrt(square(fisher) + 1)", X.columns)
    rows = ~(np.abs(X.to_numpy()) == 1e8).any(axis=1)
    data = X.filter(pl.Series(rows))
    module = e.to_torch()
    columns = {k: v.requires_grad_() for k, v in module.tensors(data)["columns"].items()}
    module(columns).sum().backward()
    symbols = [sp.Symbol(n) for n in e.features]
    for name in e.features:
        derivative = sp.lambdify(symbols, sp.diff(e.to_sympy(), sp.Symbol(name, real=True)))
        with np.errstate(all="ignore"):
            want = derivative(*[data[n].to_numpy() for n in e.features])
        got = columns[name].grad.numpy()
        np.testing.assert_allclose(got, np.broadcast_to(want, got.shape), rtol=1e-9, atol=1e-300)


def test_sympy_layerwise_forms(
    sp: Any, layers: tuple[pl.DataFrame, dict[Any, float], list[str]]
) -> None:
    table, _, names = layers
    e = Expression.parse("sum_layers(log(wg_sum) * fan_in) / std_layers(flops)", names)
    expr = e.to_sympy()
    assert str(expr) == "pdiv(sum_layers(fan_in*plog(wg_sum), arch), std_layers(flops, arch))"
    degenerate = e.to_sympy(degenerate=True)
    assert "max_layers(is_missing(" in str(degenerate)
    # per-layer derivatives of linear reductions; simplify keeps the meaning
    wg, fan_in = sp.symbols("wg_sum fan_in", real=True)
    arch = sp.Symbol("arch")
    inner = sp.diff(expr.args[0], fan_in)
    assert str(inner) == "sum_layers(plog(wg_sum), arch)"
    args = [sp.Symbol(n) for n in e.features] + [arch]
    values = [table[n].to_numpy() for n in e.features] + [table["arch"].to_numpy()]
    with np.errstate(all="ignore"):
        simplified = sp.lambdify(args, sp.simplify(expr))(*values)
    np.testing.assert_allclose(simplified, e.evaluate(table), rtol=RTOL)
    assert pickle.loads(pickle.dumps(degenerate)) == degenerate
    # keys in any order: one value per architecture in order of first appearance
    f = sp.lambdify([wg, arch], expr.args[0].func(wg, arch))
    keys = np.array(["b", "a", "b", "a"])
    np.testing.assert_array_equal(f(np.array([1.0, 5.0, 3.0, 3.5]), keys), [4.0, 8.5])
    with pytest.raises(InvalidValueError, match="arch"):
        e.to_sympy(arch="fan_in")


# -- PyTorch ----------------------------------------------------------------------------------


def test_torch_gradients_are_finite_at_the_thresholds(th: Any) -> None:
    e = Expression.parse("sum_layers(log(a) + sqrt(b) + div(a, b)) + std_layers(a)", ["a", "b"])
    module = e.to_torch()
    a = th.tensor([0.0, 0.0, 2.0, 5.0], dtype=th.float64, requires_grad=True)
    b = th.tensor([0.0, -1e-12, 4.0, 5.0], dtype=th.float64, requires_grad=True)
    arch = th.tensor([0, 0, 1, 2])
    out = module({"a": a, "b": b}, arch)
    np.testing.assert_array_equal(
        out.detach().numpy(),
        e.evaluate((np.column_stack([a.detach().numpy(), b.detach().numpy()]), [0, 2, 3, 4])),
    )
    out.sum().backward()
    assert th.isfinite(a.grad).all() and th.isfinite(b.grad).all()
    # where the math is differentiable the gradient is the derivative
    assert a.grad[2].item() == pytest.approx(1 / 2.0 + 1 / 4.0)
    assert b.grad[2].item() == pytest.approx(0.5 / np.sqrt(4.0) - 2.0 / 16.0)
    assert a.grad[0].item() == 0.0 and b.grad[0].item() == 0.0


def test_torch_trainable_constants_float32_and_devices(th: Any) -> None:
    e = Expression.parse("a * 2.5 + log(b) - 1e8 * 0", ["a", "b"])
    module = e.to_torch(trainable_constants=True)
    assert isinstance(module.constants, th.nn.Parameter)
    a = th.tensor([1.0, 2.0, 3.0], dtype=th.float64)
    b = th.tensor([1.0, 1e8, 3.0], dtype=th.float64)
    out = module({"a": a, "b": b})
    assert out[1].item() == DEGENERATE_SCORE
    out[[0, 2]].sum().backward()
    assert module.constants.grad[0].item() == pytest.approx(4.0)
    # float32 inputs compute in float32; the degenerate score is float32's lowest
    fixed = e.to_torch()
    assert "constants" in fixed.state_dict() and not list(fixed.parameters())
    low = fixed({"a": a.float(), "b": b.float()})
    assert low.dtype == th.float32 and low[1].item() == th.finfo(th.float32).min
    np.testing.assert_allclose(low[[0, 2]].numpy(), out[[0, 2]].detach().numpy(), rtol=1e-6)
    # integer columns compute in float64
    ints = fixed({"a": th.tensor([1, 2]), "b": th.tensor([3, 4])})
    assert ints.dtype == th.float64
    assert repr(fixed) == f"TorchProxy({str(e)!r})"


def test_torch_layer_rows_in_any_order(
    th: Any, layers: tuple[pl.DataFrame, dict[Any, float], list[str]]
) -> None:
    table, _, names = layers
    e = Expression.parse("std_layers(wg_sum) + meanlog_layers(fan_in) * max_layers(flops)", names)
    module = e.to_torch()
    inputs = module.tensors(table)
    columns, arch = inputs["columns"], inputs["arch"]
    assert inputs["num_archs"] == 300
    expected = module(columns, arch)
    # architectures in any order, their rows interleaved, each one's rows in their order
    rng = np.random.default_rng(0)
    keys = rng.random(len(arch))
    offsets = np.concatenate([[0], np.cumsum(np.bincount(arch.numpy()))])
    for start, end in zip(offsets[:-1], offsets[1:]):
        keys[start:end].sort()
    perm = th.as_tensor(np.argsort(keys))
    assert not th.equal(arch[perm], arch)
    shuffled = module({k: v[perm] for k, v in columns.items()}, arch[perm])
    np.testing.assert_array_equal(shuffled.numpy(), expected.numpy())
    generator = th.Generator().manual_seed(0)
    # rows of an architecture in another order change the sums' rounding only
    perm = th.randperm(len(arch), generator=generator)
    shuffled = module({k: v[perm] for k, v in columns.items()}, arch[perm])
    np.testing.assert_allclose(shuffled.numpy(), expected.numpy(), rtol=1e-12)
    # architectures without rows score NaN; indices must be in range
    wider = module(columns, arch, num_archs=302)
    assert th.isnan(wider[300:]).all() and th.equal(wider[:300], expected)
    with pytest.raises(ShapeError, match="num_archs"):
        module(columns, arch, num_archs=10)
    with pytest.raises(InvalidValueError, match="arch"):
        module(columns)
    with pytest.raises(UnknownNameError, match="flops"):
        module({"wg_sum": columns["wg_sum"]}, arch)
    flat = Expression.parse("a + 1", ["a"]).to_torch()
    with pytest.raises(InvalidValueError, match="flat"):
        flat({"a": th.ones(3)}, th.zeros(3, dtype=th.int64))


def test_torch_modules_pickle(th: Any, tmp_path: Path) -> None:
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
    members = [Expression.parse(f, ["a", "b"]) for f in ("a", "log(a) * b")]
    for source in (members[1], Ensemble.from_members(members, X)):
        module = source.to_torch()
        th.save(module, tmp_path / "proxy.pt")
        loaded = th.load(tmp_path / "proxy.pt", weights_only=False)
        copy = pickle.loads(pickle.dumps(module))
        columns = module.tensors(X)["columns"]
        for other in (loaded, copy):
            np.testing.assert_array_equal(other(columns).numpy(), module(columns).numpy())
            assert type(other) is type(module)
    assert "reference0" in Ensemble.from_members(members, X).to_torch().state_dict()


@pytest.mark.skipif(not _has_cuda(), reason="needs a CUDA device")
def test_torch_on_cuda(
    th: Any,
    nb201: tuple[pl.DataFrame, np.ndarray],
    layers: tuple[pl.DataFrame, dict[Any, float], list[str]],
) -> None:
    X, y = nb201
    table, accuracy, names = layers
    cases = [
        (Expression.parse(FLAT_FORMULAS[1], X.columns), X),
        (zcfast.evolve(X, y, ensemble=3, baselines=False, **SMALL).best, X),
        (Expression.parse("std_layers(wg_sum) / meanlog_layers(fan_in)", names), table),
        (
            zcfast.evolve_layerwise(table, accuracy, ensemble=3, baselines=False, **SMALL).best,
            table,
        ),
    ]
    for e, data in cases:
        scores = torch_scores(e, data, device="cuda")
        assert scores.device.type == "cuda"
        np.testing.assert_allclose(scores.cpu().numpy(), e.evaluate(data), rtol=RTOL)


# -- optional dependencies --------------------------------------------------------------------


@pytest.mark.parametrize("package", ["sympy", "torch"])
def test_missing_dependencies(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
    e = Expression.parse("log(a) / b", ["a", "b"])
    ensemble = Ensemble.from_members([e, Expression.parse("a", ["a", "b"])], X)
    monkeypatch.setitem(sys.modules, package, None)  # `import package` now fails
    export = "to_sympy" if package == "sympy" else "to_torch"
    for source in (e, ensemble):
        with pytest.raises(MissingDependencyError, match=rf"pip install 'zcfast\[{package}\]'"):
            getattr(source, export)()
        # LaTeX and the NumPy function need neither
        assert source.to_latex()
        np.testing.assert_array_equal(source.to_function()(X), source.evaluate(X))
