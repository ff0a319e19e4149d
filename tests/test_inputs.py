"""Bad input to evolve gives a zcfast exception naming the argument, expected and found."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import zcfast
from zcfast.exceptions import (
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    ShapeError,
    UnknownNameError,
    ZcfastError,
)

rng = np.random.default_rng(0)
X = rng.normal(size=(20, 3))
y = rng.normal(size=20)
FAST = dict(population_size=20, generations=2)


@pytest.mark.parametrize(
    ("kwargs", "exc", "fragments"),
    [
        (
            dict(matrix=X, targets=y[:-1]),
            ShapeError,
            ["targets", "one value per matrix row (20)", "19"],
        ),
        (
            dict(matrix=X[:, 0], targets=y),
            ShapeError,
            ["matrix", "2-D", "1-D array of shape (20,)"],
        ),
        (dict(matrix=np.empty((0, 3)), targets=[]), ShapeError, ["matrix", "shape (0, 3)"]),
        (dict(matrix=np.empty((5, 0)), targets=y[:5]), ShapeError, ["matrix", "shape (5, 0)"]),
        (dict(matrix=X[:2], targets=y[:2]), ShapeError, ["matrix", "at least 3 rows", "found 2"]),
        (
            dict(matrix=X, targets=np.where(np.arange(20) == 4, np.nan, y)),
            InvalidValueError,
            ["targets", "finite", "nan at position 4"],
        ),
        (
            dict(matrix=X, targets=np.where(np.arange(20) == 2, np.inf, y)),
            InvalidValueError,
            ["targets", "finite", "inf at position 2"],
        ),
        (
            dict(matrix=X, targets=np.ones(20)),
            InvalidValueError,
            ["targets", "not all equal", "1.0"],
        ),
        (dict(matrix=X, targets=y.reshape(4, 5)), ShapeError, ["targets", "1-D"]),
        (dict(matrix=X, targets=["a"] * 20), ArgumentTypeError, ["targets", "numeric"]),
        (
            dict(matrix=[["a", "b"], ["c", "d"], ["e", "f"]], targets=[1, 2, 3]),
            ArgumentTypeError,
            ["matrix", "numeric"],
        ),
        (
            dict(
                matrix=pl.DataFrame({"a": [1.0, 2.0, 3.0], "name": ["x", "y", "z"]}),
                targets=[1, 2, 3],
            ),
            ArgumentTypeError,
            ["matrix", "column 'name'", "String"],
        ),
        (
            dict(matrix=np.ones((10, 2)), targets=y[:10]),
            InvalidValueError,
            ["matrix", "not constant", "every column constant"],
        ),
        (
            dict(matrix=X, targets=y, fitness="r2"),
            UnknownNameError,
            ["fitness", "'spearman'", "'r2'"],
        ),
        (
            dict(matrix=X, targets=y, functions=["add", "exp"]),
            UnknownNameError,
            ["functions", "'exp'"],
        ),
        (dict(matrix=X, targets=y, functions="add"), ArgumentTypeError, ["functions", "string"]),
        (
            dict(matrix=X, targets=y, aggregate="median"),
            UnknownNameError,
            ["aggregate", "'median'"],
        ),
        (dict(matrix=X, targets=y, missing="ignore"), UnknownNameError, ["missing", "'ignore'"]),
        (
            dict(matrix=X, targets=y, population_size=0),
            ConfigError,
            ["population_size", "positive", "0"],
        ),
        (dict(matrix=X, targets=y, generations=-1), ConfigError, ["generations", "positive", "-1"]),
        (dict(matrix=X, targets=y, max_size=0), ConfigError, ["max_size", "positive"]),
        (
            dict(matrix=X, targets=y, population_size=2.5),
            ArgumentTypeError,
            ["population_size", "2.5"],
        ),
        (dict(matrix=X, targets=y, n_threads=0), ConfigError, ["n_threads", "positive"]),
        (
            dict(matrix=X, targets=y, tournament_size=50),
            ConfigError,
            ["tournament_size", "at most population_size (20)", "50"],
        ),
        (dict(matrix=X, targets=y, crossover=1.5), ConfigError, ["crossover", "[0, 1]", "1.5"]),
        (dict(matrix=X, targets=y, parsimony=-1.0), ConfigError, ["parsimony", ">= 0", "-1"]),
        (
            dict(matrix=X, targets=y, validation_fraction=1.5),
            ConfigError,
            ["validation_fraction", "(0, 1)"],
        ),
        (
            dict(matrix=X, targets=y, validation_fraction=0.05),
            ConfigError,
            ["validation_fraction", "at least 3"],
        ),
        (dict(matrix=X, targets=y, constants=(2.0, 1.0)), ConfigError, ["constants", "low < high"]),
        (dict(matrix=X, targets=y, init_depth=(3, 20)), ConfigError, ["init_depth", "max_depth"]),
        (
            dict(matrix=X, targets=y, feature_names=["a", "b"]),
            ShapeError,
            ["feature_names", "3 names", "found 2"],
        ),
        (
            dict(matrix=X, targets=y, feature_names=["a", "a", "b"]),
            InvalidValueError,
            ["feature_names", "duplicates"],
        ),
        (dict(matrix=X, targets=y, seed=-5), ConfigError, ["seed", "-5"]),
        (dict(matrix=X, targets=y, time_limit=0), ConfigError, ["time_limit", "positive"]),
        (dict(matrix=[X, X[:, :2]], targets=[y, y]), ShapeError, ["matrix[1]", "same columns"]),
        (dict(matrix=[X, X], targets=y), ShapeError, ["targets", "list of 2"]),
        (
            dict(matrix=[X, X], targets=[y, y[:3]]),
            ShapeError,
            ["targets[1]", "one value per matrix row"],
        ),
    ],
)
def test_bad_input(kwargs: dict, exc: type, fragments: list[str]) -> None:
    matrix, targets = kwargs.pop("matrix"), kwargs.pop("targets")
    settings = {**FAST, **kwargs}
    with pytest.raises(exc) as info:
        zcfast.evolve(matrix, targets, **settings)
    assert isinstance(info.value, ZcfastError)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_errors_are_value_or_type_errors() -> None:
    assert issubclass(ShapeError, ValueError) and issubclass(ArgumentTypeError, TypeError)
    with pytest.raises(ValueError):
        zcfast.evolve(X, y[:3], **FAST)
    with pytest.raises(TypeError):
        zcfast.evolve(X, y, population_size="many")


def test_core_rejects_what_python_let_through() -> None:
    # The bindings validate again; a direct call with bad settings is an error, not a panic.
    from zcfast import _core

    settings = {**zcfast.Settings(seed=0, n_threads=1).to_dict(), "population_size": 10}
    with pytest.raises(ConfigError, match="elitism"):
        _core.Evolver([(X, None, y)], {**settings, "elitism": 10})
    with pytest.raises(ConfigError, match="popsize"):
        _core.Evolver([(X, None, y)], {**settings, "popsize": 10})
    with pytest.raises(ConfigError, match="population_size"):
        _core.Evolver([(X, None, y)], {**settings, "population_size": -1})
    with pytest.raises(InvalidValueError, match="offsets"):
        _core.Evolver([(X, np.array([0, 5, 3, 20]), y[:3])], settings)
    with pytest.raises(ShapeError, match="at least 3 columns"):
        _core.evaluate(["x2"], np.ones((4, 2)))
    with pytest.raises(InvalidValueError, match="finite"):
        _core.spearman(np.array([np.nan, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
