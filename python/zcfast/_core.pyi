"""Type stubs of the Rust extension ``zcfast._core`` (use the ``zcfast`` API instead)."""

from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

def spearman(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float: ...
def kendall(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float: ...
def pearson(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float: ...
def evaluate(tokens: list[str], matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def describe(tokens: list[str]) -> tuple[int, int, int]: ...
def format_infix(tokens: list[str], names: list[str]) -> str: ...
def function_names() -> list[str]: ...
def default_config() -> dict[str, Any]: ...

class Evolver:
    def __init__(
        self,
        matrices: list[npt.NDArray[np.float64]],
        targets: list[npt.NDArray[np.float64]],
        *,
        population_size: int,
        tournament_size: int,
        p_crossover: float,
        p_subtree_mutation: float,
        p_hoist_mutation: float,
        p_point_mutation: float,
        p_point_replace: float,
        max_size: int,
        max_depth: int,
        init_depth: tuple[int, int],
        parsimony: float,
        elitism: int,
        functions: list[str],
        constants: tuple[float, float] | None,
        fitness: str,
        aggregate: str,
        validation_fraction: float | None,
        seed: int,
        n_threads: int,
    ) -> None: ...
    @property
    def generation(self) -> int: ...
    def step(self, n: int) -> list[dict[str, Any]]: ...
    def best(self) -> dict[str, Any] | None: ...
    def front(self) -> list[dict[str, Any]]: ...
    def task_scores(self, tokens: list[str]) -> tuple[list[float | None], list[float | None]]: ...
    def validation_rows(self) -> list[npt.NDArray[np.uint64]]: ...
