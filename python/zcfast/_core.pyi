"""Type stubs of the Rust extension ``zcfast._core`` (use the ``zcfast`` API instead)."""

from typing import Any, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "Evolver",
    "__version__",
    "default_config",
    "describe",
    "evaluate",
    "format_infix",
    "function_names",
    "kendall",
    "pearson",
    "reducer_names",
    "spearman",
    "top_measure",
    "weighted_tau",
]

__version__: str

def spearman(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float: ...
def kendall(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float: ...
def pearson(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float: ...
def weighted_tau(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float: ...
def top_measure(
    name: str, a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], fraction: float
) -> float: ...
def evaluate(
    tokens: list[str],
    values: npt.NDArray[np.float64],
    offsets: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.float64]: ...
def describe(tokens: list[str]) -> tuple[int, int, int, bool]: ...
def format_infix(tokens: list[str], names: list[str]) -> str: ...
def function_names() -> list[str]: ...
def reducer_names() -> list[str]: ...
def default_config() -> dict[str, Any]: ...

@final
class Evolver:
    def __new__(
        cls,
        tasks: list[
            tuple[
                npt.NDArray[np.float64],
                npt.NDArray[np.int64] | None,
                npt.NDArray[np.float64],
            ]
        ],
        settings: dict[str, Any],
    ) -> Evolver: ...
    @property
    def generation(self) -> int: ...
    def step(self, n: int) -> list[dict[str, Any]]: ...
    def best(self) -> dict[str, Any] | None: ...
    def front(self) -> list[dict[str, Any]]: ...
    def task_scores(self, tokens: list[str]) -> tuple[list[float | None], list[float | None]]: ...
    def validation_rows(self) -> list[npt.NDArray[np.uint64]]: ...
