"""Layer-wise expressions and zcfast.evolve_layerwise on ragged layer tables."""

from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest
import zcfast
from hypothesis import given
from hypothesis import strategies as st
from zcfast import Expression, LayerTable
from zcfast.exceptions import (
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    ShapeError,
    UnknownNameError,
    ZcfastError,
)

NAMES = ["wg", "fan_in", "w_norm"]


def ragged(n_archs: int, seed: int, max_layers: int = 8) -> pl.DataFrame:
    """A long table: architecture k has 1..max_layers layers (some with exactly one)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, max_layers + 1, size=n_archs)
    counts[::7] = 1
    arch = np.repeat([f"a{k}" for k in range(n_archs)], counts)
    n = int(counts.sum())
    return pl.DataFrame(
        {
            "arch": arch,
            "wg": rng.normal(size=n) * 10.0 ** rng.integers(-3, 3, size=n),
            "fan_in": rng.integers(1, 600, size=n).astype(np.float64),
            "w_norm": np.abs(rng.normal(size=n)) + 0.1,
        }
    )


def groupby_reference(df: pl.DataFrame) -> dict[str, np.ndarray]:
    """Per-architecture values of a few layer-wise formulas, the plain polars way."""
    per = df.group_by("arch", maintain_order=True).agg(
        mean_log=(pl.col("wg").abs().log() / pl.col("fan_in")).mean(),
        sum_wg=pl.col("wg").sum(),
        max_norm=pl.col("w_norm").max(),
        min_prod=(pl.col("wg") * pl.col("w_norm")).min(),
        meanlog_fan=pl.col("fan_in").log().mean(),
        std_norm=pl.col("w_norm").std(ddof=0),
    )
    return {c: per[c].to_numpy() for c in per.columns if c != "arch"}


FORMULAS = {
    "mean_log": "mean_layers(log(abs(wg)) / fan_in)",
    "sum_wg": "sum_layers(wg)",
    "max_norm": "max_layers(w_norm)",
    "min_prod": "min_layers(wg * w_norm)",
    "meanlog_fan": "meanlog_layers(fan_in)",
    "std_norm": "std_layers(w_norm)",
}


@given(n_archs=st.integers(1, 40), seed=st.integers(0, 10_000))
def test_evaluate_equals_a_group_by(n_archs: int, seed: int) -> None:
    df = ragged(n_archs, seed)
    want = groupby_reference(df)
    for key, formula in FORMULAS.items():
        got = Expression.parse(formula, NAMES).evaluate(df)
        np.testing.assert_allclose(got, want[key], rtol=1e-12, atol=1e-12, err_msg=formula)
    ratio = Expression.parse("sum_layers(wg) / max_layers(w_norm)", NAMES).evaluate(df)
    np.testing.assert_allclose(ratio, want["sum_wg"] / want["max_norm"], rtol=1e-12)


def test_every_input_form_gives_the_same_scores() -> None:
    df = ragged(30, 1)
    expr = Expression.parse("sum_layers(wg * fan_in) / mean_layers(w_norm)", NAMES)
    want = expr.evaluate(df)
    table = LayerTable.from_frame(df)
    listed = df.group_by("arch", maintain_order=True).agg(pl.all())
    forms = [
        df.to_pandas(),
        df.to_arrow(),
        df.lazy(),
        listed,
        table,
        (table.values, table.offsets),
        df.select("w_norm", "arch", "fan_in", "wg"),  # columns matched by name
    ]
    for form in forms:
        np.testing.assert_array_equal(expr.evaluate(form), want)
    assert table.archs == tuple(f"a{k}" for k in range(30))
    assert LayerTable.from_frame(table.to_frame()).archs == table.archs


def test_unit_order_is_first_appearance() -> None:
    df = ragged(10, 2)
    shuffled = pl.concat(
        [df.filter(pl.col("arch") == f"a{k}") for k in (3, 1, 9, 0, 2, 4, 5, 6, 7, 8)]
    )
    expr = Expression.parse("sum_layers(wg)", NAMES)
    by_arch = dict(zip(LayerTable.from_frame(df).archs, expr.evaluate(df)))
    table = LayerTable.from_frame(shuffled)
    np.testing.assert_array_equal(expr.evaluate(shuffled), [by_arch[a] for a in table.archs])


def synthetic_task(n_archs: int, seed: int) -> tuple[pl.DataFrame, dict[str, float]]:
    """Accuracy rises with the mean over layers of wg * w_norm; no column alone ranks it."""
    df = ragged(n_archs, seed)
    signal = df.group_by("arch", maintain_order=True).agg((pl.col("wg") * pl.col("w_norm")).mean())
    rng = np.random.default_rng(seed + 1)
    acc = signal["wg"].to_numpy() + rng.normal(scale=0.01, size=n_archs)
    return df, dict(zip(signal["arch"].to_list(), acc.tolist()))


SMALL = {"population_size": 400, "generations": 15, "ensemble": 1}


def test_evolve_layerwise_finds_a_layer_wise_formula() -> None:
    df, acc = synthetic_task(150, 3)
    result = zcfast.evolve_layerwise(df, acc, seed=0, **SMALL)
    best = result.best
    assert best.is_layerwise and best.fitness > 0.9, str(best)
    table = LayerTable.from_frame(df)
    y = np.array([acc[a] for a in table.archs])
    assert best.fitness == pytest.approx(zcfast.spearman(best.evaluate(df), y), abs=1e-12)
    assert result.data["layerwise"] and result.data["n_archs"] == [150]
    assert all(e.is_layerwise or not e.features for e in result.front)
    # targets as an array in table order give the same run
    again = zcfast.evolve_layerwise(df, y, seed=0, **SMALL)
    assert again.best == best and again.best.fitness == best.fitness


def test_evolve_layerwise_is_deterministic_across_threads() -> None:
    df, acc = synthetic_task(120, 4)
    a = zcfast.evolve_layerwise(df, acc, seed=5, n_threads=1, **SMALL)
    b = zcfast.evolve_layerwise(df, acc, seed=5, n_threads=2, **SMALL)
    assert a.best == b.best and a.best.fitness == b.best.fitness
    assert a.history.drop("seconds").equals(b.history.drop("seconds"))
    assert [e.tokens for e in a.front] == [e.tokens for e in b.front]


def test_layer_wise_expressions_round_trip() -> None:
    df, acc = synthetic_task(80, 5)
    best = zcfast.evolve_layerwise(df, acc, seed=1, **SMALL).best
    for copy in (Expression.from_json(best.to_json()), pickle.loads(pickle.dumps(best))):
        assert copy == best and copy.fitness == best.fitness
        np.testing.assert_array_equal(copy.evaluate(df), best.evaluate(df))
    parsed = Expression.parse(str(best), best.feature_names)
    np.testing.assert_allclose(parsed.evaluate(df), best.evaluate(df), rtol=1e-12)


def test_multi_task_and_validation() -> None:
    (d1, a1), (d2, a2) = synthetic_task(90, 6), synthetic_task(70, 7)
    r = zcfast.evolve_layerwise([d1, d2], [a1, a2], seed=2, aggregate="min", **SMALL)
    assert len(r.task_fitness) == 2 and r.best.fitness == pytest.approx(min(r.task_fitness))
    v = zcfast.evolve_layerwise(d1, a1, seed=2, validation_fraction=0.3, **SMALL)
    assert v.best.validation_fitness is not None and len(v.validation_rows[0]) == 27


def test_missing_values_in_layer_tables() -> None:
    df, acc = synthetic_task(60, 8)
    bad = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(None).otherwise(pl.col("wg")).alias("wg")
    )
    with pytest.raises(InvalidValueError, match=r"'wg'.*drop_archs"):
        zcfast.evolve_layerwise(bad, acc, seed=0, **SMALL)
    dropped = zcfast.evolve_layerwise(bad, acc, seed=0, missing="drop_archs", **SMALL)
    assert dropped.data["n_archs"] == [59]
    no_wg = zcfast.evolve_layerwise(bad, acc, seed=0, missing="drop_columns", **SMALL)
    assert "wg" not in no_wg.best.features and no_wg.data["dropped_columns"] == ["wg"]
    kept = zcfast.evolve_layerwise(bad, acc, seed=0, missing="sentinel", **SMALL)
    assert kept.data["n_archs"] == [60]


def test_inputs_are_not_mutated() -> None:
    df, acc = synthetic_task(50, 9)
    table = LayerTable.from_frame(df)
    values = np.array(table.values)
    offsets = np.array(table.offsets)
    before, acc_before = df.clone(), dict(acc)
    zcfast.evolve_layerwise(df, acc, seed=0, **SMALL)
    zcfast.evolve_layerwise((values, offsets), [acc[a] for a in table.archs], seed=0, **SMALL)
    assert df.equals(before) and acc == acc_before
    np.testing.assert_array_equal(values, table.values)
    np.testing.assert_array_equal(offsets, table.offsets)


@pytest.mark.parametrize(
    ("layers", "targets", "kwargs", "exc", "fragments"),
    [
        ("offsets_down", None, {}, InvalidValueError, ["offsets", "strictly increasing"]),
        ("offsets_empty_arch", None, {}, InvalidValueError, ["offsets", "at least one layer"]),
        ("offsets_short", None, {}, ShapeError, ["offsets", "last offset", "number of rows"]),
        ("offsets_start", None, {}, InvalidValueError, ["offsets", "start at 0"]),
        ("offsets_float", None, {}, ArgumentTypeError, ["offsets", "integers"]),
        ("split_arch", None, {}, InvalidValueError, ["contiguous", "'a1'"]),
        ("no_arch_column", None, {}, UnknownNameError, ["arch_column", "'arch'"]),
        ("frame", "missing_target", {}, UnknownNameError, ["targets", "'a3'"]),
        ("frame", "short", {}, ShapeError, ["targets", "one value per"]),
        ("frame", None, {"reducers": ["median_layers"]}, UnknownNameError, ["reducers", "median"]),
        ("frame", None, {"reducers": []}, ConfigError, ["reducers", "at least one"]),
        ("frame", None, {"missing": "drop_rows"}, UnknownNameError, ["missing", "drop_archs"]),
        ("frame", None, {"features": ["nope"]}, UnknownNameError, ["features", "'nope'"]),
        ("frame", None, {"popsize": 10}, UnknownNameError, ["'popsize'", "population_size"]),
        ("inf", None, {}, InvalidValueError, ["finite", "'wg'"]),
        (5, None, {}, ArgumentTypeError, ["layers", "int"]),
    ],
)
def test_bad_layer_input(layers, targets, kwargs, exc, fragments) -> None:  # type: ignore[no-untyped-def]
    df, acc = synthetic_task(12, 10)
    table = LayerTable.from_frame(df)
    v, off = np.asarray(table.values), np.asarray(table.offsets)
    cases = {
        "frame": df,
        "offsets_down": (v, np.array([0, 5, 3, *off[3:]])),
        "offsets_empty_arch": (v, np.array([0, off[1], off[1], *off[2:]])),
        "offsets_short": (v, off[:-1]),
        "offsets_start": (v, np.array([1, *off[1:]])),
        "offsets_float": (v, off.astype(float)),
        "split_arch": pl.concat([df, df.filter(pl.col("arch") == "a1")]),
        "no_arch_column": df.rename({"arch": "net"}),
        "inf": df.with_columns(pl.col("wg").replace({df["wg"][0]: np.inf})),
    }
    target_cases = {
        None: acc if isinstance(cases.get(layers), pl.DataFrame) else list(acc.values()),
        "missing_target": {k: v for k, v in acc.items() if k != "a3"},
        "short": list(acc.values())[:-1],
    }
    data = cases.get(layers, layers) if isinstance(layers, str) else layers
    with pytest.raises(exc) as info:
        zcfast.evolve_layerwise(data, target_cases[targets], seed=0, **SMALL, **kwargs)
    assert isinstance(info.value, ZcfastError)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_expression_errors_on_layer_tables() -> None:
    df = ragged(5, 11)
    with pytest.raises(UnknownNameError, match="reductions"):
        Expression.parse("median_layers(wg)", NAMES)
    with pytest.raises(InvalidValueError, match="inside a reduction"):
        Expression.parse("sum_layers(wg) + fan_in", NAMES)
    with pytest.raises(InvalidValueError, match="do not nest"):
        Expression.parse("sum_layers(mean_layers(wg))", NAMES)
    with pytest.raises(InvalidValueError, match="flat expression"):
        zcfast.Expression.parse("wg * fan_in", NAMES).evaluate(LayerTable.from_frame(df))
    with pytest.raises(UnknownNameError, match="w_norm"):
        Expression.parse("sum_layers(w_norm)", NAMES).evaluate(df.drop("w_norm"))
    with pytest.raises(ShapeError, match="3 columns"):
        Expression.parse("sum_layers(wg)", NAMES).evaluate((np.ones((4, 2)), np.array([0, 2, 4])))
