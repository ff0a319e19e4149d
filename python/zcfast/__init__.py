"""zcfast: evolve training-free performance predictors (zero-cost proxies) for NAS, fast.

A Rust core runs genetic programming with rank-correlation fitness over cached metric
matrices (rows = architectures, columns = metrics such as synflow, nwot, params) or over
per-layer primitive tables (rows = layers, grouped into architectures); this package gives it
a typed Python API, data loaders and a CLI. ``zcfast.metrics`` and
``zcfast.spaces`` compute metrics of real PyTorch models (``pip install 'zcfast[torch]'``)
and are imported on first use.

Example
-------
>>> import zcfast
>>> df = zcfast.datasets.load_demo()
>>> X, y = zcfast.datasets.features_and_targets(df)
>>> result = zcfast.evolve(X[:100], y[:100], generations=20, seed=0)
>>> print(result.best)                                  # ten bagged formulas  # doctest: +ELLIPSIS
rank_mean(...)
>>> zcfast.spearman(result.best.evaluate(X[100:]), y[100:]) > 0.8   # held-out Spearman
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zcfast import datasets, exceptions
from zcfast._core import __version__
from zcfast._ensemble import Ensemble
from zcfast._evolve import evolve, evolve_layerwise
from zcfast._expression import DEGENERATE_SCORE, FUNCTIONS, REDUCERS, Expression
from zcfast._layers import LayerTable
from zcfast._learned import LEARNED
from zcfast._load import load
from zcfast._params import missing_dependency
from zcfast._pareto import pareto_front
from zcfast._result import EvolveResult
from zcfast._search import SearchResult, search
from zcfast._settings import DEFAULT_FUNCTIONS, DEFAULT_REDUCERS, Settings
from zcfast._stats import kendall, ndcg, pearson, precision, spearman, top_spearman, weighted_tau

if TYPE_CHECKING:
    from zcfast import metrics, spaces
    from zcfast.estimator import ProxyEvolver

__all__ = [
    "DEFAULT_FUNCTIONS",
    "DEFAULT_REDUCERS",
    "DEGENERATE_SCORE",
    "FUNCTIONS",
    "LEARNED",
    "REDUCERS",
    "Ensemble",
    "EvolveResult",
    "Expression",
    "LayerTable",
    "ProxyEvolver",
    "SearchResult",
    "Settings",
    "__version__",
    "datasets",
    "evolve",
    "evolve_layerwise",
    "exceptions",
    "kendall",
    "load",
    "metrics",
    "ndcg",
    "pareto_front",
    "pearson",
    "precision",
    "search",
    "spaces",
    "spearman",
    "top_spearman",
    "weighted_tau",
]

_LAZY = ("metrics", "spaces", "plot")


def __getattr__(name: str) -> Any:
    # PyTorch- and scikit-learn-backed parts load on first use so that `import zcfast` stays
    # light and needs neither.
    if name in _LAZY:
        return importlib.import_module(f"zcfast.{name}")
    if name == "ProxyEvolver":
        try:
            from zcfast.estimator import ProxyEvolver
        except ImportError as exc:
            raise missing_dependency(
                "scikit-learn", "zcfast.ProxyEvolver", "scikit-learn", exc
            ) from exc
        return ProxyEvolver
    raise AttributeError(f"module 'zcfast' has no attribute {name!r}")
