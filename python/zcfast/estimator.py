"""``zcfast.ProxyEvolver``: :func:`zcfast.evolve` as a scikit-learn estimator.

Needs scikit-learn (``pip install scikit-learn``); ``import zcfast`` does not, as
``zcfast.ProxyEvolver`` loads this module on first use. The estimator is a regressor in
scikit-learn's sense (it predicts a score per row), validates its input the way scikit-learn
estimators do, and passes ``sklearn.utils.estimator_checks.check_estimator``
(``tests/test_estimator.py`` runs it); its ``score`` is the rank correlation it was fitted for,
not R².
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from sklearn.utils.validation import check_is_fitted, validate_data

from zcfast._ensemble import Ensemble
from zcfast._evolve import evolve
from zcfast._expression import Expression
from zcfast._params import fail
from zcfast._result import EvolveResult
from zcfast._settings import Settings
from zcfast._stats import measure
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, ShapeError, ZcfastError

__all__ = ["NotFittedError", "ProxyEvolver"]

#: Settings that go by scikit-learn's names in the estimator.
_SKLEARN_NAMES = {"seed": "random_state", "n_threads": "n_jobs"}
#: Parameters of the estimator that are not settings, with their defaults.
_OPTIONS: dict[str, Any] = {"missing": "raise", "progress": False}
#: The fewest architectures a fit accepts (a rank correlation needs a few).
_MIN_SAMPLES = 3


class NotFittedError(ZcfastError, _SklearnNotFittedError):
    """``predict`` or ``score`` before ``fit``: a zcfast error that is also scikit-learn's
    ``NotFittedError`` (so ``except NotFittedError`` and scikit-learn's checks work)."""


def _sklearn_error(exc: Exception, arg: str) -> ZcfastError:
    """A zcfast error for one scikit-learn's validation raised, of the same built-in kind
    (``TypeError`` or ``ValueError``)."""
    text = str(exc)
    if isinstance(exc, TypeError):
        return fail(arg, "numeric input", text, ArgumentTypeError)
    shape_words = ("feature", "dim", "sample", "2D", "shape", "inconsistent numbers")
    finite = "NaN" in text or "infinity" in text
    cls = ShapeError if not finite and any(w in text for w in shape_words) else InvalidValueError
    return fail(arg, "input scikit-learn's validation accepts", text, cls)


def _defaults() -> dict[str, Any]:
    settings = {_SKLEARN_NAMES.get(k, k): d for k, (d, _) in Settings.describe().items()}
    return {**settings, **_OPTIONS}


class ProxyEvolver(RegressorMixin, BaseEstimator):
    """Evolves a zero-cost proxy with ``fit(X, y)``; ``predict(X)`` gives its scores.

    Parameters are the settings of :class:`zcfast.Settings` (same names and defaults, with
    scikit-learn's ``random_state`` for ``seed`` and ``n_jobs`` for ``n_threads``), plus
    ``missing`` and ``progress`` as in :func:`zcfast.evolve` (``missing="raise"`` rejects
    NaN/inf; another policy accepts them). ``n_jobs=-1`` means one thread per core, as in
    scikit-learn. Input scikit-learn's validation rejects raises a zcfast ``ShapeError`` or
    ``InvalidValueError`` (both ``ValueError``), and ``predict`` before ``fit`` a
    :class:`NotFittedError` that is also scikit-learn's.

    Attributes
    ----------
    expression_ : Expression or Ensemble
        The evolved formula.
    result_ : EvolveResult
        Everything the run returned (front, history, ...).
    n_features_in_, feature_names_in_
        As scikit-learn defines them (names only when ``X`` had column names).

    Example
    -------
    >>> X, y = zcfast.datasets.features_and_targets(zcfast.datasets.load_demo())
    >>> X_train, X_test, y_train, y_test = X[:100], X[100:], y[:100], y[100:]
    >>> model = ProxyEvolver(generations=30, random_state=0).fit(X_train, y_train)
    >>> model.score(X_test, y_test) > 0.8  # Spearman on held-out architectures
    True
    """

    def __init__(self, **params: Any) -> None:
        defaults = _defaults()
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise TypeError(f"ProxyEvolver: unexpected parameters {unknown}")
        for name, default in defaults.items():
            setattr(self, name, params.get(name, default))

    # scikit-learn reads the parameter names off the signature of __init__.
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
            for name, default in _defaults().items()
        ]
    )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.get_params()["missing"] != "raise"
        return tags

    def _settings(self) -> Settings:
        inverse = {v: k for k, v in _SKLEARN_NAMES.items()}
        params = {k: v for k, v in self.get_params().items() if k not in _OPTIONS}
        if isinstance(params["n_jobs"], int) and params["n_jobs"] == -1:
            params["n_jobs"] = None  # scikit-learn's "all cores"
        return Settings(**{inverse.get(k, k): v for k, v in params.items()})

    def _validate(self, X: object, y: object = None, *, reset: bool) -> Any:
        finite = self.get_params()["missing"] == "raise"
        options: dict[str, Any] = {
            "reset": reset,
            "ensure_all_finite": True if finite else "allow-nan",
            "ensure_min_samples": _MIN_SAMPLES if reset else 1,
        }
        try:
            if y is None:
                return validate_data(self, X, **options)
            return validate_data(self, X, y, y_numeric=True, **options)
        except ZcfastError:
            raise
        except (ValueError, TypeError) as exc:
            raise _sklearn_error(exc, "X" if y is None else "X, y") from exc

    def fit(self, X: object, y: object) -> ProxyEvolver:
        """Evolves a proxy on architectures ``X`` (rows) with accuracies ``y``."""
        if y is None:
            # scikit-learn's estimator checks look for this phrase
            expected = (
                "the targets (ProxyEvolver requires y to be passed, but the target y is None)"
            )
            raise fail("y", expected, "None")
        values, targets = self._validate(X, y, reset=True)
        names = getattr(self, "feature_names_in_", None)
        options = self.get_params()
        result = evolve(
            values,
            targets,
            self._settings(),
            feature_names=None if names is None else [str(n) for n in names],
            missing=options["missing"],
            progress=options["progress"],
        )
        self.result_: EvolveResult = result
        self.expression_: Expression | Ensemble = result.best
        return self

    def predict(self, X: object) -> np.ndarray:
        """Proxy scores of the architectures in ``X`` (higher = predicted more accurate)."""
        self._check_fitted()
        values = self._validate(X, reset=False)
        return self.expression_.evaluate(np.asarray(values, dtype=np.float64))

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, "expression_")
        except _SklearnNotFittedError:
            raise NotFittedError(
                f"{type(self).__name__}: expected a fitted estimator (this instance is not fitted"
                " yet; call 'fit' with appropriate arguments before using this estimator), found"
                " none"
            ) from None

    def score(self, X: object, y: object, sample_weight: object = None) -> float:
        """The ``fitness`` measure (a rank correlation) of ``predict(X)`` against ``y``."""
        self._check_fitted()
        params = self.get_params()
        return measure(params["fitness"], self.predict(X), y, params["top_fraction"])
