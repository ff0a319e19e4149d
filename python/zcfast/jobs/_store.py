"""``out=``: a directory of Parquet part files that scoring runs stream into and resume from.

Layout::

    OUT/zcfast-scores.json                what the rows are scores of (the manifest)
    OUT/proxies/part-R-C-O.parquet        one chunk's rows: run R, chunk C, offset O in it
    OUT/layers/part-R-C-O.parquet         the same chunk's layer rows (layer tables only)

Each part is written to a hidden temporary file, flushed to disk and renamed into place, so a
part is complete or absent whatever happens to the process (Ctrl-C, SIGKILL, power loss).  A
chunk counts as done when its part of the first table exists; that part is renamed last.  The
manifest records the space, proxies, batch fingerprint, seed, settings and columns; opening a
directory made by a different call is an error that leaves it untouched.  Parts sort by (run,
chunk, offset): the caller's order within a run, a resumed run after the earlier ones.
"""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from pathlib import Path
from typing import IO, Any

import polars as pl

from zcfast._params import Choice, check, fail, found_type
from zcfast.exceptions import ArgumentTypeError

__all__ = ["ChunkKey", "ScoreStore", "check_out_path", "read_scores"]

MANIFEST = "zcfast-scores.json"
FORMAT = "zcfast.scores/1"
#: Manifest entries that must agree for a call to add rows to an existing directory.
COMPARED = ("tables", "space", "task", "proxies", "batch", "seed", "settings", "columns")
_PART = re.compile(r"^part-(\d+)-(\d+)-(\d+)\.parquet$")
#: What a process killed while creating the manifest leaves (ignored, then removed).
_MANIFEST_TMP = re.compile(rf"^\.{re.escape(MANIFEST)}\.\d+\.tmp$")
_DTYPES = {"String": pl.String, "Float64": pl.Float64, "Int64": pl.Int64}

#: (chunk index, offset of its first architecture in the chunk) names a part within a run.
ChunkKey = tuple[int, int]


class ScoreStore:
    """An ``out=`` directory: check it against a call, open it for writing, commit parts.

    Example
    -------
    >>> import tempfile
    >>> manifest = {"tables": ["proxies"], "space": "toy", "proxies": ["params"], "batch": {},
    ...             "seed": 0, "settings": {}, "columns": {"proxies": [["arch", "String"],
    ...             ["params", "Float64"], ["error", "String"]]}}
    >>> store = ScoreStore.check(Path(tempfile.mkdtemp()) / "out", manifest)
    >>> store.open()
    >>> store.commit((0, 0), {"proxies": pl.DataFrame({"arch": ["a"], "params": [1.0],
    ...                                                "error": [None]})})
    >>> store.scan("proxies").collect()["arch"].to_list()
    ['a']
    >>> store.close()    # releases the lock on the directory
    """

    def __init__(self, path: Path, manifest: dict[str, Any], existing: bool) -> None:
        self.path = path
        self.manifest = manifest
        self.existing = existing
        self.tables: list[str] = list(manifest["tables"])
        self.run = 0
        self._lock: IO[bytes] | None = None

    @classmethod
    def check(cls, out: str | os.PathLike[str], manifest: dict[str, Any]) -> ScoreStore:
        """The store for ``out`` if it is absent, empty or made by the same kind of call;
        reads only (the directory is untouched whatever the answer)."""
        path = check_out_path(out)
        wanted = json.loads(json.dumps({"format": FORMAT, **manifest}))
        found = _read_manifest(path) if path.is_dir() else None
        if found is None:
            if path.is_dir() and any(not _MANIFEST_TMP.match(f.name) for f in path.iterdir()):
                expected = f"a zcfast score directory (with {MANIFEST}) or a new or empty one"
                raise fail("out", expected, f"{str(path)!r} holding other files")
            return cls(path, wanted, existing=False)
        for name in COMPARED:
            if found.get(name) != wanted[name]:
                expected = f"scores of this call's {_what(name)} ({_short(wanted[name])})"
                other = (
                    f"{str(path)!r}, which holds scores with a different {_what(name)}"
                    f" ({_short(found.get(name))}); give another out= or the same arguments as"
                    " the run that made it"
                )
                raise fail("out", expected, other)
        return cls(path, found, existing=True)

    def open(self) -> None:
        """Creates the directory (or takes over an existing one): locks it against a second
        writer, removes what an interrupted run left unfinished, starts a new run number."""
        self._committed()  # a part folder that is a file is refused before anything changes
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            if not self.existing:
                data = json.dumps(self.manifest, indent=2).encode()
                _create_manifest(self.path / MANIFEST, data)
            self._lock = _lock(self.path / MANIFEST)
            for table in self.tables:
                (self.path / table).mkdir(exist_ok=True)
        except OSError as exc:
            expected = "a directory the part files can be written to"
            raise fail("out", expected, f"{str(self.path)!r} ({exc.strerror or exc})") from None
        self._set_aside_unreadable()
        committed = self._committed()
        self._remove_leftovers(committed)
        self.run = 1 + max((r for r, _, _ in committed), default=-1)

    def _set_aside_unreadable(self) -> None:
        """Renames the parts of every chunk with an unreadable part (truncated or overwritten
        by something else) to hidden ``.corrupt`` files, so that the chunk is scored again."""
        bad = {ids for table in self.tables for ids, _ in self._unreadable(table)}
        if not bad:
            return
        for table in self.tables:
            for r, c, o in bad:
                f = self.path / table / _part_name(r, c, o)
                if f.exists():
                    os.replace(f, f.with_name(f".{f.name}.corrupt"))
        warnings.warn(
            f"out: {len(bad)} unreadable part file(s) in {str(self.path)!r} were renamed to"
            " .corrupt; their architectures are scored again",
            UserWarning,
            stacklevel=5,
        )

    def _unreadable(self, table: str) -> list[tuple[tuple[int, int, int], Path]]:
        """``(ids, path)`` of the committed parts of ``table`` that cannot be read as parts of
        it (a truncated file, another file's bytes, other columns)."""
        wanted = [c for c, _ in self.manifest["columns"][table]]
        found = []
        for ids in sorted(self._committed()):
            f = self.path / table / _part_name(*ids)
            if not f.exists():
                continue
            try:
                ok = list(pl.read_parquet_schema(f)) == wanted
            except (OSError, pl.exceptions.PolarsError):
                ok = False
            if not ok:
                found.append((ids, f))
        return found

    def _check_readable(self, table: str) -> None:
        bad = self._unreadable(table)
        if bad:
            found = (
                f"{len(bad)} that cannot be read (e.g. {str(bad[0][1])!r}); rerun the scoring"
                " call with the same out= to score their architectures again"
            )
            raise fail("out", "readable part files", found)

    def _remove_leftovers(self, committed: set[tuple[int, int, int]]) -> None:
        """Temporary files of killed writers, and parts of a chunk whose first-table part was
        never renamed into place (the chunk is not done: it will be scored again)."""
        for f in self.path.iterdir():
            if _MANIFEST_TMP.match(f.name):
                f.unlink(missing_ok=True)
        for table in self.tables:
            for f in (self.path / table).iterdir():
                m = _PART.match(f.name)
                if f.name.endswith(".tmp") or (m is not None and _ids(m) not in committed):
                    f.unlink()

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def done_keys(self) -> set[str]:
        """Architecture keys with rows in the store that are not error rows (an architecture
        that failed is scored again by a rerun)."""
        files = self._files(self.tables[0])
        if not files:
            return set()
        self._check_readable(self.tables[0])
        ok = pl.scan_parquet(files).filter(pl.col("error").is_null()).select("arch")
        return set(ok.collect()["arch"].to_list())

    def commit(self, key: ChunkKey, frames: dict[str, pl.DataFrame]) -> None:
        """Writes one chunk's frames as parts of this run (the first table's part last)."""
        name = _part_name(self.run, key[0], key[1])
        for table in reversed(self.tables):
            final = self.path / table / name
            tmp = final.with_name(f".{name}.tmp")
            frames[table].write_parquet(tmp)
            _fsync(tmp)
            os.replace(tmp, final)
            _fsync_dir(final.parent)

    def scan(self, table: str) -> pl.LazyFrame:
        """The committed rows of ``table``, parts in (run, chunk, offset) order."""
        files = self._files(table)
        if not files:
            schema = {c: _DTYPES[d] for c, d in self.manifest["columns"][table]}
            return pl.LazyFrame(schema=schema)
        self._check_readable(table)
        return _latest(pl.scan_parquet(files))

    def _committed(self) -> set[tuple[int, int, int]]:
        folder = self.path / self.tables[0]
        if folder.exists() and not folder.is_dir():
            expected = f"{str(folder)!r} to be the directory of the {self.tables[0]} parts"
            raise fail("out", expected, "a file")
        found = (_PART.match(f.name) for f in folder.iterdir()) if folder.is_dir() else ()
        return {_ids(m) for m in found if m is not None}

    def _files(self, table: str) -> list[Path]:
        done = sorted(self._committed())
        return [self.path / table / _part_name(r, c, o) for r, c, o in done]


def _latest(rows: pl.LazyFrame) -> pl.LazyFrame:
    """``rows`` without the error rows a later run superseded: an architecture keeps its
    scored rows, or (while it has none) the last of its error rows."""
    failed_only = pl.col("error").is_not_null().all().over("arch")
    last = pl.col("_row") == pl.col("_row").max().over("arch")
    return (
        rows.with_row_index("_row")
        .filter(pl.col("error").is_null() | (failed_only & last))
        .drop("_row")
    )


def _part_name(run: int, chunk: int, offset: int) -> str:
    return f"part-{run:04d}-{chunk:08d}-{offset:05d}.parquet"


def _out_path(out: Any, option: str = "out") -> Path:
    if isinstance(out, (str, os.PathLike)) and not isinstance(out, bytes):
        if str(out).strip():
            return Path(out)
        raise fail(option, "a directory path", "an empty string")
    raise fail(option, "a directory path (str or Path)", found_type(out), ArgumentTypeError)


def check_out_path(out: Any, option: str = "out") -> Path:
    """``out`` as a Path, refused (before any scoring) when it cannot be or become a directory
    of parts: not a path, a file, a file in the way, or a nearest existing folder that cannot
    be written.

    Example
    -------
    >>> check_out_path("scores/").name
    'scores'
    """
    path = _out_path(out, option)
    if path.exists() and not path.is_dir():
        raise fail(option, "a directory for the part files", f"the file {str(path)!r}")
    ancestor = path if path.exists() else path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        found = f"{str(path)!r} ({str(ancestor)!r} is a file)"
        raise fail(option, "a directory path that can be created", found)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        found = f"{str(path)!r} ({str(ancestor)!r} cannot be written)"
        raise fail(option, "a writable directory", found)
    return path


def read_scores(out: str | os.PathLike[str], table: str | None = None) -> pl.LazyFrame:
    """The rows a scoring run with ``out=`` wrote, including one that was interrupted or killed.

    Parameters
    ----------
    out:
        The ``out=`` directory of :func:`score_archs`, :func:`layer_primitives_many` or
        :func:`score_archs_and_layers` (or of ``zcfast score-archs --out``).
    table:
        ``"proxies"`` or ``"layers"`` (default: the one table, or ``"proxies"`` when the
        directory holds both).

    Returns
    -------
    polars.LazyFrame
        Every finished row (parts half-written when the run stopped are not read), in the
        order the rows were written.

    Example
    -------
    >>> import tempfile
    >>> from zcfast import metrics
    >>> x, y = metrics.example_batch(4, 8, source="noise")
    >>> with tempfile.TemporaryDirectory() as out:
    ...     _ = metrics.score_archs("nb201", ["(2, 2, 0, 4, 2, 0)"], inputs=x, labels=y,
    ...                             num_classes=10, proxies=["params"], out=out, progress=False)
    ...     print(read_scores(out).collect().shape)
    (1, 3)
    """
    path = _out_path(out)
    manifest = _read_manifest(path) if path.is_dir() else None
    if manifest is None:
        raise fail("out", f"a zcfast score directory (with {MANIFEST})", repr(str(path)))
    store = ScoreStore(path, manifest, existing=True)
    name = store.tables[0] if table is None else table
    check("table", name, Choice(*store.tables))
    return store.scan(name)


def _ids(m: re.Match[str]) -> tuple[int, int, int]:
    return int(m[1]), int(m[2]), int(m[3])


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # undecodable bytes, invalid JSON, huge numbers
        found = f"{str(path / MANIFEST)!r} ({str(exc)[:200]})"
        raise fail("out", "a readable JSON manifest", found) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise fail("out", f"{str(path / MANIFEST)!r} in format {FORMAT}", "another")
    problem = _manifest_problem(data)
    if problem:
        expected = f"{str(path / MANIFEST)!r} to be a zcfast score manifest"
        found = f"{problem} (a damaged file: restore it, or score into another out=)"
        raise fail("out", expected, found)
    return data


def _manifest_problem(data: dict[str, Any]) -> str:
    """What is wrong with a manifest's ``tables`` and ``columns`` ('' when nothing)."""
    tables = data.get("tables")
    if (
        not isinstance(tables, list)
        or not tables
        or not all(t in ("proxies", "layers") for t in tables)
        or len(set(tables)) != len(tables)
    ):
        return f"tables {_short(tables)}"
    columns = data.get("columns")
    if not isinstance(columns, dict):
        return f"columns {_short(columns)}"
    for table in tables:
        cols = columns.get(table)
        if not isinstance(cols, list) or not all(
            isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) and c[1] in _DTYPES
            for c in cols
        ):
            return f"columns of {table} {_short(cols)}"
    return ""


def _what(name: str) -> str:
    return {"tables": "function (table set)", "proxies": "proxy set", "batch": "batch"}.get(
        name, name
    )


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _create_manifest(path: Path, data: bytes) -> None:
    """Writes the manifest whole, and only if no other process has created one meanwhile."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    _fsync(tmp)
    try:
        os.link(tmp, path)  # unlike a rename, fails if the manifest exists
    except FileExistsError:
        expected = "a directory no other process writes"
        found = f"{str(path.parent)!r} created by another process meanwhile; rerun"
        raise fail("out", expected, found) from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    # a rename is durable once its directory is synced; Windows cannot open directories
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock(manifest: Path) -> IO[bytes]:
    """An exclusive lock held while the store is open, so two runs never write one directory
    (the kernel drops it when the process dies, even by SIGKILL)."""
    handle = open(manifest, "rb")
    if sys.platform != "win32":
        import fcntl

        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            expected = "a directory no other process writes"
            found = f"{str(manifest.parent)!r} being written by another running process"
            raise fail("out", expected, found) from None
    return handle
