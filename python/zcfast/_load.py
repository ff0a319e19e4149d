"""``zcfast.load``: one loader for every result file zcfast writes.

``Expression.to_json``, ``Ensemble.to_json``, ``EvolveResult.to_dict`` (what ``zcfast evolve
--out`` writes, with the CLI's extra keys) and ``SearchResult.to_dict`` (``zcfast search
--out``) each carry a ``format`` tag; :func:`load` reads any of them, from a path, JSON text or
an already parsed mapping, and returns the matching object.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from zcfast._ensemble import Ensemble
from zcfast._expression import Expression
from zcfast._messages import describe_value
from zcfast._params import fail, found_type
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, ZcfastError

__all__ = ["EVOLVE_RESULT_FORMAT", "SEARCH_RESULT_FORMAT", "load"]

EVOLVE_RESULT_FORMAT = "zcfast.evolve_result/1"
SEARCH_RESULT_FORMAT = "zcfast.search_result/1"

#: Format tag → what it is, for messages.
KINDS = {
    "zcfast.expression/1": "an Expression (zcfast.Expression.from_json or zcfast.load)",
    "zcfast.ensemble/1": "an Ensemble (zcfast.Ensemble.from_json or zcfast.load)",
    EVOLVE_RESULT_FORMAT: "an evolve result (zcfast.load)",
    SEARCH_RESULT_FORMAT: "a search result (zcfast.load)",
    "zcfast.scores/1": "the manifest of a score directory (zcfast.metrics.read_scores)",
}


def load(source: str | os.PathLike[str] | Mapping[str, Any]) -> Any:
    """The object a zcfast result file holds: an :class:`~zcfast.Expression`, an
    :class:`~zcfast.Ensemble`, an :class:`~zcfast.EvolveResult` or a
    :class:`~zcfast.SearchResult`.

    Parameters
    ----------
    source:
        A path to a JSON file zcfast wrote (``to_json()``, ``zcfast evolve --out``, ``zcfast
        search --out``), its text, or the parsed mapping.

    Example
    -------
    >>> e = zcfast.Expression.parse("nwot / params", ["nwot", "params"])
    >>> zcfast.load(e.to_json()) == e
    True
    """
    data = _mapping(source)
    kind = data.get("format")
    if kind == "zcfast.expression/1":
        return Expression.from_dict(data)
    if kind == "zcfast.ensemble/1":
        return Ensemble.from_dict(data)
    if kind == EVOLVE_RESULT_FORMAT:
        return evolve_result_from_dict(data)
    if kind == SEARCH_RESULT_FORMAT:
        return search_result_from_dict(data)
    what = KINDS.get(str(kind), f"format {describe_value(kind)}")
    raise fail("source", f"a zcfast result (format {', '.join(list(KINDS)[:4])})", what)


def _mapping(source: Any) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and not source.lstrip().startswith("{")
    ):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            found = f"{str(path)!r} ({getattr(exc, 'strerror', None) or exc})"
            raise fail("source", "a readable JSON file or JSON text", found) from None
    elif isinstance(source, str):
        text = source
    else:
        expected = "a path, JSON text or a mapping"
        raise fail("source", expected, found_type(source), ArgumentTypeError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail("source", "JSON", f"text that is not ({exc})") from None
    if not isinstance(data, dict):
        raise fail("source", "a JSON object written by zcfast", type(data).__name__)
    return data


def _damaged(kind: str, exc: Exception) -> ZcfastError:
    """The error for a saved ``kind`` (``"EvolveResult"``) that lacks what ``to_dict`` wrote."""
    expected = f"a result with every field {kind}.to_dict writes"
    return fail("source", expected, f"a damaged one ({type(exc).__name__}: {exc})")


def best_from_dict(data: Any) -> Expression | Ensemble:
    """An expression or ensemble from its dict, whichever its format says."""
    if isinstance(data, dict) and data.get("format") == "zcfast.ensemble/1":
        return Ensemble.from_dict(data)
    return Expression.from_dict(data)


def evolve_result_from_dict(data: Mapping[str, Any]) -> Any:
    """An :class:`~zcfast.EvolveResult` from what its ``to_dict`` wrote (``validation_rows``
    are not written, so they come back as ``None``)."""
    from zcfast._result import EvolveResult
    from zcfast._settings import Settings

    try:
        members = data.get("members")
        validation = data.get("validation")
        return EvolveResult(
            best=best_from_dict(data["best"]),
            front=[Expression.from_dict(e) for e in data["front"]],
            history=pl.DataFrame(data["history"]) if data["history"] else pl.DataFrame(),
            seed=int(data["seed"]),
            interrupted=bool(data["interrupted"]),
            stop_reason=str(data["stop_reason"]),
            task_fitness=list(data["task_fitness"]),
            validation_rows=None,
            elapsed=float(data["elapsed"]),
            settings=Settings.from_dict(data["settings"]),
            data=dict(data["data"]),
            members=None if members is None else [evolve_result_from_dict(m) for m in members],
            validation=None if validation is None else pl.DataFrame(validation),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InvalidValueError):
            raise
        raise _damaged("EvolveResult", exc) from None


def search_result_from_dict(data: Mapping[str, Any]) -> Any:
    """A :class:`~zcfast.SearchResult` from what its ``to_dict`` wrote."""
    from zcfast._search import SearchResult

    try:
        history = pl.DataFrame(
            data["history"], schema=["step", "arch", "score", "best_score", "elapsed"]
        )
        return SearchResult(
            best=str(data["best"]),
            best_score=float(data["best_score"]),
            top=pl.DataFrame(data["top"]),
            history=history,
            elapsed=float(data["elapsed"]),
            interrupted=bool(data["interrupted"]),
            stop_reason=str(data["stop_reason"]),
            settings=dict(data["settings"]),
            scoring_seconds=float(data.get("scoring_seconds", 0.0)),
            scored=int(data.get("scored", 0)),
            winner=str(data.get("winner", "proxy")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _damaged("SearchResult", exc) from None
