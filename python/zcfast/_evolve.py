"""``zcfast.evolve`` and ``zcfast.evolve_layerwise``: prepare the input, settle the settings,
run the loop, build the result."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from zcfast import _core
from zcfast._costs import CostModel, as_cost_model
from zcfast._layers import ARCH_COLUMN
from zcfast._prepare import Prepared, prepare_flat, prepare_layers
from zcfast._result import EvolveResult, build_result, combine_members, member_seed
from zcfast._run import Callback, run_generations
from zcfast._settings import Settings, _boolean
from zcfast.exceptions import ConfigError

__all__ = ["evolve", "evolve_layerwise"]


def _evolve(
    prepared: Prepared,
    settings: Settings,
    started: float,
    callback: Callback | None,
    progress: bool,
    label: str,
    costs: object = None,
) -> EvolveResult:
    progress = _boolean("progress", progress)
    run_settings = settings.resolved()
    model = as_cost_model(costs, [prepared.names[c] for c in prepared.kept_cols])
    if model is None and (settings.cost_tolerance is not None or settings.cost_budget is not None):
        raise ConfigError(
            "costs: expected what each column costs (an object with cost_of(names) or a dict"
            " of per-proxy seconds) when cost_tolerance or cost_budget is set, found None"
        )
    if run_settings.ensemble > 1:
        return _evolve_ensemble(prepared, run_settings, started, callback, progress, label, model)
    core = _core.Evolver(prepared.tasks, run_settings.to_core())
    log = run_generations(
        core, run_settings, started=started, callback=callback, progress=progress, label=label
    )
    return build_result(core, log, run_settings, prepared, model)


def _evolve_ensemble(
    prepared: Prepared,
    settings: Settings,
    started: float,
    callback: Callback | None,
    progress: bool,
    label: str,
    costs: CostModel | None = None,
) -> EvolveResult:
    """``settings.ensemble`` runs, each on a sample of the architectures (``subsample``) with
    a seed of its own, combined into an :class:`Ensemble`; with ``quantile_columns`` (flat
    tables) the runs also read each column's quantile among the training architectures."""
    assert settings.seed is not None  # resolved
    n = settings.ensemble
    source, quantiles = (
        prepared.with_quantile_columns() if settings.quantile_columns else (prepared, ())
    )
    members: list[EvolveResult] = []
    samples: list[Prepared] = []
    for j in range(n):
        sample = source.bootstrap(settings.seed, j, settings.subsample)
        member = replace(settings, seed=member_seed(settings.seed, j), ensemble=1)
        core = _core.Evolver(sample.tasks, member.to_core())
        try:
            log = run_generations(
                core,
                member,
                started=started,
                callback=callback,
                progress=progress,
                label=f"{label} {j + 1}/{n}",
            )
        except KeyboardInterrupt:
            if not members:
                raise
            break
        members.append(build_result(core, log, member, sample))
        samples.append(sample)
        if log.stop_reason in ("interrupted", "time_limit", "callback"):
            break
    return combine_members(members, samples, prepared, settings, started, source, quantiles, costs)


def evolve(
    matrix: object,
    targets: object,
    settings: Settings | None = None,
    *,
    feature_names: Sequence[str] | None = None,
    missing: str = "raise",
    callback: Callback | None = None,
    progress: bool = False,
    costs: object = None,
    **overrides: Any,
) -> EvolveResult:
    """Evolves an expression over metric columns whose output ranks architectures like their
    trained accuracy.

    Parameters
    ----------
    matrix : array-like (n_archs, n_metrics), polars/pandas DataFrame, or a list of them
        Metric values per architecture. A list of 2-D matrices (all with the same columns)
        evolves one expression for several tasks at once.
    targets : array-like (n_archs,), or a list of them (one per matrix)
        Trained accuracies.
    settings : Settings, optional
        Every setting of the run (population, operators, limits, fitness, seed, ...); default
        ``zcfast.Settings()``. See :class:`zcfast.Settings` for each one's meaning and default.
    feature_names : sequence of str, optional
        Column names; default: the DataFrame's columns, else ``x0, x1, ...``.
    missing : {"raise", "drop_columns", "drop_rows", "sentinel"}
        What to do with null/NaN/inf in the matrix: raise an error naming the columns
        (default), drop those columns, drop those rows (architectures), or replace them with
        the NAS-Bench-Suite-Zero sentinel as :func:`zcfast.datasets.replace_missing` does
        (null/NaN/-inf -> -1e8, +inf -> +1e8), which keeps every row and column.
    callback : callable, optional
        Called with each generation's statistics (a dict); returning True stops the run.
    progress : bool
        Show a progress bar. Ctrl-C stops the run after the current generation and returns
        the result so far with ``interrupted=True`` (a KeyboardInterrupt before the first
        generation finishes propagates).
    costs : mapping or object, optional
        What computing each column costs: a dict of seconds per architecture per column
        (summed over the columns a formula reads), or an object with ``cost_of(names)``
        such as :func:`zcfast.metrics.proxy_costs` returns (fused proxies share passes).
        With it, ``result.cost_front`` holds the formulas of the run from cheapest to best
        estimate, and the ``cost_tolerance`` or ``cost_budget`` setting returns one of them.
    **overrides
        Any setting by name, applied on top of ``settings`` (``seed=0``,
        ``population_size=1000``, ...).

    Returns
    -------
    EvolveResult
        ``best.fitness`` is the fitness measure of ``best`` on the training rows and
        ``best.validation_fitness`` that on ``validation_rows`` (a single run with
        ``validation_fraction``): ``best.score(X[rows], y[rows])`` gives it back; with
        ``ensemble > 1`` the latter is the pooled out-of-bag estimate instead (see
        :class:`EvolveResult`).

    Example
    -------
    >>> import zcfast
    >>> df = zcfast.datasets.load_demo()
    >>> X, y = zcfast.datasets.features_and_targets(df)
    >>> result = zcfast.evolve(X[:100], y[:100], generations=20, seed=0)
    >>> print(result.best)  # doctest: +ELLIPSIS
    rank_mean(...)
    >>> zcfast.spearman(result.best.evaluate(X[100:]), y[100:]) > 0.8   # held-out Spearman
    True
    """
    started = time.perf_counter()
    run_settings = Settings.resolve(settings, overrides)
    prepared = prepare_flat(matrix, targets, feature_names, missing)
    return _evolve(prepared, run_settings, started, callback, progress, "evolve", costs)


def evolve_layerwise(
    layers: object,
    targets: object,
    settings: Settings | None = None,
    *,
    arch_column: str = ARCH_COLUMN,
    features: Sequence[str] | None = None,
    missing: str = "raise",
    callback: Callback | None = None,
    progress: bool = False,
    costs: object = None,
    **overrides: Any,
) -> EvolveResult:
    """Evolves a layer-wise proxy: an expression over one layer's primitive columns, reduced
    over each architecture's layers (``sum_layers``, ``mean_layers``, ...), optionally inside
    an outer expression that combines several reduced terms.

    Parameters
    ----------
    layers : long table, Arrow table, LayerTable, or (values, offsets); or a list of them
        One row per layer: a polars (eager or lazy) or pandas DataFrame or an Arrow table with
        an architecture column (``arch_column``) whose rows are contiguous per architecture,
        as :func:`zcfast.metrics.layer_primitives_many` returns; a table with one row per
        architecture and list columns; a :class:`zcfast.LayerTable`; or ``(values, offsets)``
        NumPy arrays in the Arrow list layout. A list of such tables (same columns) evolves
        one proxy for several tasks.
    targets : array-like or mapping, or a list of them (one per table)
        Trained accuracies: one per architecture in table order (the order of
        ``LayerTable.archs``: first appearance in a long table), or a mapping
        ``arch -> accuracy`` that covers every architecture of the table.
    settings : Settings, optional
        The same settings object :func:`zcfast.evolve` takes; ``reducers`` picks the
        reductions.
    arch_column : str
        The architecture column of a long table.
    features : sequence of str, optional
        Primitive columns to evolve over; default every numeric column but ``arch_column``.
    missing : {"raise", "drop_columns", "drop_archs", "sentinel"}
        null/NaN/inf in the primitives: raise (default), drop those columns, drop the
        architectures with any (for example the error rows of failed architectures), or
        replace them like :func:`zcfast.datasets.replace_missing`.
    callback, progress, costs, **overrides
        As in :func:`zcfast.evolve`.

    Returns
    -------
    EvolveResult
        ``best`` is a layer-wise :class:`zcfast.Expression`; ``best.evaluate(layers)`` gives
        one score per architecture, in table order.

    Example
    -------
    >>> layers = zcfast.datasets.load_demo_layers()
    >>> accuracy = dict(zcfast.datasets.load_demo().select("arch", "val_accuracy").iter_rows())
    >>> result = zcfast.evolve_layerwise(layers, accuracy, generations=10, population_size=500,
    ...                                  seed=0)
    >>> print(result.best)  # doctest: +ELLIPSIS
    rank_mean(..._layers(...)...)
    >>> result.best.evaluate(layers).shape   # one score per architecture
    (300,)
    """
    started = time.perf_counter()
    run_settings = Settings.resolve(settings, overrides)
    prepared, _ = prepare_layers(layers, targets, arch_column, features, missing)
    return _evolve(prepared, run_settings, started, callback, progress, "evolve_layerwise", costs)
