"""``zcfast search``: find an architecture with a proxy, from a table or live.

zcfast search TABLE --formula F | --proxy NAME | --expression FILE [--budget N] ...
zcfast search --live --proxy nwot --budget 50 [--data digits|noise] [--batch-size 64] ...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from zcfast import datasets
from zcfast._ensemble import Ensemble
from zcfast._expression import Expression
from zcfast._layers import ARCH_COLUMN
from zcfast._params import fail
from zcfast._search import ALGORITHMS, SearchResult, search
from zcfast.cli._common import (
    INTERRUPTED,
    add_torch_options,
    check_writable,
    exactly_one,
    example_batch,
    write_json,
)
from zcfast.exceptions import ConfigError

__all__ = ["add_search_parser", "run_search"]


def add_search_parser(sub: Any) -> None:
    """Adds the ``search`` subcommand to the CLI's subparsers."""
    p = sub.add_parser(
        "search",
        help="find an architecture with a proxy (table or live)",
        description="Search a space for the architecture a proxy scores highest, from a table of"
        " metrics (milliseconds) or live, building and scoring every candidate with PyTorch.",
    )
    p.add_argument(
        "file", nargs="?", type=Path, help="table: CSV/JSON (NAS-Bench-Suite-Zero) or Parquet"
    )
    p.add_argument(
        "--task",
        default=None,
        help="table mode: the task of a JSON file with several; live: the space's task",
    )
    p.add_argument("--live", action="store_true", help="build and score candidates with PyTorch")
    p.add_argument("--layerwise", action="store_true", help="FILE is a per-layer primitive table")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--formula", help="a formula over the table's columns (or the proxies)")
    what.add_argument("--proxy", help="one proxy (a column, or a zcfast.metrics proxy live)")
    what.add_argument(
        "--expression", type=Path, help="a result file: Expression/Ensemble JSON or evolve --out"
    )
    p.add_argument("--budget", type=int, default=1000, help="proxy evaluations (default 1000)")
    p.add_argument("--time-budget", type=float, default=None, help="stop after this many seconds")
    p.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        default="evolution",
        help="aging evolution, random search or local search (default evolution)",
    )
    p.add_argument(
        "--population-size",
        type=int,
        default=50,
        help="evolution's population; local search's random starts (default 50)",
    )
    p.add_argument(
        "--sample-size", type=int, default=10, help="evolution's tournament size (default 10)"
    )
    p.add_argument(
        "--search-batch",
        type=int,
        default=None,
        help="candidates proposed and scored together (default 1; live 8)",
    )
    p.add_argument("--top-k", type=int, default=None, help="multi-fidelity: evaluate the best K")
    p.add_argument(
        "--evaluator-column",
        default=None,
        help="multi-fidelity: the table column that evaluates them",
    )
    p.add_argument(
        "--target", default=None, help="accuracy column to report (default val_accuracy)"
    )
    p.add_argument(
        "--arch-column", default=ARCH_COLUMN, help="architecture column of the table (arch)"
    )
    p.add_argument("--seed", type=int, default=0, help="search, weights and batch seed (default 0)")
    p.add_argument("--out", type=Path, default=None, help="write the result as JSON here")
    p.add_argument("--plot", type=Path, default=None, help="save the search trajectory (PNG)")
    p.add_argument(
        "--executor",
        default="inline",
        metavar="inline|processes|ray|ADDRESS",
        help="live: where candidates are scored (default inline)",
    )
    p.add_argument("--workers", type=int, default=None, help="live: worker processes or actors")
    p.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="live: a directory keeping every score; a rerun (or a killed search) reads them",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_torch_options(p, task=False)


def _proxy(args: argparse.Namespace, columns: list[str]) -> Expression | Ensemble | str:
    if args.proxy is not None:
        return str(args.proxy)
    if args.formula is not None:
        return Expression.parse(args.formula, columns)
    try:
        data = json.loads(Path(args.expression).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail("--expression", "a readable JSON file", str(exc)) from None
    data = data.get("best", data) if isinstance(data, dict) else data
    if not isinstance(data, dict):
        expected = "an Expression, Ensemble or evolve result"
        raise fail("--expression", expected, f"JSON {type(data).__name__}")
    if str(data.get("format", "")).startswith("zcfast.ensemble"):
        return Ensemble.from_dict(data)
    return Expression.from_dict(data)


def _table(args: argparse.Namespace) -> pl.DataFrame:
    path = Path(args.file)
    if args.layerwise or path.suffix.lower() in (".parquet", ".arrow", ".ipc", ".feather"):
        return datasets.read_table(path)
    return datasets.load_suite_zero(path, args.task)


def run_search(args: argparse.Namespace) -> int:
    """The ``search`` command; returns the exit status."""
    check_writable(args.out, "--out")
    check_writable(args.plot, "--plot")
    exactly_one("FILE, --live", args.file is not None, args.live)
    common: dict[str, Any] = dict(
        budget=args.budget,
        time_budget=args.time_budget,
        algorithm=args.algorithm,
        population_size=args.population_size,
        sample_size=args.sample_size,
        batch_size=args.search_batch,
        seed=args.seed,
        progress=not args.no_progress,
    )
    accuracy: dict[Any, float] | None = None
    if args.live:
        from zcfast import metrics
        from zcfast.spaces import get_space

        space = get_space(args.space)
        args.net_task = args.task
        task, x, y = example_batch(args, space)
        proxy = _proxy(args, list(metrics.PROXIES))
        result = search(
            space,
            proxy,
            inputs=x,
            labels=y,
            task=args.net_task,
            num_classes=args.num_classes,
            device=args.device,
            n_threads=args.threads,
            executor=args.executor,
            workers=args.workers,
            out=args.cache,
            **common,
        )
        source = f"live {space.name} [{task.name}], {args.batch_size} {args.data} inputs"
        accuracy = _known_accuracy(space, task)
    else:
        table = _table(args)
        proxy = _proxy(args, [c for c in table.columns if table.schema[c].is_numeric()])
        if (args.top_k is None) != (args.evaluator_column is None):
            given = "--top-k" if args.top_k is not None else "--evaluator-column"
            options = "--top-k, --evaluator-column"
            raise fail(options, "both or neither", f"only {given}", ConfigError)
        result = search(
            args.space,
            proxy,
            table=table,
            arch_column=args.arch_column,
            top_k=args.top_k,
            evaluator=args.evaluator_column,
            **common,
        )
        target = args.target or datasets.ACCURACY_COLUMN
        if target in table.columns and not args.layerwise:
            accuracy = dict(zip(table[args.arch_column].to_list(), table[target].to_list()))
        source = f"{args.file} ({table.height} rows)"
    _report(result, proxy, source, accuracy)
    if args.out is not None:
        write_json(args.out, result.to_dict())
        print(f"wrote:    {args.out}")
    if args.plot is not None:
        from zcfast.plot import save

        save(result.plot_trajectory(accuracy=accuracy), args.plot)
        print(f"plot:     {args.plot}")
    return INTERRUPTED if result.interrupted else 0


def _known_accuracy(space: Any, task: Any) -> dict[Any, float] | None:
    """True accuracies of the space's architectures for the task, where zcfast ships them."""
    lookup = getattr(space, "accuracies", None)
    return None if lookup is None else lookup(task.name)


def _report(
    result: SearchResult, proxy: Any, source: str, accuracy: dict[Any, float] | None
) -> None:
    print(
        f"search:   {source}, {result.settings['algorithm']}, {result.evaluations}"
        f" evaluations in {result.elapsed:.2f} s" + (" (interrupted)" if result.interrupted else "")
    )
    if result.scored:
        print(
            f"scoring:  {result.scored} architectures scored, {result.seconds_per_arch:.3f} s"
            f" each ({result.evaluations - result.scored} from the cache)"
        )
    print(f"proxy:    {proxy}")
    print(f"best:     {result.best}  (proxy score {result.best_score:.6g})")
    if accuracy is not None and result.best in accuracy:
        values = np.array([v for v in accuracy.values() if v is not None], dtype=float)
        acc = accuracy[result.best]
        pct = 100.0 * (values < acc).mean() + 50.0 * (values == acc).mean()
        print(f"accuracy: {acc:.2f} ({pct:.2f}th percentile of {len(values)} architectures)")
