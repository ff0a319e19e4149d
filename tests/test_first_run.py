"""What a new user hit on a fresh clone (issue "a first run that works as written"): each
finding, kept fixed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import tomllib
import zcfast
from zcfast import datasets
from zcfast.cli import main
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, UnknownNameError

ROOT = Path(__file__).resolve().parents[1]


def test_the_torch_extra_brings_what_the_cli_needs() -> None:
    """score-archs and search --live use scikit-learn's digits: the torch extra installs it."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch_extra = " ".join(extras["optional-dependencies"]["torch"])
    assert "torch" in torch_extra and "scikit-learn" in torch_extra


def test_one_loader_reads_every_result_file(tmp_path: Path) -> None:
    X, y = datasets.features_and_targets(datasets.load_demo())
    result = zcfast.evolve(X[:100], y[:100], seed=0, population_size=100, generations=5, ensemble=3)
    assert isinstance(result.best, zcfast.Ensemble)
    assert zcfast.load(result.best.to_json()).to_json() == result.best.to_json()
    with pytest.raises(InvalidValueError, match=r"found format 'zcfast.ensemble/1': an Ensemble"):
        zcfast.Expression.from_json(result.best.to_json())
    member = result.best.members[0]
    with pytest.raises(InvalidValueError, match=r"'zcfast.expression/1': an Expression"):
        zcfast.Ensemble.from_json(member.to_json())
    # what evolve --out writes
    out = tmp_path / "result.json"
    assert main(["evolve", "--demo", "--ensemble", "3", "--baselines", "false",
                 "--population-size", "50", "--generations", "3", "--no-progress",
                 "--out", str(out)]) == 0  # fmt: skip
    loaded = zcfast.load(out)
    assert isinstance(loaded, zcfast.EvolveResult)
    assert isinstance(loaded.best, zcfast.Ensemble) and len(loaded.members or []) == 3
    assert loaded.best.evaluate(X).tolist() == zcfast.load(out).best.evaluate(X).tolist()
    # what search --out writes
    found = tmp_path / "search.json"
    demo = str(ROOT / "python/zcfast/data/nb201_digits.csv")
    assert main(["search", demo, "--proxy", "fisher", "--budget", "20", "--no-progress",
                 "--out", str(found)]) == 0  # fmt: skip
    search = zcfast.load(found)
    assert isinstance(search, zcfast.SearchResult) and search.evaluations == 20
    with pytest.raises(InvalidValueError, match=r"^source: expected a zcfast result"):
        zcfast.load('{"format": "something/1"}')
    with pytest.raises(ArgumentTypeError, match=r"^source"):
        zcfast.load(5)  # type: ignore[arg-type]


@pytest.fixture
def tiny_scoring() -> list[str]:
    pytest.importorskip("torch")
    return ["--batch-size", "4", "--input-size", "8", "--data", "noise", "--no-progress"]


def test_score_archs_reports_failed_architectures_and_retries_them(
    tmp_path: Path, tiny_scoring: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    archs = tmp_path / "archs.txt"
    archs.write_text("(5, 2, 0, 2, 2, 2)\n(2, 2, 0, 2, 2, 2)\n")
    out = tmp_path / "scores"
    args = ["score-archs", "--archs", str(archs), "--proxies", "params", "--out", str(out)]
    assert main([*args, *tiny_scoring]) == 1
    text = capsys.readouterr().out
    assert "failed: (5, 2, 0, 2, 2, 2): InvalidValueError: arch: expected an NB201 cell" in text
    assert "errors:   1 architectures failed" in text
    assert main([*args, *tiny_scoring, "--resume", "--allow-errors"]) == 0
    assert "0 were there already" not in capsys.readouterr().out
    # a fixed file: the failed key is retried, not kept forever
    archs.write_text("(4, 2, 0, 2, 2, 2)\n(2, 2, 0, 2, 2, 2)\n")
    assert main([*args, *tiny_scoring, "--resume"]) == 0
    rows = zcfast.metrics.read_scores(out).collect()
    assert rows.filter(pl.col("error").is_null())["arch"].to_list()[-1] == "(4, 2, 0, 2, 2, 2)"


def test_commands_that_run_torch_take_threads(tmp_path: Path, tiny_scoring: list[str]) -> None:
    import torch

    before = torch.get_num_threads()
    out = tmp_path / "o"
    assert main(["score-archs", "--sample", "2", "--proxies", "params", "--threads", "1",
                 "--out", str(out), *tiny_scoring]) == 0  # fmt: skip
    assert main(["search", "--live", "--proxy", "params", "--budget", "2", "--threads", "1",
                 *tiny_scoring]) == 0  # fmt: skip
    assert torch.get_num_threads() == before
    x, y = zcfast.metrics.example_batch(4, 8, source="noise")
    net = zcfast.spaces.nb201.build(0, input_size=8, C=4, N=1)
    assert zcfast.metrics.compute(net, x, y, ["params"], n_threads=1)["params"] > 0
    assert torch.get_num_threads() == before


def test_evolve_honours_target_and_says_where_targets_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = datasets.load_demo().rename({"val_accuracy": "accuracy"})
    csv = tmp_path / "my.csv"
    table.write_csv(csv)
    quick = ["--population-size", "30", "--generations", "2", "--ensemble", "1", "--no-progress"]
    assert main(["evolve", str(csv), "--target", "accuracy", *quick]) == 0
    err = capsys.readouterr().err
    assert "targets:  column 'accuracy' of my.csv" in err
    assert main(["evolve", str(csv), "--target", "nope", *quick]) == 2
    assert "target: expected a column of my.csv" in capsys.readouterr().err


def test_clear_messages_for_the_mistakes_a_new_user_makes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    df = datasets.load_demo()
    with pytest.raises(ArgumentTypeError, match=r"^table: expected a DataFrame .*read_table"):
        zcfast.search("nb201", "fisher", table="scores.parquet")
    with pytest.raises(UnknownNameError, match=r"^settings: .*'population' \(did you mean"):
        zcfast.Settings(population=10)  # type: ignore[call-arg]
    tiny = tmp_path / "tiny.csv"
    df.head(2).write_csv(tiny)
    assert main(["evolve", str(tiny)]) == 2
    assert "FILE: expected at least 3 architectures with a target" in capsys.readouterr().err
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0 and zcfast.__version__ in capsys.readouterr().out


def test_every_option_has_help() -> None:
    from zcfast.cli import _parser

    parser = _parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():  # type: ignore[attr-defined]
        for action in command._actions:
            if action.dest != "help":
                assert action.help, f"zcfast {name} {action.option_strings} has no help text"


def test_ctrl_c_in_a_live_search_reports_and_exits_130(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    cmd = [sys.executable, "-m", "zcfast", "search", "--live", "--proxy", "synflow",
           "--budget", "100000", "--batch-size", "4", "--input-size", "8", "--data", "noise",
           "--no-progress"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "default"}
    run = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(15)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, (out, err)
    assert "(interrupted)" in out and "best:" in out
    assert "Warning" not in err and "warnings.warn" not in err, err


def test_live_search_shows_progress_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    x, y = zcfast.metrics.example_batch(4, 8, source="noise")
    zcfast.search("nb201", "params", inputs=x, labels=y, budget=2)
    assert "search" in capsys.readouterr().err
    zcfast.search("nb201", "fisher", table=datasets.load_demo(), budget=2)
    assert capsys.readouterr().err == ""


def test_evaluate_takes_the_dict_compute_returns() -> None:
    e = zcfast.Expression.parse("nwot + params", ["nwot", "params", "flops"])
    values = {"nwot": 1.0, "params": 2.0, "flops": 3.0}
    assert e.evaluate(values).tolist() == [3.0] == e.to_function()(values).tolist()
    assert e.evaluate({"nwot": [1.0, 2.0], "params": [0.0, 1.0]}).tolist() == [1.0, 3.0]
    with pytest.raises(UnknownNameError, match=r"^matrix: expected the columns .*'params'"):
        e.evaluate({"nwot": 1.0})


def test_the_search_result_json_is_plain_data(tmp_path: Path) -> None:
    r = zcfast.search("nb201", "fisher", table=datasets.load_demo(), budget=5)
    assert json.loads(json.dumps(r.to_dict()))["format"] == "zcfast.search_result/1"


def test_plot_history_draws_each_run_of_an_ensemble() -> None:
    pytest.importorskip("matplotlib")
    X, y = datasets.features_and_targets(datasets.load_demo())
    r = zcfast.evolve(X[:100], y[:100], seed=0, population_size=60, generations=6, ensemble=3,
                      baselines=False)  # fmt: skip
    ax = r.plot_history()
    assert len(ax.lines) == 3 + 1  # each run, and their mean
    for line in ax.lines:
        generations = list(line.get_xdata())
        assert generations == sorted(generations), "a line jumps back to generation 0"
