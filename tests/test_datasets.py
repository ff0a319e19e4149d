"""Loaders for the NAS-Bench-Suite-Zero files in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from zcfast import datasets
from zcfast.exceptions import InvalidValueError, UnknownNameError

from .conftest import NB101_JSON, NB201_CSV, NB201_JSON


@pytest.mark.parametrize(
    ("task", "rows"), [("cifar10", 725), ("cifar100", 725), ("ImageNet16-120", 724)]
)
def test_nb201_json(data_dir: Path, task: str, rows: int) -> None:
    df = datasets.load_suite_zero(NB201_JSON, task)
    assert df.height == rows
    assert df.columns[0] == "arch" and df.columns[-1] == "val_accuracy"
    assert set(df.columns[1:-1]) == set(datasets.PROXIES) - {"zen"}
    assert all(dt == pl.Float64 for dt in df.dtypes[1:])
    assert df["arch"].str.starts_with("(").all()
    first = df.row(0, named=True)
    assert 0 < first["params"] < 2 and first["val_accuracy"] > 0


def test_nb201_json_needs_a_task(data_dir: Path) -> None:
    assert datasets.suite_zero_tasks(NB201_JSON) == ["cifar10", "cifar100", "ImageNet16-120"]
    with pytest.raises(InvalidValueError, match="task: expected one of"):
        datasets.load_suite_zero(NB201_JSON)
    with pytest.raises(UnknownNameError, match="'svhn'"):
        datasets.load_suite_zero(NB201_JSON, "svhn")


def test_missing_proxy_is_null(data_dir: Path) -> None:
    df = datasets.load_suite_zero(NB201_JSON, "cifar10")
    assert df["synflow"].null_count() == 1
    assert np.isneginf(df["nwot"].to_numpy()).any()
    filled = datasets.replace_missing(df)
    assert filled["synflow"].null_count() == 0 and filled["nwot"].min() == -1e8
    assert df["synflow"].null_count() == 1, "the input is left untouched"


def test_nb101_json(data_dir: Path) -> None:
    df = datasets.load_suite_zero(NB101_JSON)
    assert df.height == 500 and "nwot" not in df.columns and "flops" in df.columns
    assert datasets.load_suite_zero(NB101_JSON, "cifar10").equals(df)


def test_csv_extract_joins_accuracies(data_dir: Path) -> None:
    df = datasets.load_suite_zero(NB201_CSV)
    assert df.height == 9445
    assert df.columns[:2] == ["arch", "net_str"] and "zen" in df.columns
    assert df["val_accuracy"].null_count() == 0
    X, y = datasets.features_and_targets(df)
    assert "net_str" not in X.columns and X.width == 13 and len(y) == 9445


def test_features_and_targets() -> None:
    df = pl.DataFrame(
        {"arch": ["a", "b"], "p": [1.0, 2.0], "q": [3, 4], "val_accuracy": [0.5, 0.6]}
    )
    X, y = datasets.features_and_targets(df)
    assert X.columns == ["p", "q"] and y.to_list() == [0.5, 0.6]
    X, _ = datasets.features_and_targets(df, features=["q"])
    assert X.columns == ["q"]
    # numbered architectures (an index column) are keys, not metrics
    numbered = df.with_columns(arch=pl.Series([7, 9]), idx=pl.Series([0, 1]))
    assert datasets.features_and_targets(numbered)[0].columns == ["p", "q"]
    with pytest.raises(UnknownNameError, match="'acc'"):
        datasets.features_and_targets(df, target="acc")
    with pytest.raises(UnknownNameError, match="'zz'"):
        datasets.features_and_targets(df, features=["zz"])


def test_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match="no file"):
        datasets.load_suite_zero(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(InvalidValueError, match="invalid JSON"):
        datasets.load_suite_zero(bad)
    txt = tmp_path / "x.txt"
    txt.write_text("")
    with pytest.raises(InvalidValueError, match=r"\.json or \.csv"):
        datasets.load_suite_zero(txt)
    csv = tmp_path / "t.csv"
    csv.write_text("net,a\nx,1\n")
    with pytest.raises(InvalidValueError, match="accuracy_path"):
        datasets.load_suite_zero(csv)
