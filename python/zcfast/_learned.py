"""Learned predictors as baselines: scikit-learn regressors fitted on the same architectures
and columns an evolution sees.

NAS-Bench-Suite-Zero and GRAF-style predictors regress the trained accuracy on the proxy
values of the labelled architectures. Four of them, each with the settings such comparisons
use, are available by name (``zcfast.LEARNED``), so that an evolved proxy can be judged
against them out of bag (the ``learned`` setting; ``result.validation``) and on held-out
architectures (``scripts/generalisation_experiment.py``):

* ``forest``: a random forest of 500 trees (``RandomForestRegressor``);
* ``boosting``: gradient boosting with scikit-learn's defaults (100 trees of depth 3,
  learning rate 0.1; ``GradientBoostingRegressor``);
* ``gaussian_process``: Gaussian-process regression, a constant times an RBF kernel plus
  white noise, hyperparameters by marginal likelihood, on quantile-normalised inputs
  (``QuantileTransformer`` to a normal distribution; ``GaussianProcessRegressor``);
* ``kernel_ridge``: kernel ridge regression with an RBF kernel, its regularisation and width
  chosen by 5-fold cross-validation, on standardised signed-log inputs
  (``KernelRidge`` in ``GridSearchCV``).

The input preprocessing of the two kernel methods was chosen by measurement on four tasks
(NB201 ImageNet16-120, NB101, two robustness targets; 5 splits of 100 training
architectures) among standardised raw, standardised signed-log and quantile-normalised inputs,
isotropic and per-column (ARD) kernel widths: these are the variants with the best held-out
Spearman (ARD overfits 100 architectures; raw inputs let the ±1e8 missing-value markers
swamp a kernel). Trees are invariant to monotone transforms and take the values as they are.

Each column enters as the values a formula reading only that column sees: a flat table's
column, or a layer table's column summed over each architecture's layers; the missing-value
marker (±1e8) stays a very low value (the trees and the signed-log transform keep it apart),
and an architecture with NaN in a column gets a NaN prediction, as a formula would.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zcfast._expression import DEGENERATE_SCORE, Expression
from zcfast._layers import ARCH_COLUMN
from zcfast.exceptions import ConfigError, InvalidValueError

__all__ = ["LEARNED", "LearnedPredictor", "column_features", "fit_learned"]

#: Learned predictors by name, with what each one is.
LEARNED: dict[str, str] = {
    "forest": "random forest, 500 trees",
    "boosting": "gradient boosting, 100 trees of depth 3, learning rate 0.1",
    "gaussian_process": (
        "Gaussian-process regression, RBF + white-noise kernel, quantile-normal inputs"
    ),
    "kernel_ridge": "kernel ridge regression, RBF kernel tuned by 5-fold CV, signed-log inputs",
}

#: The value a missing-value marker (and a degenerate column value) enters the models as.
_MISSING = -1e8


def signed_log(x: np.ndarray) -> np.ndarray:
    """``sign(x) * log(1 + |x|)``: heavy-tailed proxy values (and the ±1e8 marker) on one
    scale."""
    return np.sign(x) * np.log1p(np.abs(x))


def _model(name: str, n_rows: int, n_cols: int, seed: int) -> Any:
    """A fresh scikit-learn regressor for ``name`` with the settings described above."""
    try:
        from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
        from sklearn.kernel_ridge import KernelRidge
        from sklearn.model_selection import GridSearchCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer, QuantileTransformer, StandardScaler
    except ImportError:  # pragma: no cover - scikit-learn is a test and torch dependency
        raise ConfigError(
            "learned: expected scikit-learn to be installed for learned predictors"
            " (pip install 'zcfast[learned]'), found it missing"
        ) from None
    state = seed % 2**32
    if name == "forest":
        return RandomForestRegressor(n_estimators=500, random_state=state)
    if name == "boosting":
        return GradientBoostingRegressor(random_state=state)
    if name == "gaussian_process":
        kernel = ConstantKernel(1.0) * RBF(1.0, (1e-2, 1e3)) + WhiteKernel(0.1, (1e-6, 1e1))
        return make_pipeline(
            QuantileTransformer(n_quantiles=min(1000, n_rows), output_distribution="normal"),
            GaussianProcessRegressor(kernel, normalize_y=True, random_state=state),
        )
    if name == "kernel_ridge":
        folds = min(5, n_rows // 2)
        ridge = KernelRidge(kernel="rbf", alpha=0.1, gamma=1.0 / n_cols)
        if folds >= 2:
            grid = {
                "alpha": [1e-3, 1e-2, 1e-1, 1.0],
                "gamma": [g / n_cols for g in (0.1, 0.3, 1.0, 3.0)],
            }
            ridge = GridSearchCV(ridge, grid, cv=folds)
        return make_pipeline(FunctionTransformer(signed_log), StandardScaler(), ridge)
    raise ConfigError(f"learned: expected names from {', '.join(LEARNED)}, found {name!r}")


def column_features(names: tuple[str, ...], kept: list[int], layerwise: bool) -> list[Expression]:
    """One formula per kept column: the column itself, or for a layer table its sum over each
    architecture's layers."""
    cols = [f"x{c}" for c in kept]
    if layerwise:
        return [Expression((c, "sum_layers"), names) for c in cols]
    return [Expression((c,), names) for c in cols]


def feature_matrix(
    features: tuple[Expression, ...] | list[Expression],
    table: object,
    arch_column: str = ARCH_COLUMN,
) -> np.ndarray:
    """The inputs of a learned predictor: one column per feature formula, one row per
    architecture of ``table``."""
    columns = [f.evaluate(table, arch_column=arch_column) for f in features]
    x = np.column_stack(columns).astype(np.float64)
    return np.where((x == DEGENERATE_SCORE) | np.isinf(x), _MISSING, x)


@dataclass(frozen=True)
class LearnedPredictor:
    """A fitted scikit-learn regressor over one formula per column; scores like an Expression.

    Attributes
    ----------
    name : str
        One of :data:`zcfast.LEARNED`.
    features : tuple of Expression
        What each input column is (a column, or its sum over a layer table's layers).
    model : scikit-learn regressor
        The fitted model; it predicts standardised accuracy, which :meth:`evaluate` maps back
        to the targets' scale.

    Example
    -------
    >>> import zcfast
    >>> from zcfast._learned import fit_learned
    >>> X, y = zcfast.datasets.features_and_targets(zcfast.datasets.load_demo())
    >>> forest = fit_learned("forest", X[:100], y[:100], seed=0)
    >>> str(forest)  # the demo's columns, constant ones left out
    'forest(... columns)'
    >>> round(zcfast.spearman(forest.evaluate(X[100:]), y[100:].to_numpy()), 2) > 0.5
    True
    """

    name: str
    features: tuple[Expression, ...]
    model: Any = field(repr=False)
    centre: float = 0.0
    scale: float = 1.0

    def __str__(self) -> str:
        return f"{self.name}({len(self.features)} columns)"

    @property
    def is_layerwise(self) -> bool:
        return self.features[0].is_layerwise

    def evaluate(self, matrix: object, *, arch_column: str = ARCH_COLUMN) -> np.ndarray:
        """Predicted accuracy of every architecture of ``matrix`` (inputs as for
        :meth:`zcfast.Expression.evaluate`); NaN where a column is NaN."""
        x = feature_matrix(self.features, matrix, arch_column)
        return self.predict(x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions from an input matrix as :func:`feature_matrix` builds it."""
        out = np.full(x.shape[0], np.nan)
        ok = ~np.isnan(x).any(axis=1)
        if ok.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[ok] = self.model.predict(x[ok]) * self.scale + self.centre
        return out


def fit_on(
    name: str, features: tuple[Expression, ...], x: np.ndarray, y: np.ndarray, seed: int
) -> LearnedPredictor:
    """A learned predictor ``name`` fitted on inputs ``x`` (from :func:`feature_matrix`) and
    targets ``y``."""
    y = np.asarray(y, dtype=np.float64)
    centre, scale = float(np.mean(y)), float(np.std(y)) or 1.0
    model = _model(name, x.shape[0], x.shape[1], seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of the kernel optimisers
        model.fit(x, (y - centre) / scale)
    return LearnedPredictor(name, features, model, centre, scale)


def fit_learned(
    name: str,
    matrix: object,
    targets: object,
    *,
    feature_names: list[str] | tuple[str, ...] | None = None,
    seed: int = 0,
) -> LearnedPredictor:
    """A learned predictor ``name`` (one of :data:`LEARNED`) fitted on a flat table of
    metric columns and its targets, as :func:`zcfast.evolve` takes them (rows with NaN/inf
    are refused; the ±1e8 missing-value marker is kept).

    Example
    -------
    >>> X, y = zcfast.datasets.features_and_targets(zcfast.datasets.load_demo())
    >>> fit_learned("kernel_ridge", X[:100], y[:100]).evaluate(X[100:]).shape
    (200,)
    """
    from zcfast._prepare import prepare_flat

    if name not in LEARNED:
        raise ConfigError(f"name: expected one of {', '.join(LEARNED)}, found {name!r}")
    prepared = prepare_flat(matrix, targets, feature_names, "raise")
    table, y = prepared.reference(0)
    features = tuple(column_features(prepared.names, prepared.kept_cols, layerwise=False))
    x = feature_matrix(features, table)
    if np.isnan(x).any():  # pragma: no cover - prepare_flat refuses NaN
        raise InvalidValueError("matrix: expected finite values, found NaN")
    return fit_on(name, features, x, y, seed)
