"""``zcfast score-archs``: what it writes equals the Python API's rows; its sources, --resume
and its one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import polars as pl  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402
from zcfast import metrics  # noqa: E402
from zcfast.cli import main  # noqa: E402
from zcfast.spaces import nb201  # noqa: E402

from .scale_spaces import one_torch_thread  # noqa: E402

SMALL = ["--batch-size", "8", "--input-size", "16", "--data", "noise", "--no-progress"]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


def _api(archs: list[Any], proxies: list[str], seed: int = 0) -> pl.DataFrame:
    x, y = metrics.example_batch(8, 16, source="noise", seed=seed)
    return metrics.score_archs(
        "nb201",
        archs,
        inputs=x,
        labels=y,
        num_classes=10,
        proxies=proxies,
        seed=seed,
        progress=False,
    )


def test_sample_then_resume_with_more(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "s")
    args = ["score-archs", "--proxies", "params,synflow", "--seed", "2", "--out", out, *SMALL]
    assert main([*args, "--sample", "4"]) == 0
    assert "scored:   4 architectures of nb201" in capsys.readouterr().out
    assert main([*args, "--sample", "6", "--resume"]) == 0
    text = capsys.readouterr().out
    assert "scored:   2 architectures" in text and "4 were there already" in text
    expected = _api(nb201.sample(6, seed=2), ["params", "synflow"], seed=2)
    assert_frame_equal(metrics.read_scores(out).collect(), expected, check_exact=True)


def test_archs_from_text_and_csv(tmp_path: Path) -> None:
    archs = nb201.sample(3, seed=5)
    text = tmp_path / "archs.txt"
    text.write_text("# three cells\n" + "\n".join(nb201.to_tuple_str(a) for a in archs) + "\n\n")
    csv = tmp_path / "archs.csv"
    pl.DataFrame({"net": [nb201.to_tuple_str(a) for a in archs], "x": [1, 2, 3]}).write_csv(csv)
    for source in (text, csv):
        out = str(tmp_path / f"out-{source.suffix[1:]}")
        assert (
            main(
                ["score-archs", "--archs", str(source), "--proxies", "params", *SMALL, "--out", out]
            )
            == 0
        )
        assert_frame_equal(metrics.read_scores(out).collect(), _api(archs, ["params"]))


def test_layers_table(tmp_path: Path) -> None:
    out = str(tmp_path / "l")
    assert main(["score-archs", "--sample", "2", "--layers", "--out", out, *SMALL]) == 0
    layers = metrics.read_scores(out).collect()
    assert layers["arch"].n_unique() == 2 and "fan_in" in layers.columns


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sample", "2"], "or --resume to add the missing rows"),
        (["--sample", "2", "--resume", "--proxies", "nwot"], "different proxy set"),
        (["--sample", "2", "--resume", "--executor", "threads"], "executor: expected one of"),
        (["--sample", "0", "--resume"], "--sample: expected a positive int, found 0"),
        (["--archs", "missing.txt", "--resume"], "--archs: expected a readable text file"),
    ],
)
def test_errors_are_one_line_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    out = str(tmp_path / "s")
    assert main(["score-archs", "--sample", "1", "--proxies", "params", "--out", out, *SMALL]) == 0
    capsys.readouterr()
    code = main(["score-archs", "--proxies", "params", "--out", out, *SMALL, *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("zcfast: error: ") and message in err
