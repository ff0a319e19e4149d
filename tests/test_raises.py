"""Arguments declared once (issue 14): few hand-written raises, and the constraints of
``zcfast._params`` with their one message template."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from zcfast._params import (
    Bool,
    Choice,
    Constraint,
    File,
    Func,
    Instance,
    Int,
    Names,
    Optional,
    Real,
    Seed,
    Sizes,
    Text,
    check,
    check_all,
    fail,
    missing_dependency,
)
from zcfast.exceptions import (
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    MissingDependencyError,
    ShapeError,
    UnknownNameError,
)

ROOT = Path(__file__).resolve().parents[1]
#: ``name: expected <what>, found <what>``, on one line.
GRAMMAR = re.compile(r"^[^\n:]+: expected [^\n]+, found [^\n]+$")


def _counter() -> Any:
    spec = importlib.util.spec_from_file_location("count_raises", ROOT / "scripts/count_raises.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hand_written_raises_stay_below_the_limit() -> None:
    counter = _counter()
    found = counter.count()
    total = sum(found.values())
    worst = ", ".join(f"{path} {n}" for path, n in found.most_common(5))
    assert total < counter.LIMIT, f"{total} hand-written raises (limit {counter.LIMIT}): {worst}"


def _raises(constraint: Constraint[Any], value: Any, error: type[Exception], text: str) -> None:
    with pytest.raises(error) as info:
        check("x", value, constraint)
    assert type(info.value) is error
    assert str(info.value) == text
    assert GRAMMAR.match(str(info.value)), str(info.value)


@pytest.mark.parametrize(
    ("constraint", "value", "error", "text"),
    [
        (Int(1), 0, ConfigError, "x: expected a positive int, found 0"),
        (Int(0), -1, ConfigError, "x: expected a non-negative int, found -1"),
        (Int(1, 10), 11, ConfigError, "x: expected an int in [1, 10], found 11"),
        (Int(4), 3, ConfigError, "x: expected an int >= 4, found 3"),
        (Int(1, 10), 2**70, ConfigError, "x: expected an int in [1, 10], found 2**70"),
        (Int(1), "3", ArgumentTypeError, "x: expected a positive int, found str '3'"),
        (Int(1), True, ArgumentTypeError, "x: expected a positive int, found bool True"),
        (
            Real(0, open_low=True),
            0.0,
            ConfigError,
            "x: expected a finite positive number, found 0.0",
        ),
        (Real(0, 1, open_high=True), 1, ConfigError, "x: expected a number in [0, 1), found 1"),
        (Real(), float("nan"), ConfigError, "x: expected a finite number, found nan"),
        (Real(), None, ArgumentTypeError, "x: expected a finite number, found None"),
        (Bool(), 1, ArgumentTypeError, "x: expected True or False, found int 1"),
        (Text(), "", ConfigError, "x: expected a non-empty str, found ''"),
        (Text(), b"a", ArgumentTypeError, "x: expected a non-empty str, found bytes b'a'"),
        (Choice("a", "b"), "c", UnknownNameError, "x: expected one of a, b, found 'c'"),
        (
            Choice("a", "b", note="the tasks"),
            "c",
            UnknownNameError,
            "x: expected one of a, b (the tasks), found 'c'",
        ),
        (Choice("a", "b"), 5, ArgumentTypeError, "x: expected one of a, b, found int 5"),
        (Seed(), 2**64, InvalidValueError, "x: expected an int in [-2**63, 2**64), found 2**64"),
        (Seed(), 1.5, ArgumentTypeError, "x: expected an int, found float 1.5"),
        (Func("a callable f(x)"), 5, ArgumentTypeError, "x: expected a callable f(x), found int 5"),
        (
            Sizes(2, 2, 100),
            (20, 20),
            ConfigError,
            "x: expected a tuple of 2 positive int sizes of at most 100 values in all,"
            " found (20, 20)",
        ),
        (Sizes(), (0, 8), ConfigError, "x: expected a tuple of positive int sizes, found (0, 8)"),
        (
            Sizes(),
            "8",
            ArgumentTypeError,
            "x: expected a tuple of positive int sizes, found str '8'",
        ),
        (
            Names("a", "b"),
            ["a", "c"],
            UnknownNameError,
            "x: expected one or more names from a, b, found 'c'",
        ),
        (Names(what="columns"), [], ConfigError, "x: expected one or more columns, found []"),
        (Names(), [1], ArgumentTypeError, "x: expected one or more names, found int 1"),
        (Names(), 5, ArgumentTypeError, "x: expected one or more names, found int 5"),
        (
            Instance(dict, what="a mapping"),
            np.zeros((3, 3)),
            ArgumentTypeError,
            "x: expected a mapping, found ndarray",  # a repr over several lines: the type only
        ),
        (
            Optional(Int(1)),
            0,
            ConfigError,
            "x: expected a positive int or None, found 0",
        ),
        (
            Optional(Int(1)),
            "1",
            ArgumentTypeError,
            "x: expected a positive int or None, found str '1'",
        ),
    ],
)
def test_each_constraint_says_what_it_expected_and_found(
    constraint: Constraint[Any], value: Any, error: type[Exception], text: str
) -> None:
    _raises(constraint, value, error, text)


@pytest.mark.parametrize(
    ("constraint", "value", "expected"),
    [
        (Int(1), np.int64(3), 3),
        (Real(0, 1), np.float32(0.5), 0.5),
        (Bool(), np.bool_(True), True),
        (Sizes(1, 4), [3, 8, 8], (3, 8, 8)),
        (Names("a", "b"), "a", ["a"]),
        (Names("a", "b"), ("b", "a"), ["b", "a"]),
        (Optional(Text()), None, None),
        (Seed(), -(2**63), -(2**63)),
    ],
)
def test_constraints_give_the_checked_value(
    constraint: Constraint[Any], value: Any, expected: Any
) -> None:
    out = check("x", value, constraint)
    assert out == expected and type(out) is type(expected)


def test_file(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("a\n1\n")
    assert check("path", str(table), File(".csv")) == table
    _raises(File(), 5, ArgumentTypeError, "x: expected a file path (str or Path), found int 5")
    _raises(
        File(),
        b"t.csv",
        ArgumentTypeError,
        "x: expected a file path (str or Path), found bytes b't.csv'",
    )
    missing = tmp_path / "none.csv"
    _raises(
        File(),
        missing,
        InvalidValueError,
        f"x: expected an existing file, found no file at {str(missing)!r}",
    )
    _raises(
        File(),
        tmp_path,
        InvalidValueError,
        f"x: expected a file, found the directory {str(tmp_path)!r}",
    )
    _raises(
        File(".json", ".csv"),
        tmp_path / "t.txt",
        InvalidValueError,
        "x: expected a .json or .csv file, found 't.txt'",
    )
    _raises(
        File(".a", ".b", ".c"),
        table,
        InvalidValueError,
        "x: expected a .a, .b or .c file, found 't.csv'",
    )


def test_device_and_dtype() -> None:
    torch = pytest.importorskip("torch")
    from zcfast._params import Device, Dtype

    assert check("device", torch.device("cpu"), Device()) == "cpu"
    assert check("device", "auto", Device()) == "auto"
    expected = "a torch device such as 'cpu', 'cuda', 'cuda:1' or 'auto'"
    _raises(Device(), "gpu", InvalidValueError, f"x: expected {expected}, found 'gpu'")
    _raises(Device(), 3.5, ArgumentTypeError, f"x: expected {expected}, found float 3.5")
    _raises(
        Device(), "meta", InvalidValueError, "x: expected a device that holds data, found 'meta'"
    )
    assert check("dtype", torch.float64, Dtype()) is torch.float64
    _raises(
        Dtype(),
        torch.int64,
        ArgumentTypeError,
        "x: expected a floating torch.dtype (e.g. torch.float64), found dtype torch.int64",
    )


def test_check_all_refuses_an_unknown_name_with_a_hint() -> None:
    constraints: dict[str, Constraint[Any]] = {"budget": Int(1), "seed": Seed()}
    assert check_all({"budget": 3}, constraints) == {"budget": 3}
    with pytest.raises(UnknownNameError) as info:
        check_all({"budjet": 3}, constraints, where="search")
    assert str(info.value) == (
        "search: expected arguments from budget, seed, found 'budjet' (did you mean 'budget'?)"
    )
    with pytest.raises(ConfigError, match=r"^budget: expected a positive int, found 0$"):
        check_all({"seed": 1, "budget": 0}, constraints)


def test_fail_and_missing_dependency_use_the_template() -> None:
    error = fail("labels", "4 rows (one per input)", "3 rows", ShapeError)
    assert (
        type(error) is ShapeError
        and str(error) == "labels: expected 4 rows (one per input), found 3 rows"
    )
    assert type(fail("path", "a CSV table", "the empty file t.csv")) is InvalidValueError
    missing = missing_dependency(
        "sympy", "exporting to sympy", "'zcfast[sympy]'", ImportError("no")
    )
    assert isinstance(missing, MissingDependencyError) and isinstance(missing, ImportError)
    assert str(missing) == (
        "exporting to sympy: expected sympy to be installed, found it missing (no):"
        " pip install 'zcfast[sympy]'"
    )
