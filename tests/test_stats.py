"""zcfast's correlation kernels equal scipy's on random data, with and without ties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import zcfast
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, ShapeError, ZcfastError

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
tied = st.integers(min_value=-3, max_value=3).map(float)


@st.composite
def pairs(draw: st.DrawFn, elements: st.SearchStrategy[float]) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(min_value=2, max_value=400))
    a = draw(hnp.arrays(np.float64, n, elements=elements))
    b = draw(hnp.arrays(np.float64, n, elements=elements))
    assume(np.ptp(a) > 0 and np.ptp(b) > 0)
    return a, b


@given(pairs(finite))
def test_spearman_matches_scipy(ab: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = ab
    assert zcfast.spearman(a, b) == pytest.approx(scipy.stats.spearmanr(a, b).statistic, abs=1e-9)


@given(pairs(tied))
def test_spearman_matches_scipy_with_ties(ab: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = ab
    assert zcfast.spearman(a, b) == pytest.approx(scipy.stats.spearmanr(a, b).statistic, abs=1e-9)


@given(pairs(finite))
def test_kendall_matches_scipy_tau_b(ab: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = ab
    expected = scipy.stats.kendalltau(a, b, variant="b").statistic
    assert zcfast.kendall(a, b) == pytest.approx(expected, abs=1e-9)


@given(pairs(tied))
def test_kendall_matches_scipy_tau_b_with_ties(ab: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = ab
    expected = scipy.stats.kendalltau(a, b, variant="b").statistic
    assert zcfast.kendall(a, b) == pytest.approx(expected, abs=1e-9)


@given(pairs(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)))
def test_pearson_matches_scipy(ab: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = ab
    assume(np.std(a) > 1e-6 * (1 + np.abs(a).max()) and np.std(b) > 1e-6 * (1 + np.abs(b).max()))
    assert zcfast.pearson(a, b) == pytest.approx(scipy.stats.pearsonr(a, b).statistic, abs=1e-9)


@pytest.mark.parametrize("n", [1_000, 15_625, 40_000])
def test_large_inputs_with_ties_match_scipy(n: int) -> None:
    # Large sizes take the radix-sort path; rounding creates many ties.
    rng = np.random.default_rng(n)
    a = np.round(rng.normal(size=n), 2)
    b = np.round(a + rng.normal(size=n), 1)
    assert zcfast.spearman(a, b) == pytest.approx(scipy.stats.spearmanr(a, b).statistic, abs=1e-9)
    expected = scipy.stats.kendalltau(a, b).statistic
    assert zcfast.kendall(a, b) == pytest.approx(expected, abs=1e-9)


def test_accepts_lists_ints_and_strided_views() -> None:
    a = np.arange(20, dtype=np.int32)
    b = np.arange(40, dtype=np.float64)[::2][::-1]
    assert zcfast.spearman(a, b) == pytest.approx(-1.0)
    assert zcfast.kendall(list(a), b.tolist()) == pytest.approx(-1.0)


def test_signed_zero_and_extremes_rank_correctly() -> None:
    a = np.array([-0.0, 0.0, -1e-300, 1e300, -1e300])
    b = np.array([1.0, 1.0, 0.5, 3.0, 0.0])
    assert zcfast.spearman(a, b) == pytest.approx(scipy.stats.spearmanr(a, b).statistic)


@pytest.mark.parametrize(
    ("a", "b", "exc", "fragment"),
    [
        ([1.0, 2.0, 3.0], [1.0, 2.0], ShapeError, "b: expected the same length as a (3)"),
        ([1.0, np.nan, 3.0], [1.0, 2.0, 3.0], InvalidValueError, "a: expected finite values"),
        ([1.0, 2.0, 3.0], [1.0, np.inf, 3.0], InvalidValueError, "b: expected finite values"),
        (
            [2.0, 2.0, 2.0],
            [1.0, 2.0, 3.0],
            InvalidValueError,
            "a: expected values that are not all equal",
        ),
        (
            [1.0, 2.0, 3.0],
            [5.0, 5.0, 5.0],
            InvalidValueError,
            "b: expected values that are not all equal",
        ),
        ([1.0], [1.0], ShapeError, "b: expected at least 2 values"),
        ([[1.0, 2.0]], [1.0, 2.0], ShapeError, "a: expected a 1-D array"),
        (["x", "y"], [1.0, 2.0], ArgumentTypeError, "a: expected numeric values"),
    ],
)
def test_bad_input_raises_named_errors(a: object, b: object, exc: type, fragment: str) -> None:
    for f in (zcfast.spearman, zcfast.kendall, zcfast.pearson):
        with pytest.raises(exc) as info:
            f(a, b)
        assert fragment in str(info.value)
        assert isinstance(info.value, ZcfastError)


def test_inputs_are_not_modified() -> None:
    a = np.array([3.0, -0.0, 2.0, 2.0])
    b = np.array([1.0, 2.0, 3.0, 4.0])
    a0, b0 = a.copy(), b.copy()
    zcfast.spearman(a, b)
    zcfast.kendall(a, b)
    assert np.array_equal(a, a0) and np.array_equal(b, b0)
    assert np.signbit(a[1])


def test_pearson_of_tiny_and_huge_values() -> None:
    """Scaled near 1e±300, inputs are neither constant nor overflowing (scipy agrees)."""
    import scipy.stats

    a = np.array([1.0, 2.0, 4.0, 3.0])
    b = np.array([2.0, 1.0, 5.0, 4.0])
    want = scipy.stats.pearsonr(a, b).statistic
    for scale_a, scale_b in [(1e-300, 1.0), (1e300, 1e-300), (1e-305, 1e305)]:
        assert zcfast.pearson(a * scale_a, b * scale_b) == pytest.approx(want, abs=1e-12)


@given(
    n=st.integers(5, 300),
    seed=st.integers(0, 10_000),
    fraction=st.floats(0.02, 1.0),
)
def test_top_weighted_measures_match_their_definitions(n: int, seed: int, fraction: float) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 12, n).astype(float)  # ties in the scores
    b = rng.integers(0, 30, n).astype(float)  # and in the targets
    assume(np.ptp(a) > 0 and np.ptp(b) > 0)
    assert zcfast.weighted_tau(a, b) == pytest.approx(
        scipy.stats.weightedtau(a, b).statistic, abs=1e-9
    )
    k = max(1, min(n, math.floor(fraction * n + 0.5)))  # half up, not Python's half-even
    top = np.argsort(b, kind="stable")[n - max(k, 2) :]
    if np.ptp(a[top]) > 0 and np.ptp(b[top]) > 0:
        assert zcfast.top_spearman(a, b, fraction) == pytest.approx(
            scipy.stats.spearmanr(a[top], b[top]).statistic, abs=1e-9
        )
    if len(set(a)) == n and len(set(b)) == n:  # without ties: the textbook definitions
        by_a, by_b = np.argsort(-a)[:k], np.argsort(-b)[:k]
        assert zcfast.precision(a, b, fraction) == pytest.approx(len(set(by_a) & set(by_b)) / k)
        gain = scipy.stats.rankdata(b) / n
        discount = 1 / np.log2(np.arange(k) + 2)
        want = (gain[by_a] * discount).sum() / (gain[by_b] * discount).sum()
        assert zcfast.ndcg(a, b, fraction) == pytest.approx(want, abs=1e-12)


def test_top_weighted_measures_reward_the_top() -> None:
    y = np.arange(100.0)
    good_top = y.copy()
    good_top[:50] = np.random.default_rng(0).permutation(good_top[:50])  # shuffled bottom
    good_bottom = y.copy()
    good_bottom[50:] = np.random.default_rng(0).permutation(good_bottom[50:])  # shuffled top
    assert zcfast.weighted_tau(good_top, y) > zcfast.weighted_tau(good_bottom, y)
    assert zcfast.precision(good_top, y, 0.1) == 1.0 > zcfast.precision(good_bottom, y, 0.1)
    assert zcfast.ndcg(good_top, y, 0.1) == 1.0 > zcfast.ndcg(good_bottom, y, 0.1)
    assert zcfast.top_spearman(good_top, y, 0.2) == 1.0
    with pytest.raises(InvalidValueError, match="fraction"):
        zcfast.precision(y, y, 0.0)
    with pytest.raises(InvalidValueError, match="not all equal"):
        zcfast.weighted_tau(np.ones(5), np.arange(5.0))


def test_degenerate_architectures_rank_last() -> None:
    X = np.array([[1.0, 5.0], [2.0, 6.0], [-1e8, 7.0], [4.0, 1e8]])
    e = zcfast.Expression.parse("a * b", ["a", "b"])
    scores = e.evaluate(X)
    assert scores[0] == 5.0 and scores[1] == 12.0
    assert scores[2] == scores[3] == zcfast.DEGENERATE_SCORE
    assert zcfast.Expression.parse("b", ["a", "b"]).evaluate(X)[2] == 7.0  # a is not read
    assert zcfast.spearman(scores, [1.0, 2.0, 0.0, -1.0]) == pytest.approx(
        scipy.stats.spearmanr(scores, [1.0, 2.0, 0.0, -1.0]).statistic
    )
