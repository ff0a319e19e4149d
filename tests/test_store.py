"""Bad input to scoring with ``out=``: a directory from a different space, proxy set, batch or
seed, an unreachable Ray address, a file or a foreign folder are clear zcfast errors, and what
is already on disk stays exactly as it was.  Also: half-written parts are never read."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import polars as pl  # noqa: E402
from zcfast import metrics  # noqa: E402
from zcfast.exceptions import ConfigError, ExecutorError, InvalidValueError  # noqa: E402
from zcfast.jobs._store import ScoreStore  # noqa: E402
from zcfast.spaces import nb201  # noqa: E402

from .scale_spaces import RenamedSpace, noise_settings  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_torch_thread")

ARCHS = nb201.sample(3, seed=0)


@pytest.fixture(scope="module")
def settings() -> dict[str, Any]:
    return noise_settings(["params"])


@pytest.fixture()
def scored(tmp_path: Path, settings: dict[str, Any]) -> Path:
    out = tmp_path / "scores"
    metrics.score_archs("nb201", ARCHS[:2], out=out, **settings)
    return out


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _changed(settings: dict[str, Any], what: str) -> tuple[Any, dict[str, Any]]:
    if what == "space":
        return RenamedSpace(), settings
    if what == "proxies":
        return "nb201", {**settings, "proxies": ["params", "flops"]}
    if what == "batch":
        return "nb201", {**settings, "labels": settings["labels"].roll(1)}
    return "nb201", {**settings, "seed": 1}


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("space", "different space"),
        ("proxies", "different proxy set"),
        ("batch", "different batch"),
        ("seed", "different seed"),
    ],
)
def test_a_directory_of_other_scores_is_refused_untouched(
    scored: Path, settings: dict[str, Any], what: str, message: str
) -> None:
    before = _snapshot(scored)
    space, changed = _changed(settings, what)
    with pytest.raises(InvalidValueError, match=rf"^out: .*holds scores with a {message}"):
        metrics.score_archs(space, ARCHS, out=scored, **changed)
    assert _snapshot(scored) == before


def test_another_function_is_refused(scored: Path, settings: dict[str, Any]) -> None:
    before = _snapshot(scored)
    kw = {k: v for k, v in settings.items() if k != "proxies"}
    with pytest.raises(InvalidValueError, match="different function"):
        metrics.layer_primitives_many("nb201", ARCHS, out=scored, **kw)
    assert _snapshot(scored) == before


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="Ray is not installed")
def test_unreachable_ray_address_is_refused_untouched(
    scored: Path, tmp_path: Path, settings: dict[str, Any]
) -> None:
    before = _snapshot(scored)
    address = f"127.0.0.1:{_free_port()}"
    for out in (scored, tmp_path / "new"):
        wanted = rf"Ray cluster accepting connections at '{address}'"
        with pytest.raises(ExecutorError, match=wanted):
            metrics.score_archs("nb201", ARCHS, executor=address, out=out, **settings)
    assert _snapshot(scored) == before
    assert not (tmp_path / "new").exists()


def test_a_file_or_a_foreign_folder_is_refused(tmp_path: Path, settings: dict[str, Any]) -> None:
    (tmp_path / "file.parquet").write_bytes(b"not a directory")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(InvalidValueError, match="expected a directory"):
        metrics.score_archs("nb201", ARCHS, out=tmp_path / "file.parquet", **settings)
    with pytest.raises(InvalidValueError, match="holding other files"):
        metrics.score_archs("nb201", ARCHS, out=tmp_path / "other", **settings)
    assert (tmp_path / "file.parquet").read_bytes() == b"not a directory"
    assert [p.name for p in (tmp_path / "other").iterdir()] == ["notes.txt"]


def test_a_second_writer_is_refused(scored: Path, settings: dict[str, Any]) -> None:
    rows = metrics.read_scores(scored)  # readable while another process writes it
    holder = ScoreStore.check(scored, _job_manifest(scored))
    holder.open()
    try:
        with pytest.raises(InvalidValueError, match="being written by another"):
            metrics.score_archs("nb201", ARCHS, out=scored, **settings)
        assert rows.collect().height == 2
    finally:
        holder.close()


def _job_manifest(out: Path) -> dict[str, Any]:
    import json

    data = json.loads((out / "zcfast-scores.json").read_text())
    return {k: v for k, v in data.items() if k != "format"}


def test_half_written_parts_are_ignored_then_removed(
    scored: Path, settings: dict[str, Any]
) -> None:
    """What a killed writer can leave: a temporary part (never renamed into place)."""
    parts = scored / "proxies"
    (parts / ".part-0007-00000000-00000.parquet.tmp").write_bytes(b"PAR1 truncated")
    assert metrics.read_scores(scored).collect().height == 2
    done = metrics.score_archs("nb201", ARCHS, out=scored, **settings).collect()
    assert done["arch"].to_list() == [nb201.to_tuple_str(a) for a in ARCHS]
    assert all(p.name.startswith("part-") for p in parts.iterdir())


def test_what_a_killed_creator_leaves_is_a_new_directory(
    tmp_path: Path, settings: dict[str, Any]
) -> None:
    out = tmp_path / "s"
    out.mkdir()
    (out / ".zcfast-scores.json.4242.tmp").write_text("{")  # killed before its rename
    assert metrics.score_archs("nb201", ARCHS, out=out, **settings).collect().height == 3
    assert sorted(p.name for p in out.iterdir()) == ["proxies", "zcfast-scores.json"]


def test_argument_errors(tmp_path: Path, settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"^executor: expected one of inline, processes, ray"):
        metrics.score_archs("nb201", ARCHS, executor="threads", **settings)
    with pytest.raises(ConfigError, match=r"^workers: expected a positive int"):
        metrics.score_archs("nb201", ARCHS, executor="processes", workers=0, **settings)
    with pytest.raises(ConfigError, match=r"^workers: expected None for executor='inline'"):
        metrics.score_archs("nb201", ARCHS, workers=2, **settings)
    with pytest.raises(ConfigError, match=r"^chunk_size: expected a positive int"):
        metrics.score_archs("nb201", ARCHS, chunk_size=0, **settings)
    with pytest.raises(InvalidValueError, match=r"^out: expected a zcfast score directory"):
        metrics.read_scores(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_error_rows_are_kept(tmp_path: Path, settings: dict[str, Any]) -> None:
    df = metrics.score_archs("nb201", [ARCHS[0], "(9, 9)"], out=tmp_path / "s", **settings)
    rows = df.collect()
    assert rows["arch"].to_list() == [nb201.to_tuple_str(ARCHS[0]), "(9, 9)"]
    assert rows["error"][1].startswith("InvalidValueError")
    assert rows.schema["params"] == pl.Float64
