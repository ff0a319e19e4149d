"""A scikit-learn compatible estimator around :func:`zcfast.evolve`.

It follows scikit-learn's conventions (constructor arguments are stored unchanged, fitted
attributes end in ``_``, ``get_params``/``set_params``, ``score`` returns the rank correlation)
without requiring scikit-learn, so it works in pipelines, ``GridSearchCV`` and ``clone``.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from zcfast._evolve import evolve
from zcfast._expression import Expression
from zcfast._result import EvolveResult
from zcfast._settings import Settings
from zcfast._stats import measure
from zcfast.exceptions import ZcfastError

__all__ = ["ProxyEvolver"]

#: Settings that go by scikit-learn's names in the estimator.
_SKLEARN_NAMES = {"seed": "random_state", "n_threads": "n_jobs"}
#: Parameters of the estimator that are not settings, with their defaults.
_OPTIONS: dict[str, Any] = {"missing": "raise", "progress": False}


def _defaults() -> dict[str, Any]:
    settings = {_SKLEARN_NAMES.get(k, k): d for k, (d, _) in Settings.describe().items()}
    return {**settings, **_OPTIONS}


class NotFittedError(ZcfastError, AttributeError):
    """The estimator was used before ``fit``."""


class ProxyEvolver:
    """Evolves a zero-cost proxy with ``fit(X, y)``; ``predict(X)`` gives its scores.

    Parameters are the settings of :class:`zcfast.Settings` (same names and defaults, with
    scikit-learn's ``random_state`` for ``seed`` and ``n_jobs`` for ``n_threads``), plus
    ``missing`` and ``progress`` as in :func:`zcfast.evolve`.

    Attributes
    ----------
    expression_ : Expression
        The evolved formula.
    result_ : EvolveResult
        Everything the run returned (front, history, ...).

    Example
    -------
    >>> model = ProxyEvolver(generations=30, random_state=0).fit(X_train, y_train)
    >>> model.score(X_test, y_test)  # Spearman on held-out architectures  # doctest: +SKIP
    0.90
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

    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor parameters, as scikit-learn expects."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> ProxyEvolver:
        """Sets constructor parameters; unknown names raise ``ValueError``."""
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"set_params: expected parameters among {sorted(valid)}, found {name!r}"
                )
            setattr(self, name, value)
        return self

    def _settings(self) -> Settings:
        inverse = {v: k for k, v in _SKLEARN_NAMES.items()}
        return Settings(
            **{inverse.get(k, k): v for k, v in self.get_params().items() if k not in _OPTIONS}
        )

    def fit(self, X: object, y: object) -> ProxyEvolver:
        """Evolves a proxy on architectures ``X`` (rows) with accuracies ``y``."""
        options = self.get_params()
        result = evolve(
            X, y, self._settings(), missing=options["missing"], progress=options["progress"]
        )
        self.result_: EvolveResult = result
        self.expression_: Expression = result.best
        self.feature_names_in_ = np.asarray(result.best.feature_names, dtype=object)
        self.n_features_in_ = len(result.best.feature_names)
        return self

    def __sklearn_tags__(self) -> Any:
        # Only scikit-learn calls this, so importing it here adds no dependency.
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type="regressor",
            target_tags=TargetTags(required=True),
            regressor_tags=RegressorTags(),
            input_tags=InputTags(allow_nan=self.get_params()["missing"] != "raise"),
        )

    def _fitted(self) -> Expression:
        if not hasattr(self, "expression_"):
            raise NotFittedError(
                "ProxyEvolver: expected a fitted estimator (call fit first), found an unfitted one"
            )
        return self.expression_

    def predict(self, X: object) -> np.ndarray:
        """Proxy scores of the architectures in ``X`` (higher = predicted more accurate)."""
        return self._fitted().evaluate(X)

    def score(self, X: object, y: object) -> float:
        """The ``fitness`` measure (a rank correlation) of ``predict(X)`` against ``y``."""
        params = self.get_params()
        return measure(params["fitness"], self.predict(X), y, params["top_fraction"])

    def __repr__(self) -> str:
        defaults = _defaults()
        changed = {k: v for k, v in self.get_params().items() if v != defaults[k]}
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"ProxyEvolver({args})"
