"""Plots of evolution results (needs matplotlib: ``pip install 'zcfast[plot]'``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
import polars as pl

from zcfast._ensemble import Ensemble
from zcfast._expression import Expression
from zcfast._params import missing_dependency

__all__ = [
    "plot_front",
    "plot_history",
    "plot_pareto",
    "plot_result",
    "plot_scores",
    "plot_trajectory",
]


class _Settings(Protocol):
    @property
    def fitness(self) -> str: ...


class EvolutionRecord(Protocol):
    """What the plots read of an evolution result (:class:`zcfast.EvolveResult` is one)."""

    @property
    def best(self) -> Expression | Ensemble: ...
    @property
    def front(self) -> list[Expression]: ...
    @property
    def history(self) -> pl.DataFrame: ...
    @property
    def settings(self) -> _Settings: ...


def _pyplot() -> Any:
    try:
        import matplotlib

        if matplotlib.get_backend().lower() != "agg" and not _has_display():
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise missing_dependency("matplotlib", "plotting", "'zcfast[plot]'") from None
    return plt


def _has_display() -> bool:
    import os

    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def plot_history(result: EvolutionRecord, ax: Any = None) -> Any:
    """Best and mean training fitness per generation. Returns the Axes.

    An ensemble's result (``ensemble > 1``) draws each run's best fitness as a thin line
    (each on its own bootstrap sample) and their mean per generation as a bold one, instead of
    one line jumping back to generation 0 at every run.

    Example
    -------
    >>> X, y = zcfast.datasets.features_and_targets(zcfast.datasets.load_demo())
    >>> result = zcfast.evolve(X, y, generations=5, population_size=100, seed=0)
    >>> zcfast.plot.plot_history(result).get_ylabel()
    'spearman'
    """
    plt = _pyplot()
    ax = ax if ax is not None else plt.subplots(figsize=(5, 3.5))[1]
    h = result.history
    if "member" in h.columns:
        _plot_runs(ax, h)
    else:
        ax.plot(h["generation"], h["best_fitness"], label="best (training)")
        ax.plot(h["generation"], h["mean_fitness"], label="mean (training)", alpha=0.7)
        if (
            "best_validation_fitness" in h.columns
            and h["best_validation_fitness"].null_count() < h.height
        ):
            ax.plot(h["generation"], h["best_validation_fitness"], label="best (validation)")
    ax.set_xlabel("generation")
    ax.set_ylabel(result.settings.fitness)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def _plot_runs(ax: Any, h: Any) -> None:
    """One thin line per run of an ensemble, and the runs' mean per generation."""
    import polars as pl

    for j, run in enumerate(h.partition_by("member", maintain_order=True)):
        label = "best of each run (its bootstrap sample)" if j == 0 else None
        ax.plot(run["generation"], run["best_fitness"], color="C0", alpha=0.3, lw=0.8,
                label=label)  # fmt: skip
    mean = h.group_by("generation").agg(pl.col("best_fitness").mean()).sort("generation")
    ax.plot(mean["generation"], mean["best_fitness"], color="C0", lw=2, label="mean of the runs")


def plot_front(result: EvolutionRecord, ax: Any = None) -> Any:
    """Training fitness against size for the Pareto front. Returns the Axes."""
    plt = _pyplot()
    ax = ax if ax is not None else plt.subplots(figsize=(5, 3.5))[1]
    sizes = [e.size for e in result.front]
    fits = [e.fitness for e in result.front]
    ax.step(sizes, fits, where="post", marker="o")
    ax.set_xlabel("size (nodes)")
    ax.set_ylabel(f"{result.settings.fitness} (training)")
    ax.grid(alpha=0.3)
    return ax


class _Scored(Protocol):
    def evaluate(self, matrix: object) -> np.ndarray: ...

    def __str__(self) -> str: ...


class SearchRecord(Protocol):
    """What :func:`plot_trajectory` reads of a search result (:class:`zcfast.SearchResult`)."""

    @property
    def history(self) -> pl.DataFrame: ...
    @property
    def best(self) -> str: ...


def plot_scores(expression: _Scored, matrix: object, targets: object, ax: Any = None) -> Any:
    """Scatter of the expression's score rank against the target, with Spearman ρ and Kendall
    τ in the title.

    Ranks (as percentiles) rather than raw scores are plotted because evolved scores are often
    heavy-tailed, and the rank is what the correlation measures.
    """
    from zcfast._stats import kendall, spearman

    plt = _pyplot()
    ax = ax if ax is not None else plt.subplots(figsize=(5, 3.5))[1]
    scores = expression.evaluate(matrix)
    y = np.asarray(targets, dtype=np.float64)
    ok = np.isfinite(scores)
    pct = (
        100.0
        * np.argsort(np.argsort(scores[ok], kind="stable"), kind="stable")
        / max(ok.sum() - 1, 1)
    )
    ax.scatter(pct, y[ok], s=6, alpha=0.6)
    name = str(expression) if len(str(expression)) < 50 else "evolved proxy"
    ax.set_xlabel(f"rank of {name} (percentile)")
    ax.set_ylabel("accuracy")
    if ok.sum() >= 3 and np.ptp(scores[ok]) > 0:
        rho, tau = spearman(scores[ok], y[ok]), kendall(scores[ok], y[ok])
        ax.set_title(f"Spearman ρ = {rho:.3f}, Kendall τ = {tau:.3f} ({ok.sum()} archs)")
    ax.grid(alpha=0.3)
    return ax


def plot_result(
    result: EvolutionRecord, matrix: object, targets: object, path: str | Path | None = None
) -> Any:
    """History, front and held-out scatter side by side; saved to ``path`` when given."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    plot_history(result, axes[0])
    plot_front(result, axes[1])
    plot_scores(result.best, matrix, targets, axes[2])
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


def plot_trajectory(result: SearchRecord, ax: Any = None, accuracy: Any = None) -> Any:
    """A search's proxy score per evaluation and its best so far; with ``accuracy`` (a mapping
    ``arch -> accuracy``), the accuracy of the best-so-far architecture on a second axis.
    Returns the Axes.

    Example
    -------
    >>> df = zcfast.datasets.load_demo()
    >>> search_result = zcfast.search("nb201", proxy="fisher", table=df, budget=50, seed=0)
    >>> accuracy = dict(zip(df["arch"], df["val_accuracy"]))
    >>> zcfast.plot.plot_trajectory(search_result, accuracy=accuracy).get_xlabel()
    'proxy evaluations'
    """
    plt = _pyplot()
    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.5))[1]
    h = result.history
    finite = h.filter(pl.col("score").is_finite())
    ax.scatter(finite["step"], finite["score"], s=4, alpha=0.4, label="proxy score")
    ax.plot(h["step"], h["best_score"], color="C1", label="best so far")
    ax.set_xlabel("proxy evaluations")
    ax.set_ylabel("proxy score")
    if accuracy is not None:
        best_arch, best, seen = [], -np.inf, None
        for arch, score in zip(h["arch"].to_list(), h["score"].to_list()):
            if score > best or seen is None:
                best, seen = score, arch
            best_arch.append(accuracy.get(seen, np.nan))
        twin = ax.twinx()
        twin.plot(h["step"], best_arch, color="C2", label="accuracy of the best so far")
        twin.set_ylabel("accuracy")
        twin.legend(loc="lower right")
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    ax.set_title(f"search: best {result.best}")
    return ax


def plot_pareto(table: pl.DataFrame, front: pl.DataFrame, x: str, y: str, ax: Any = None) -> Any:
    """Every architecture of ``table`` and the Pareto ``front`` (from
    :func:`zcfast.pareto_front`) in the plane of objectives ``x`` and ``y``. Returns the Axes.

    Example
    -------
    >>> df = pl.DataFrame({"score": [0.9, 0.8, 0.5, 0.7],
    ...                    "edgegpu_latency": [9.0, 5.0, 2.0, 6.0]})
    >>> front = zcfast.pareto_front(df, maximize=["score"], minimize=["edgegpu_latency"])
    >>> front["score"].to_list()      # (0.7, 6.0) is dominated by (0.8, 5.0)
    [0.9, 0.8, 0.5]
    >>> ax = zcfast.plot.plot_pareto(df, front, "edgegpu_latency", "score")
    """
    plt = _pyplot()
    ax = ax if ax is not None else plt.subplots(figsize=(5, 3.5))[1]
    ax.scatter(table[x], table[y], s=4, alpha=0.3, label="architectures")
    f = front.sort(x)
    ax.step(
        f[x], f[y], where="post", color="C3", marker="o", ms=3, label=f"Pareto front ({f.height})"
    )
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def save(ax_or_fig: Any, path: str | Path) -> None:
    """Writes the figure of an Axes (or a Figure) to ``path`` and closes it."""
    plt = _pyplot()
    fig = (
        ax_or_fig.figure
        if hasattr(ax_or_fig, "figure") and not hasattr(ax_or_fig, "savefig")
        else ax_or_fig
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
