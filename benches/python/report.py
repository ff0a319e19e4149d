"""Turns pytest-benchmark JSON into the README's ratio tables.

python benches/python/report.py stats.json evolve.json [metrics.json]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def main(paths: list[str]) -> None:
    groups: dict[str, dict[str, dict]] = defaultdict(dict)
    for path in paths:
        with open(path) as fh:
            data = json.load(fh)
        machine = data.get("machine_info", {})
        print(
            f"<!-- {path}: {machine.get('cpu', {}).get('brand_raw', '?')},"
            f" python {machine.get('python_version', '?')} -->"
        )
        for b in data["benchmarks"]:
            label = b["param"] if b.get("param") else b["name"]
            label = b["params"].get("library", label) if b.get("params") else label
            groups[b["group"]][label] = b
    print("| benchmark | zcfast (median) | baseline (median) | speed-up | notes |")
    print("| --- | --- | --- | --- | --- |")
    for group, entries in groups.items():
        mine = entries.get("zcfast")
        others = {k: v for k, v in entries.items() if k != "zcfast"}
        if mine is None or not others:
            for label, b in entries.items():
                note = _notes(b)
                print(f"| {group} | {_fmt(b['stats']['median'])} | | | {label} {note} |")
            continue
        for label, other in others.items():
            ratio = other["stats"]["median"] / mine["stats"]["median"]
            note = "; ".join(n for n in (_notes(mine, "zcfast"), _notes(other, label)) if n)
            print(
                f"| {group} | {_fmt(mine['stats']['median'])} | {label}"
                f" {_fmt(other['stats']['median'])} | **{ratio:,.0f}x** | {note} |"
            )


def _notes(b: dict, label: str = "") -> str:
    extra = b.get("extra_info") or {}
    if "held_out_spearman_median" in extra:
        return f"{label} held-out ρ {extra['held_out_spearman_median']:.3f}"
    if "held_out_spearman" in extra and isinstance(extra["held_out_spearman"], float):
        return f"held-out ρ {extra['held_out_spearman']:.3f}"
    return ""


def _fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


if __name__ == "__main__":
    main(sys.argv[1:])
