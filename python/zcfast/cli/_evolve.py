"""``zcfast evolve`` and ``zcfast score``: evolve a proxy on a benchmark table, score a formula.

``zcfast evolve FILE`` evolves a proxy on a benchmark table and reports how well it ranks
held-out architectures; ``zcfast evolve --demo`` does so on the benchmark zcfast ships;
``--layerwise`` evolves over a per-layer primitive table instead; ``zcfast score FILE
--formula F`` scores a given formula. Every setting of :class:`zcfast.Settings` is an option
(``--population-size``, ``--reducers``, ...).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from zcfast import datasets
from zcfast._ensemble import Ensemble
from zcfast._evolve import evolve, evolve_layerwise
from zcfast._expression import Expression
from zcfast._layers import ARCH_COLUMN, LayerTable
from zcfast._params import fail
from zcfast._result import EvolveResult
from zcfast._settings import Settings
from zcfast._stats import kendall, spearman
from zcfast.cli._common import check_writable, exactly_one, note, write_json
from zcfast.exceptions import ConfigError, ZcfastError

__all__ = ["add_evolve_parsers", "run_evolve", "run_score"]

#: Shorter spellings kept for settings that had them before every setting became an option.
_SETTING_ALIASES = {"population_size": ["--population"], "n_threads": ["--threads"]}


# -- the two kinds of benchmark: a flat table or a layer table with per-architecture targets --


@dataclass
class Benchmark:
    """A benchmark to evolve on: its data (flat DataFrame or LayerTable) and accuracies."""

    data: pl.DataFrame | LayerTable
    y: np.ndarray
    source: str

    @property
    def layerwise(self) -> bool:
        return isinstance(self.data, LayerTable)

    @property
    def n_metrics(self) -> int:
        return len(self.data.names) if isinstance(self.data, LayerTable) else self.data.width

    def subset(self, idx: np.ndarray) -> pl.DataFrame | LayerTable:
        if isinstance(self.data, LayerTable):
            keep = np.zeros(self.data.n_archs, dtype=bool)
            keep[idx] = True
            return self.data.select_archs(keep)
        return self.data[idx]

    def evolve(
        self, idx: np.ndarray, settings: Settings, progress: bool, missing: str, costs: Any
    ) -> EvolveResult:
        run = evolve_layerwise if self.layerwise else evolve
        return run(
            self.subset(idx), self.y[idx], settings, missing=missing, progress=progress, costs=costs
        )

    def correlations(self, expr: Expression | Ensemble, idx: np.ndarray) -> dict[str, Any]:
        scores = expr.evaluate(self.subset(idx))
        y = self.y[idx]
        ok = np.isfinite(scores)
        if ok.sum() < 3 or np.ptp(scores[ok]) == 0:
            return {"spearman": None, "kendall": None, "rows": len(y)}
        return {
            "spearman": spearman(scores[ok], y[ok]),
            "kendall": kendall(scores[ok], y[ok]),
            "rows": len(y),
            "invalid_rows": int((~ok).sum()),
        }

    def best_single(self, idx: np.ndarray) -> tuple[str, float] | None:
        """The single column (summed over layers, for a layer table) that ranks ``idx`` best."""
        names = self.data.names if isinstance(self.data, LayerTable) else self.data.columns
        best: tuple[str, float] | None = None
        for name in names:
            formula = f"sum_layers({name})" if self.layerwise else name
            try:
                corr = self.correlations(Expression.parse(formula, names), idx)["spearman"]
            except ZcfastError:
                continue
            if corr is not None and (best is None or abs(corr) > abs(best[1])):
                best = (formula, corr)
        return best


def _load(args: argparse.Namespace) -> Benchmark:
    exactly_one("FILE, --demo", args.file is not None, args.demo)
    return _load_layers(args) if args.layerwise else _load_flat(args)


def _load_flat(args: argparse.Namespace) -> Benchmark:
    target = datasets.ACCURACY_COLUMN
    if args.demo:
        df, source = datasets.load_demo(), "zcfast demo benchmark (NB201 on digits)"
        target = args.target or target
    else:
        # the loader names the file's accuracy column (--target) val_accuracy
        df = datasets.load_suite_zero(args.file, args.task, target=args.target)
        source = f"{args.file}" + (f" [{args.task}]" if args.task else "")
    features = None if args.features is None else [f.strip() for f in args.features.split(",")]
    X, y = datasets.features_and_targets(df, target=target, features=features)
    if not args.demo:
        note(f"targets:  {datasets.target_source(args.file, args.target)}")
    if y.null_count() or not np.isfinite(y.to_numpy()).all():
        keep = y.is_not_null() & y.is_finite()
        X, y = X.filter(keep), y.filter(keep)
    if args.missing == "sentinel":
        X = datasets.replace_missing(X)
    elif args.missing == "drop_columns":
        X = X.select(c for c in X.columns if X[c].null_count() == 0 and X[c].is_finite().all())
    elif args.missing == "drop_rows":
        ok = pl.all_horizontal(pl.col(c).is_not_null() & pl.col(c).is_finite() for c in X.columns)
        mask = X.select(ok).to_series()
        X, y = X.filter(mask), y.filter(mask)
    return Benchmark(X, y.to_numpy().astype(np.float64), source)


def _load_layers(args: argparse.Namespace) -> Benchmark:
    features = None if args.features is None else [f.strip() for f in args.features.split(",")]
    if args.demo:
        frame, accuracy = datasets.load_demo_layers(), datasets.load_demo()
        source = "zcfast demo benchmark, per-layer primitives (NB201 on digits)"
    else:
        if args.targets is None:
            raise fail("--targets", "an accuracy table with --layerwise FILE", "none", ConfigError)
        frame, accuracy = datasets.read_table(args.file), datasets.read_table(args.targets)
        source = f"{args.file} with accuracies from {args.targets}"
    if "error" in frame.columns:  # failed architectures of layer_primitives_many
        frame = frame.filter(pl.col("error").is_null())
    table = LayerTable.from_frame(frame, args.arch_column, features)
    by_arch = datasets.accuracy_by_arch(accuracy, args.target)
    known = np.array([a in by_arch for a in table.archs])
    if not known.any():
        expected = f"accuracies for the architectures of {source}"
        raise fail("targets", expected, f"none (e.g. {table.archs[0]!r})")
    table = table.select_archs(known)
    y = np.array([by_arch[a] for a in table.archs], dtype=np.float64)
    return Benchmark(table, y, source)


# -- commands -----------------------------------------------------------------------------------


def _fmt(v: float | None) -> str:
    return "  n/a" if v is None else f"{v:.4f}"


def _cmd_evolve(args: argparse.Namespace) -> int:
    check_writable(args.out, "--out")
    check_writable(args.plot, "--plot")
    settings = _settings(args)
    bench = _load(args)
    n = len(bench.y)
    if n < 3:
        expected = "at least 3 architectures with a target to evolve on"
        raise fail("FILE", expected, f"{n} in {bench.source}")
    if not 3 <= args.train_size <= n:
        expected = f"an int between 3 and {n} (the architectures)"
        raise fail("--train-size", expected, str(args.train_size), ConfigError)
    order = np.random.default_rng(args.seed).permutation(n)
    train, test = np.sort(order[: args.train_size]), np.sort(order[args.train_size :])
    print(
        f"data:     {bench.source}: {n} architectures, {bench.n_metrics} metrics,"
        f" training on {len(train)}"
    )
    missing = "raise" if args.missing == "sentinel" and not bench.layerwise else args.missing
    costs = _read_costs(args.costs)
    result = bench.evolve(train, settings, not args.no_progress, missing, costs)
    best = result.best
    train_corr = bench.correlations(best, train)
    test_corr = bench.correlations(best, test) if len(test) >= 3 else None
    _print_formula(best)
    runs = f"{len(result.members)} runs, " if result.members else ""
    print(
        f"size:     {best.size} nodes, {runs}{result.history.height} generations"
        f" in {result.elapsed:.2f} s" + (" (interrupted)" if result.interrupted else "")
    )
    if result.validation is not None:
        for row in result.validation.iter_rows(named=True):
            spread = "" if row["spread"] is None else f" ± {row['spread']:.3f}"
            mark = "chosen" if row["chosen"] else "      "
            print(
                f"estimate: {mark} out-of-bag {result.settings.fitness} {_fmt(row['estimate'])}"
                f"{spread}  {row['procedure']}"
            )
    print(
        f"train:    spearman {_fmt(train_corr['spearman'])}  kendall {_fmt(train_corr['kendall'])}"
        f"  ({len(train)} archs)"
    )
    if test_corr is not None:
        print(
            f"held-out: spearman {_fmt(test_corr['spearman'])}"
            f"  kendall {_fmt(test_corr['kendall'])}  ({len(test)} archs)"
        )
        single = bench.best_single(test)
        if single is not None:
            print(
                f"baseline: best single metric on held-out: {single[0]} (spearman {single[1]:.4f})"
            )
    if result.cost_front is not None:
        chosen = result.cost_front.filter(pl.col("chosen"))
        if chosen.height:
            print(
                f"cost:     {chosen['cost'].item():.4g} s per architecture (cost front row chosen)"
            )
        print(
            f"front:    {result.cost_front.height} formulas from cheapest to best (--out has them)"
        )
    if args.out is not None:
        payload: dict[str, Any] = result.to_dict()
        payload.update(
            source=bench.source,
            train_rows=train.tolist(),
            train_correlations=train_corr,
            test_correlations=test_corr,
        )
        write_json(args.out, payload)
        print(f"wrote:    {args.out}")
    if args.plot is not None:
        from zcfast.plot import plot_result

        shown = test if len(test) >= 3 else train
        plot_result(result, bench.subset(shown), bench.y[shown], path=args.plot)
        print(f"plot:     {args.plot}")
    return 130 if result.interrupted else 0


def _read_costs(path: Path | None) -> dict[str, Any] | None:
    """``--costs``: a JSON object of seconds per architecture for each column."""
    if path is None:
        return None
    try:
        costs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise fail("--costs", "a readable JSON file", f"{path}: {exc}") from exc
    if not isinstance(costs, dict):
        raise fail("--costs", "a JSON object {column: seconds}", f"{type(costs).__name__}")
    return costs


def _print_formula(best: Expression | Ensemble) -> None:
    if isinstance(best, Ensemble):
        print(f"formula:  rank mean of {len(best.members)} formulas:")
        for member in best.members:
            print(f"            {member}")
    else:
        print(f"formula:  {best}")


def _cmd_score(args: argparse.Namespace) -> int:
    bench = _load(args)
    names = bench.data.names if isinstance(bench.data, LayerTable) else bench.data.columns
    expr = Expression.parse(args.formula, names)
    corr = bench.correlations(expr, np.arange(len(bench.y)))
    print(f"data:     {bench.source}: {len(bench.y)} architectures")
    print(f"formula:  {expr}")
    print(f"all:      spearman {_fmt(corr['spearman'])}  kendall {_fmt(corr['kendall'])}")
    return 0


# -- the parser ---------------------------------------------------------------------------------


def _list_of(convert: Callable[[str], Any], length: int | None = None) -> Callable[[str], Any]:
    def parse(text: str) -> tuple[Any, ...]:
        items = tuple(convert(t.strip()) for t in text.split(",") if t.strip())
        if length is not None and len(items) != length:
            raise argparse.ArgumentTypeError(f"expected {length} comma-separated values")
        return items

    return parse


def _boolean(text: str) -> bool:
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    if text.lower() not in words:
        raise argparse.ArgumentTypeError("expected true or false")
    return words[text.lower()]


def _setting_type(annotation: str) -> Callable[[str], Any]:
    """The argparse converter for a setting, from its type annotation."""
    kinds: dict[str, Callable[[str], Any]] = {
        "tuple[int, int]": _list_of(int, 2),
        "tuple[float, float]": _list_of(float, 2),
        "tuple[str, ...]": _list_of(str),
        "int": int,
        "float": float,
        "str": str,
        "bool": _boolean,
    }
    return kinds[annotation.replace(" | None", "")]


def _add_settings(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("settings (zcfast.Settings; lists are comma-separated)")
    for f in fields(Settings):
        if f.name == "seed":  # the CLI's own --seed draws the split and seeds the run
            continue
        flags = [f"--{f.name.replace('_', '-')}", *_SETTING_ALIASES.get(f.name, [])]
        default = ",".join(map(str, f.default)) if isinstance(f.default, tuple) else f.default
        group.add_argument(
            *flags,
            dest=f.name,
            type=_setting_type(str(f.type)),
            default=None,
            metavar=f.name.upper(),
            help=f"{f.metadata['doc']} (default {default})".replace("%", "%%"),
        )


def _settings(args: argparse.Namespace) -> Settings:
    chosen = {f.name: getattr(args, f.name) for f in fields(Settings) if f.name != "seed"}
    return Settings(seed=args.seed, **{k: v for k, v in chosen.items() if v is not None})


def _add_source(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="NAS-Bench-Suite-Zero JSON (zc_nasbench201.json, ...) or CSV extract; with"
        " --layerwise a per-layer table (Parquet, CSV or Arrow IPC)",
    )
    p.add_argument("--demo", action="store_true", help="use the benchmark that ships with zcfast")
    p.add_argument("--task", default=None, help="task in a JSON file with several (e.g. cifar10)")
    p.add_argument(
        "--target",
        default=None,
        help=f"accuracy column (default {datasets.ACCURACY_COLUMN}, or val_accs in a"
        " --targets file)",
    )
    p.add_argument(
        "--features", default=None, help="comma-separated metric columns (default: all numeric)"
    )
    p.add_argument(
        "--missing",
        choices=["sentinel", "raise", "drop_columns", "drop_rows", "drop_archs"],
        default=None,
        help="null/NaN/inf: replace as NAS-Bench-Suite-Zero does (-1e8), raise, or drop the"
        " columns or rows (default sentinel; drop_archs for --layerwise)",
    )
    p.add_argument(
        "--layerwise",
        action="store_true",
        help="FILE is a per-layer primitive table (one row per layer, an arch column)",
    )
    p.add_argument(
        "--targets",
        type=Path,
        default=None,
        help="with --layerwise FILE: a table of accuracies (arch or net column, and --target)",
    )
    p.add_argument("--arch-column", default=ARCH_COLUMN, help="architecture column of FILE")


def add_evolve_parsers(sub: Any) -> None:
    """Adds the ``evolve`` and ``score`` subcommands to the CLI's subparsers."""
    ev = sub.add_parser(
        "evolve",
        help="evolve a proxy on a benchmark table",
        description="Evolve a proxy on a random training sample of a benchmark table and report"
        " its Spearman/Kendall correlation on the training and held-out architectures.",
    )
    _add_source(ev)
    ev.add_argument(
        "--seed", type=int, default=0, help="seed for the sample and the run (default 0)"
    )
    ev.add_argument(
        "--train-size",
        type=int,
        default=100,
        help="architectures sampled for training; the rest are held out (default 100)",
    )
    ev.add_argument("--out", type=Path, default=None, help="write the full result as JSON here")
    ev.add_argument("--plot", type=Path, default=None, help="save a plot of the result (PNG)")
    ev.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    ev.add_argument(
        "--costs",
        type=Path,
        default=None,
        help="JSON {column: seconds per architecture}: the result gets a cost front, and"
        " --cost-tolerance or --cost-budget return a cheaper formula from it",
    )
    _add_settings(ev)
    sc = sub.add_parser(
        "score",
        help="score a formula on a benchmark table",
        description="Evaluate a formula (e.g. 'log(synflow) * nwot / params') on every"
        " architecture of a table and print its correlations with the target.",
    )
    _add_source(sc)
    sc.add_argument("--formula", required=True, help="formula over the table's metric columns")


def _defaults(args: argparse.Namespace) -> argparse.Namespace:
    if args.missing is None:
        args.missing = "drop_archs" if args.layerwise else "sentinel"
    if args.missing == "drop_archs" and not args.layerwise:
        expected = (
            "sentinel, raise, drop_columns or drop_rows for a flat table (drop_archs is for"
            " --layerwise)"
        )
        raise fail("--missing", expected, "drop_archs", ConfigError)
    if args.missing == "drop_rows" and args.layerwise:
        expected = (
            "sentinel, raise, drop_columns or drop_archs for a --layerwise table (drop_rows is"
            " for flat tables)"
        )
        raise fail("--missing", expected, "drop_rows", ConfigError)
    return args


def run_evolve(args: argparse.Namespace) -> int:
    """The ``evolve`` command; returns the exit status."""
    return _cmd_evolve(_defaults(args))


def run_score(args: argparse.Namespace) -> int:
    """The ``score`` command; returns the exit status."""
    return _cmd_score(_defaults(args))
