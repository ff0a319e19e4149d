"""The ``zcfast`` command line.

``zcfast evolve FILE`` evolves a proxy on a benchmark table and reports how well it ranks
held-out architectures; ``zcfast evolve --demo`` does so on the benchmark zcfast ships;
``zcfast score FILE --formula F`` scores a given formula. ``python -m zcfast`` is the same.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from zcfast import datasets
from zcfast._evolve import evolve
from zcfast._expression import Expression
from zcfast._stats import kendall, spearman
from zcfast.exceptions import ZcfastError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zcfast",
        description="Evolve training-free performance predictors (zero-cost proxies) for NAS.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser(
        "evolve",
        help="evolve a proxy on a benchmark table",
        description="Evolve a proxy on a random training sample of a benchmark table and report"
        " its Spearman/Kendall correlation on the training and held-out architectures.",
    )
    _add_source(ev)
    ev.add_argument("--generations", type=int, default=100, help="generations (default 100)")
    ev.add_argument("--population", type=int, default=4000, help="population size (default 4000)")
    ev.add_argument(
        "--seed", type=int, default=0, help="seed for the sample and the run (default 0)"
    )
    ev.add_argument(
        "--train-size",
        type=int,
        default=100,
        help="architectures sampled for training; the rest are held out (default 100)",
    )
    ev.add_argument("--fitness", choices=["spearman", "kendall", "pearson"], default="spearman")
    ev.add_argument("--threads", type=int, default=None, help="worker threads (default: all cores)")
    ev.add_argument("--time-limit", type=float, default=None, help="stop after this many seconds")
    ev.add_argument("--out", type=Path, default=None, help="write the full result as JSON here")
    ev.add_argument("--plot", type=Path, default=None, help="save a plot of the result (PNG)")
    ev.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    sc = sub.add_parser(
        "score",
        help="score a formula on a benchmark table",
        description="Evaluate a formula (e.g. 'log(synflow) * nwot / params') on every"
        " architecture of a table and print its correlations with the target.",
    )
    _add_source(sc)
    sc.add_argument("--formula", required=True, help="formula over the table's metric columns")
    return parser


def _add_source(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="NAS-Bench-Suite-Zero JSON (zc_nasbench201.json, ...) or CSV extract",
    )
    p.add_argument("--demo", action="store_true", help="use the benchmark that ships with zcfast")
    p.add_argument("--task", default=None, help="task in a JSON file with several (e.g. cifar10)")
    p.add_argument("--target", default=datasets.ACCURACY_COLUMN, help="target column")
    p.add_argument(
        "--features", default=None, help="comma-separated metric columns (default: all numeric)"
    )
    p.add_argument(
        "--missing",
        choices=["sentinel", "raise", "drop_columns", "drop_rows"],
        default="sentinel",
        help="null/NaN/inf in the table: replace as NAS-Bench-Suite-Zero does (-1e8), raise,"
        " or drop the columns or rows (default sentinel)",
    )


def _load(args: argparse.Namespace) -> tuple[pl.DataFrame, np.ndarray, str]:
    if args.demo == (args.file is not None):
        raise SystemExit("zcfast: give either a FILE or --demo (exactly one)")
    if args.demo:
        df, source = datasets.load_demo(), "zcfast demo benchmark (NB201 on digits)"
    else:
        df = datasets.load_suite_zero(args.file, args.task)
        source = f"{args.file}" + (f" [{args.task}]" if args.task else "")
    features = None if args.features is None else [f.strip() for f in args.features.split(",")]
    X, y = datasets.features_and_targets(df, target=args.target, features=features)
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
    return X, y.to_numpy().astype(np.float64), source


def _correlations(expr: Expression, X: pl.DataFrame, y: np.ndarray) -> dict[str, float | None]:
    scores = expr.evaluate(X)
    ok = np.isfinite(scores)
    if ok.sum() < 3 or np.ptp(scores[ok]) == 0:
        return {"spearman": None, "kendall": None, "rows": len(y)}
    return {
        "spearman": spearman(scores[ok], y[ok]),
        "kendall": kendall(scores[ok], y[ok]),
        "rows": len(y),
        "invalid_rows": int((~ok).sum()),
    }


def _best_single(X: pl.DataFrame, y: np.ndarray) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for c in X.columns:
        v = X[c].to_numpy().astype(np.float64)
        if not np.isfinite(v).all() or np.ptp(v) == 0:
            continue
        rho = spearman(v, y)
        if best is None or abs(rho) > abs(best[1]):
            best = (c, rho)
    return best


def _fmt(v: float | None) -> str:
    return "  n/a" if v is None else f"{v:.4f}"


def _cmd_evolve(args: argparse.Namespace) -> int:
    X, y, source = _load(args)
    n = len(y)
    if not 3 <= args.train_size <= n:
        raise SystemExit(
            f"zcfast: --train-size must be between 3 and {n} (rows), got {args.train_size}"
        )
    order = np.random.default_rng(args.seed).permutation(n)
    train, test = np.sort(order[: args.train_size]), np.sort(order[args.train_size :])
    X_train, y_train = X[train], y[train]
    print(f"data:     {source}: {n} architectures, {X.width} metrics, training on {len(train)}")
    result = evolve(
        X_train,
        y_train,
        fitness=args.fitness,
        population_size=args.population,
        generations=args.generations,
        seed=args.seed,
        n_threads=args.threads,
        time_limit=args.time_limit,
        missing="raise" if args.missing == "sentinel" else args.missing,
        progress=not args.no_progress,
    )
    best = result.best
    train_corr = _correlations(best, X_train, y_train)
    test_corr = _correlations(best, X[test], y[test]) if len(test) >= 3 else None
    print(f"formula:  {best}")
    print(
        f"size:     {best.size} nodes, {result.history.height} generations"
        f" in {result.elapsed:.2f} s" + (" (interrupted)" if result.interrupted else "")
    )
    print(
        f"train:    spearman {_fmt(train_corr['spearman'])}  kendall {_fmt(train_corr['kendall'])}"
        f"  ({len(train)} archs)"
    )
    if test_corr is not None:
        print(
            f"held-out: spearman {_fmt(test_corr['spearman'])}"
            f"  kendall {_fmt(test_corr['kendall'])}"
            f"  ({len(test)} archs)"
        )
        single = _best_single(X[test], y[test])
        if single is not None:
            print(
                f"baseline: best single metric on held-out: {single[0]} (spearman {single[1]:.4f})"
            )
    if args.out is not None:
        payload: dict[str, Any] = result.to_dict()
        payload.update(
            source=source,
            train_rows=train.tolist(),
            train_correlations=train_corr,
            test_correlations=test_corr,
        )
        args.out.write_text(json.dumps(payload, indent=2))
        print(f"wrote:    {args.out}")
    if args.plot is not None:
        from zcfast.plot import plot_result

        plot_result(
            result,
            X[test] if len(test) >= 3 else X_train,
            y[test] if len(test) >= 3 else y_train,
            path=args.plot,
        )
        print(f"plot:     {args.plot}")
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    X, y, source = _load(args)
    expr = Expression.parse(args.formula, X.columns)
    corr = _correlations(expr, X, y)
    print(f"data:     {source}: {len(y)} architectures")
    print(f"formula:  {expr}")
    print(f"all:      spearman {_fmt(corr['spearman'])}  kendall {_fmt(corr['kendall'])}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zcfast`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "evolve":
            return _cmd_evolve(args)
        return _cmd_score(args)
    except ZcfastError as exc:
        print(f"zcfast: error: {exc}", file=sys.stderr)
        return 2
