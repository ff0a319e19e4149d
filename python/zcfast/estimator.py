"""A scikit-learn compatible estimator around :func:`zcfast.evolve`.

It follows scikit-learn's conventions (constructor arguments are stored unchanged, fitted
attributes end in ``_``, ``get_params``/``set_params``, ``score`` returns the rank correlation)
without requiring scikit-learn, so it works in pipelines, ``GridSearchCV`` and ``clone``.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from zcfast._evolve import EvolveResult, evolve
from zcfast._expression import Expression
from zcfast._stats import kendall, pearson, spearman
from zcfast.exceptions import ZcfastError

__all__ = ["ProxyEvolver"]


class NotFittedError(ZcfastError, AttributeError):
    """The estimator was used before ``fit``."""


class ProxyEvolver:
    """Evolves a zero-cost proxy with ``fit(X, y)``; ``predict(X)`` gives its scores.

    Parameters are those of :func:`zcfast.evolve` (same names and defaults).

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

    def __init__(
        self,
        *,
        fitness: str = "spearman",
        population_size: int = 4000,
        generations: int = 100,
        functions: list[str] | None = None,
        max_size: int = 31,
        parsimony: float = 0.001,
        tournament_size: int = 7,
        constants: tuple[float, float] | None = None,
        validation_fraction: float | None = None,
        missing: str = "raise",
        time_limit: float | None = None,
        random_state: int | None = None,
        n_jobs: int | None = None,
        progress: bool = False,
    ) -> None:
        self.fitness = fitness
        self.population_size = population_size
        self.generations = generations
        self.functions = functions
        self.max_size = max_size
        self.parsimony = parsimony
        self.tournament_size = tournament_size
        self.constants = constants
        self.validation_fraction = validation_fraction
        self.missing = missing
        self.time_limit = time_limit
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

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

    def fit(self, X: object, y: object) -> ProxyEvolver:
        """Evolves a proxy on architectures ``X`` (rows) with accuracies ``y``."""
        result = evolve(
            X,
            y,
            fitness=self.fitness,  # type: ignore[arg-type]
            population_size=self.population_size,
            generations=self.generations,
            functions=self.functions,
            max_size=self.max_size,
            parsimony=self.parsimony,
            tournament_size=self.tournament_size,
            constants=self.constants,
            validation_fraction=self.validation_fraction,
            missing=self.missing,  # type: ignore[arg-type]
            time_limit=self.time_limit,
            seed=self.random_state,
            n_threads=self.n_jobs,
            progress=self.progress,
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
            input_tags=InputTags(allow_nan=self.missing != "raise"),
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
        """Rank correlation (the ``fitness`` measure) between ``predict(X)`` and ``y``."""
        funcs = {"spearman": spearman, "kendall": kendall, "pearson": pearson}
        return funcs[self.fitness](self.predict(X), y)

    def __repr__(self) -> str:
        changed = {
            k: v
            for k, v in self.get_params().items()
            if v != inspect.signature(type(self).__init__).parameters[k].default
        }
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"ProxyEvolver({args})"
