"""Expressions evaluate like plain NumPy, print readably and round-trip exactly."""

from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest
import zcfast
from hypothesis import given
from hypothesis import strategies as st
from zcfast import Expression
from zcfast.exceptions import InvalidValueError, ShapeError, UnknownNameError

NAMES = ["synflow", "nwot", "params", "jacov"]
EPS = 1e-10

# NumPy versions of zcfast's protected functions, written from their documented meaning.
NUMPY_FUNCS = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": lambda a, b: np.where(np.abs(b) > EPS, a / np.where(np.abs(b) > EPS, b, 1.0), 1.0),
    "neg": np.negative,
    "abs": np.abs,
    "log": lambda a: np.where(
        np.abs(a) > EPS, np.log(np.where(np.abs(a) > EPS, np.abs(a), 1.0)), 0.0
    ),
    "sqrt": lambda a: np.sqrt(np.abs(a)),
    "square": np.square,
    "min": np.minimum,
    "max": np.maximum,
}
UNARY = {"neg", "abs", "log", "sqrt", "square"}


def numpy_eval(tokens: tuple[str, ...], X: np.ndarray) -> np.ndarray:
    stack: list[np.ndarray] = []
    for t in tokens:
        if t.startswith("x"):
            stack.append(X[:, int(t[1:])])
        elif t.startswith("c"):
            stack.append(np.full(X.shape[0], float(t[1:])))
        elif t in UNARY:
            stack.append(NUMPY_FUNCS[t](stack.pop()))
        else:
            b, a = stack.pop(), stack.pop()
            stack.append(NUMPY_FUNCS[t](a, b))
    return stack[0]


@st.composite
def postfix(draw: st.DrawFn, max_leaves: int = 8) -> tuple[str, ...]:
    def tree(depth: int) -> list[str]:
        if depth == 0 or draw(st.booleans()):
            if draw(st.integers(0, 5)) == 0:
                return [f"c{draw(st.floats(-3, 3, allow_nan=False))!r}"]
            return [f"x{draw(st.integers(0, len(NAMES) - 1))}"]
        f = draw(st.sampled_from(sorted(NUMPY_FUNCS)))
        if f in UNARY:
            return [*tree(depth - 1), f]
        return [*tree(depth - 1), *tree(depth - 1), f]

    return tuple(tree(4))


@given(postfix(), st.integers(0, 2**32 - 1))
def test_evaluate_equals_numpy(tokens: tuple[str, ...], seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=5.0, size=(300, len(NAMES)))
    X[::17, 1] = 0.0  # exercise the protected branches
    X[::23, 2] = 1e-12
    e = Expression(tokens, NAMES)
    got = e.evaluate(X)
    with np.errstate(all="ignore"):
        expected = numpy_eval(tokens, X)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_parse_and_print() -> None:
    e = Expression.parse("log(synflow) * nwot / params", NAMES)
    assert str(e) == "log(synflow) * nwot / params"
    assert e.tokens == ("x0", "log", "x1", "mul", "x2", "div")
    assert e.size == 6 and e.depth == 3
    assert e.features == ["synflow", "nwot", "params"]
    e2 = Expression.parse("-(synflow - 2.5)^2 + max(nwot, jacov)", NAMES)
    assert str(e2) == "-(synflow - 2.5)^2 + max(nwot, jacov)"
    X = np.array([[1.0, 2.0, 3.0, 4.0], [3.0, 0.5, 1.0, -1.0]])
    np.testing.assert_allclose(e2.evaluate(X), [-((1 - 2.5) ** 2) + 4.0, -(0.5**2) + 0.5])


@pytest.mark.parametrize(
    ("formula", "exc", "fragment"),
    [
        ("exp(synflow)", UnknownNameError, "'exp'"),
        ("synflow + flops", UnknownNameError, "'flops'"),
        ("synflow ** 3", InvalidValueError, "power 2"),
        ("synflow +", InvalidValueError, "arithmetic expression"),
        ("log(synflow, nwot)", InvalidValueError, "log with 1 argument"),
        ("synflow < nwot", InvalidValueError, "found"),
    ],
)
def test_parse_errors(formula: str, exc: type, fragment: str) -> None:
    with pytest.raises(exc) as info:
        Expression.parse(formula, NAMES)
    assert "formula" in str(info.value) and fragment in str(info.value)


def test_malformed_tokens_are_rejected() -> None:
    with pytest.raises(InvalidValueError, match="expression"):
        Expression(("x0", "add"), NAMES)
    with pytest.raises(InvalidValueError, match="frob"):
        Expression(("x0", "frob"), NAMES)
    with pytest.raises(ShapeError, match="feature_names: expected at least 10 names"):
        Expression(("x9",), NAMES)


def test_evaluate_dataframe_by_column_name() -> None:
    e = Expression.parse("synflow / params", NAMES)
    df = pl.DataFrame({"params": [2.0, 4.0], "other": ["a", "b"], "synflow": [8.0, 2.0]})
    np.testing.assert_allclose(e.evaluate(df), [4.0, 0.5])
    pdf = df.to_pandas()
    np.testing.assert_allclose(e.evaluate(pdf), [4.0, 0.5])
    with pytest.raises(UnknownNameError, match="synflow"):
        e.evaluate(df.drop("synflow"))
    with pytest.raises(ShapeError, match="expected 4 columns"):
        e.evaluate(np.ones((3, 2)))


def test_json_and_pickle_round_trips_give_same_scores() -> None:
    rng = np.random.default_rng(0)
    X = np.abs(rng.normal(size=(100, 3))) + 0.1
    y = X[:, 0] * X[:, 1] + rng.normal(scale=0.1, size=100)
    result = zcfast.evolve(
        X, y, population_size=200, generations=5, seed=1, constants=(-2.0, 2.0), ensemble=1
    )
    for e in [result.best, *result.front]:
        back = Expression.from_json(e.to_json())
        assert back == e and back.fitness == e.fitness and str(back) == str(e)
        np.testing.assert_array_equal(back.evaluate(X), e.evaluate(X))
        pickled = pickle.loads(pickle.dumps(e))
        assert pickled == e
        np.testing.assert_array_equal(pickled.evaluate(X), e.evaluate(X))
    with pytest.raises(InvalidValueError, match="format"):
        Expression.from_dict({"format": "other", "postfix": ["x0"], "feature_names": ["a"]})
    with pytest.raises(InvalidValueError, match="JSON"):
        Expression.from_json("{not json")


def test_score_matches_correlation_of_evaluate() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 4))
    y = rng.normal(size=50)
    e = Expression.parse("synflow * nwot - jacov", NAMES)
    assert e.score(X, y) == pytest.approx(zcfast.spearman(e.evaluate(X), y))
    assert e.score(X, y, "kendall") == pytest.approx(zcfast.kendall(e.evaluate(X), y))
    with pytest.raises(UnknownNameError, match="fitness"):
        e.score(X, y, "r2")
