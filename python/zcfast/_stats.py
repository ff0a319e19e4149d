"""Rank correlations computed by the Rust core."""

from __future__ import annotations

import math

import numpy as np

from zcfast import _core
from zcfast._messages import describe_value
from zcfast._params import Choice, check, fail
from zcfast._validate import as_vector
from zcfast.exceptions import ArgumentTypeError

__all__ = ["kendall", "ndcg", "pearson", "precision", "spearman", "top_spearman", "weighted_tau"]


def spearman(a: object, b: object) -> float:
    """Spearman's rank correlation ρ between two 1-D sequences (ties get average ranks).

    Equal to ``scipy.stats.spearmanr(a, b).statistic``, computed in O(n log n) by the core.

    Parameters
    ----------
    a, b : array-like of numbers, same length (at least 2), finite, not constant.

    Raises
    ------
    ShapeError, InvalidValueError, ArgumentTypeError
        For different lengths, NaN/inf, constant input or non-numeric values.

    Example
    -------
    >>> zcfast.spearman([1, 2, 3, 4], [10, 20, 40, 30])
    0.8
    """
    return _core.spearman(as_vector(a, "a"), as_vector(b, "b"))


def kendall(a: object, b: object) -> float:
    """Kendall's τ-b between two 1-D sequences, in O(n log n).

    Equal to ``scipy.stats.kendalltau(a, b).statistic`` (the τ-b variant, which corrects for
    ties in either input).

    Example
    -------
    >>> zcfast.kendall([1, 2, 3, 4], [10, 20, 40, 30])
    0.6666666666666666
    """
    return _core.kendall(as_vector(a, "a"), as_vector(b, "b"))


def pearson(a: object, b: object) -> float:
    """Pearson's linear correlation r between two 1-D sequences.

    Example
    -------
    >>> round(zcfast.pearson([1, 2, 3], [2, 4, 6.5]), 6)
    0.997949
    """
    return _core.pearson(as_vector(a, "a"), as_vector(b, "b"))


def weighted_tau(a: object, b: object) -> float:
    """Weighted Kendall τ of scores ``a`` against targets ``b``, with hyperbolic weights.

    Equal to ``scipy.stats.weightedtau(a, b).statistic`` (additive weights ``1/(r+1)``, the
    average of the rankings by ``(a, b)`` and by ``(b, a)``), in O(n log n): pairs near the top
    of either ranking count most, which is where a search picks its architectures.

    Example
    -------
    >>> round(zcfast.weighted_tau([1, 2, 3, 4, 5], [1, 2, 3, 5, 4]), 6)
    0.671533
    """
    return _core.weighted_tau(as_vector(a, "a"), as_vector(b, "b"))


def _fraction(fraction: object) -> float:
    if isinstance(fraction, (bool, np.bool_)) or not isinstance(
        fraction, (int, float, np.integer, np.floating)
    ):
        raise fail("fraction", "a number in (0, 1]", describe_value(fraction), ArgumentTypeError)
    try:
        return float(fraction)
    except OverflowError:  # an int beyond float's range; the core rejects inf
        return math.inf


def top_spearman(a: object, b: object, fraction: float = 0.1) -> float:
    """Spearman's ρ of scores ``a`` against targets ``b`` on the top ``fraction`` of the
    architectures by target (at least 2): how well the scores order the good ones.

    Example
    -------
    >>> zcfast.top_spearman([5, 1, 2, 3, 4], [5, 1, 2, 3, 4], fraction=0.4)
    1.0
    """
    return _core.top_measure(
        "top_spearman", as_vector(a, "a"), as_vector(b, "b"), _fraction(fraction)
    )


def precision(a: object, b: object, fraction: float = 0.1) -> float:
    """Precision@k: the share of the ``k`` highest scores ``a`` that are among the ``k`` highest
    targets ``b`` (a tied block at the k-th place counts by its share); ``k`` is ``fraction * n``
    rounded half up, at least 1.

    Example
    -------
    >>> zcfast.precision([4, 3, 2, 1], [4, 1, 3, 2], fraction=0.5)
    0.5
    """
    return _core.top_measure("precision", as_vector(a, "a"), as_vector(b, "b"), _fraction(fraction))


def ndcg(a: object, b: object, fraction: float = 0.1) -> float:
    """NDCG@k of scores ``a`` with the targets' percentile ranks as gains: the discounted
    gain (``1/log2(place + 1)``) of the ``k`` highest scores over the best possible.

    Example
    -------
    >>> zcfast.ndcg([1, 2, 3], [1, 2, 3], fraction=1.0)
    1.0
    """
    return _core.top_measure("ndcg", as_vector(a, "a"), as_vector(b, "b"), _fraction(fraction))


def measure(name: str, a: object, b: object, top_fraction: float = 0.1) -> float:
    """The fitness measure ``name`` (a ``zcfast.Settings.fitness`` choice) of ``a`` against ``b``.

    Example
    -------
    >>> measure("kendall", [1, 2, 3, 4], [10, 20, 40, 30])
    0.6666666666666666
    """
    plain = {
        "spearman": spearman,
        "kendall": kendall,
        "pearson": pearson,
        "weighted_tau": weighted_tau,
    }
    top = {"top_spearman": top_spearman, "precision": precision, "ndcg": ndcg}
    check("fitness", name, Choice(*plain, *top))
    if name in plain:
        return plain[name](a, b)
    return top[name](a, b, top_fraction)
