"""Argument constraints declared as data, in scikit-learn's style, with one message template.

A public function declares what each argument may be (``Int(1, None)``, ``Real(0, 1)``,
``Choice("a", "b")``, ``Seed()``, ``File(".csv")``, ``Optional(...)``) and checks its arguments
with :func:`check`; every error reads ``name: expected <what the constraint describes>, found
<the value>`` and is an :class:`~zcfast.exceptions.ArgumentTypeError` for a wrong type, a
:class:`~zcfast.exceptions.ConfigError` for a value out of range or an
:class:`~zcfast.exceptions.UnknownNameError` for an unknown name.  A check that is not one
argument's constraint (a file's format, an array's shape, a malformed encoding, two arguments
that go together) builds its error with :func:`fail`, in the same template.

Example
-------
>>> check("budget", 10, Int(1))
10
>>> check("budget", 0, Int(1))
Traceback (most recent call last):
...
zcfast.exceptions.ConfigError: budget: expected a positive int, found 0
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from zcfast._messages import describe_value
from zcfast.exceptions import (
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    MissingDependencyError,
    UnknownNameError,
    ZcfastError,
)

__all__ = [
    "Bool",
    "Choice",
    "Constraint",
    "Device",
    "Dtype",
    "File",
    "Func",
    "Instance",
    "Int",
    "Names",
    "Optional",
    "Real",
    "Seed",
    "Sizes",
    "Text",
    "check",
    "check_all",
    "fail",
    "found_type",
    "message",
    "missing_dependency",
    "unknown_names",
]


T = TypeVar("T", covariant=True)


class Constraint(Generic[T]):
    """What an argument may be: :meth:`normalise` returns the checked value or raises."""

    #: The words after "expected" in an error message.
    description: str = "a value"

    def normalise(self, name: str, value: Any) -> T:  # pragma: no cover - abstract
        raise NotImplementedError

    def wrong_type(self, name: str, value: Any) -> ArgumentTypeError:
        return ArgumentTypeError(message(name, self.description, value, with_type=True))

    def out_of_range(self, name: str, value: Any) -> ConfigError:
        return ConfigError(message(name, self.description, value))


def message(name: str, expected: str, value: Any, *, with_type: bool = False) -> str:
    """The one message template: ``name: expected ..., found ...`` (``with_type``: the value's
    type before it, for an argument of the wrong type)."""
    return _text(name, expected, found_type(value) if with_type else describe_value(value))


def _text(name: str, expected: str, found: str) -> str:
    return f"{name}: expected {expected}, found {found}"


def fail(
    name: str, expected: str, found: str, error: type[ZcfastError] = InvalidValueError
) -> ZcfastError:
    """The error of a check that is not one argument's constraint (a file's format, an array's
    shape, a malformed encoding, arguments that go together), in the one template; ``found``
    is already words (:func:`describe_value` of a value, ``f"shape {shape}"``, ``"none"``).

    Example
    -------
    >>> fail("path", "a CSV table with a header row", "the empty file a.csv")
    InvalidValueError('path: expected a CSV table with a header row, found the empty file a.csv')
    """
    return error(_text(name, expected, found))


def found_type(value: Any) -> str:
    """What a message says was found where the type is wrong: the type, and the value when it
    reads in one short line (``int 5``, ``str 'a'``; ``DataFrame``, ``function``)."""
    if value is None:
        return "None"
    text = describe_value(value)
    if "\n" in text or text.startswith("<"):
        return type(value).__name__
    return f"{type(value).__name__} {text}"


def missing_dependency(
    package: str, needed_by: str, install: str, exc: BaseException | None = None
) -> MissingDependencyError:
    """The error for an optional dependency that is not installed: ``needed_by: expected
    <package> to be installed, found it missing (why): pip install <install>``."""
    why = f" ({exc})" if exc is not None else ""
    found = f"it missing{why}: pip install {install}"
    return MissingDependencyError(_text(needed_by, f"{package} to be installed", found))


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


@dataclass(frozen=True)
class Int(Constraint[int]):
    """An integer in ``[low, high]`` (either bound may be ``None``)."""

    low: int | None = None
    high: int | None = None

    @property
    def description(self) -> str:  # type: ignore[override]
        if self.low is not None and self.high is not None:
            return f"an int in [{self.low:,}, {self.high:,}]"
        if self.low in (0, 1):
            return "a positive int" if self.low == 1 else "a non-negative int"
        if self.low is not None:
            return f"an int >= {self.low:,}"
        if self.high is not None:
            return f"an int <= {self.high:,}"
        return "an int"

    def normalise(self, name: str, value: Any) -> int:
        if not _is_int(value):
            raise self.wrong_type(name, value)
        v = int(value)
        if (self.low is not None and v < self.low) or (self.high is not None and v > self.high):
            raise self.out_of_range(name, value)
        return v


@dataclass(frozen=True)
class Real(Constraint[float]):
    """A real number in ``[low, high]`` (``open_low``/``open_high`` exclude a bound), finite
    unless ``infinite`` allows +inf."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    infinite: bool = False
    open_high: bool = False

    @property
    def description(self) -> str:  # type: ignore[override]
        left, right = "(" if self.open_low else "[", ")" if self.open_high else "]"
        finite = "" if self.infinite else "finite "
        if self.low == 0 and self.high is None:
            return f"a {finite}{'positive' if self.open_low else 'non-negative'} number"
        if self.low is not None and self.high is not None:
            return f"a number in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"a {finite}number {'>' if self.open_low else '>='} {self.low:g}"
        if self.high is not None:
            return f"a {finite}number {'<' if self.open_high else '<='} {self.high:g}"
        return f"a {finite}number"

    def normalise(self, name: str, value: Any) -> float:
        if not _is_real(value):
            raise self.wrong_type(name, value)
        try:
            v = float(value)
        except OverflowError:
            raise self.out_of_range(name, value) from None
        low_ok = self.low is None or (v > self.low if self.open_low else v >= self.low)
        high_ok = self.high is None or (v < self.high if self.open_high else v <= self.high)
        finite = math.isfinite(v) or (self.infinite and v == math.inf)
        if not (finite and low_ok and high_ok):
            raise self.out_of_range(name, value)
        return v


@dataclass(frozen=True)
class Bool(Constraint[bool]):
    """``True`` or ``False`` (NumPy booleans too; numbers are not booleans)."""

    description: str = "True or False"

    def normalise(self, name: str, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise self.wrong_type(name, value)
        return bool(value)


@dataclass(frozen=True)
class Text(Constraint[str]):
    """A non-empty string."""

    description: str = "a non-empty str"

    def normalise(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.wrong_type(name, value)
        if not value:
            raise self.out_of_range(name, value)
        return value


class Choice(Constraint[str]):
    """One of the given names (an unknown name is an :class:`UnknownNameError`); ``note`` says
    what they are."""

    def __init__(self, *options: str, note: str = "") -> None:
        self.options = options
        self.description = f"one of {', '.join(options)}" + (f" ({note})" if note else "")

    def normalise(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.wrong_type(name, value)
        if value not in self.options:
            raise UnknownNameError(message(name, self.description, value))
        return value


@dataclass(frozen=True)
class Seed(Constraint[int]):
    """An integer seed in ``[-2**63, 2**64)`` (what NumPy's and torch's generators take)."""

    description: str = "an int in [-2**63, 2**64)"

    def normalise(self, name: str, value: Any) -> int:
        if not _is_int(value):
            raise ArgumentTypeError(message(name, "an int", value, with_type=True))
        v = int(value)
        if not -(2**63) <= v < 2**64:
            raise InvalidValueError(message(name, self.description, value))
        return v


class Func(Constraint[Callable[..., Any]]):
    """A callable (``what`` says which, e.g. ``"a callable (outputs, labels) -> loss"``)."""

    def __init__(self, what: str = "a callable") -> None:
        self.description = what

    def normalise(self, name: str, value: Any) -> Callable[..., Any]:
        if not callable(value):
            raise self.wrong_type(name, value)
        return value


@dataclass(frozen=True)
class Sizes(Constraint[tuple[int, ...]]):
    """A shape: a tuple or list of ``low`` to ``high`` positive ints (``high=None``: no limit),
    at most ``most`` values in all; gives a tuple."""

    low: int = 1
    high: int | None = None
    most: int | None = None

    @property
    def description(self) -> str:  # type: ignore[override]
        if self.high is None:
            count = "" if self.low == 1 else f"{self.low} or more "
        else:
            count = f"{self.low} " if self.low == self.high else f"{self.low} to {self.high} "
        most = f" of at most {self.most:,} values in all" if self.most is not None else ""
        return f"a tuple of {count}positive int sizes{most}"

    def normalise(self, name: str, value: Any) -> tuple[int, ...]:
        if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
            raise self.wrong_type(name, value)
        n = len(value)
        if not (
            self.low <= n <= (n if self.high is None else self.high)
            and all(_is_int(v) and v >= 1 for v in value)
            and (self.most is None or math.prod(int(v) for v in value) <= self.most)
        ):
            raise self.out_of_range(name, value)
        return tuple(int(v) for v in value)


class Names(Constraint[list[str]]):
    """A name or an iterable of names (str), at least one, each one of ``options`` when given
    (else an :class:`UnknownNameError`); gives a list."""

    def __init__(self, *options: str, what: str = "names") -> None:
        self.options = frozenset(options)
        self.description = f"one or more {what}" + (
            f" from {', '.join(options)}" if options else ""
        )

    def normalise(self, name: str, value: Any) -> list[str]:
        if not isinstance(value, (str, Iterable)):
            raise self.wrong_type(name, value)
        names = [value] if isinstance(value, str) else list(value)
        for v in names:
            if not isinstance(v, str):
                raise self.wrong_type(name, v)
            if self.options and v not in self.options:
                raise UnknownNameError(message(name, self.description, v))
        if not names:
            raise self.out_of_range(name, names)
        return names


class Instance(Constraint[Any]):
    """An instance of one of ``types`` (``what`` names them, e.g. ``"a torch.nn.Module"``)."""

    def __init__(self, *types: type, what: str) -> None:
        self.types = types
        self.description = what

    def normalise(self, name: str, value: Any) -> Any:
        if not isinstance(value, self.types):
            raise self.wrong_type(name, value)
        return value


class File(Constraint[Path]):
    """A path (str or ``os.PathLike``) to an existing file, with one of ``suffixes`` when given
    (a wrong suffix, a directory or a missing file is an :class:`InvalidValueError`); gives a
    :class:`~pathlib.Path`."""

    description = "a file path (str or Path)"

    def __init__(self, *suffixes: str) -> None:
        self.suffixes = suffixes

    def normalise(self, name: str, value: Any) -> Path:
        if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
            raise self.wrong_type(name, value)
        p = Path(value)
        if self.suffixes and p.suffix.lower() not in self.suffixes:
            *rest, last = self.suffixes
            kinds = f"{', '.join(rest)} or {last}" if rest else last
            raise fail(name, f"a {kinds} file", repr(p.name))
        if p.is_dir():
            raise fail(name, "a file", f"the directory {str(p)!r}")
        if not p.exists():
            raise fail(name, "an existing file", f"no file at {str(p)!r}")
        return p


class Device(Constraint[str]):
    """A torch device or its text (``"auto"``: CUDA when present, decided where it is used);
    gives its text."""

    description = "a torch device such as 'cpu', 'cuda', 'cuda:1' or 'auto'"

    def normalise(self, name: str, value: Any) -> str:
        import torch

        if isinstance(value, torch.device):
            value = str(value)
        if not isinstance(value, str):
            raise self.wrong_type(name, value)
        if value == "auto":
            return value
        try:
            dev = torch.device(value)
        except RuntimeError:
            raise InvalidValueError(message(name, self.description, value)) from None
        if dev.type == "meta":
            raise fail(name, "a device that holds data", "'meta'")
        return str(dev)


class Dtype(Constraint[Any]):
    """A floating (real) torch dtype."""

    description = "a floating torch.dtype (e.g. torch.float64)"

    def normalise(self, name: str, value: Any) -> Any:
        import torch

        if isinstance(value, torch.dtype) and value.is_floating_point and not value.is_complex:
            return value
        raise self.wrong_type(name, value)


class Optional(Constraint[T | None]):
    """``None`` or what ``inner`` accepts."""

    def __init__(self, inner: Constraint[T]) -> None:
        self.inner = inner
        self.description = f"{inner.description} or None"

    def normalise(self, name: str, value: Any) -> T | None:
        if value is None:
            return None
        try:
            return self.inner.normalise(name, value)
        except ArgumentTypeError:
            raise ArgumentTypeError(
                message(name, self.description, value, with_type=True)
            ) from None
        except ConfigError:
            raise ConfigError(message(name, self.description, value)) from None


def check(name: str, value: Any, constraint: Constraint[T]) -> T:
    """``value`` normalised by ``constraint``, or the error naming ``name``."""
    return constraint.normalise(name, value)


def check_all(
    values: dict[str, Any], constraints: dict[str, Constraint[Any]], *, where: str = ""
) -> dict[str, Any]:
    """Every entry of ``values`` checked by its constraint; a name without one is an
    :class:`UnknownNameError` listing the known names (and the closest one).

    Example
    -------
    >>> check_all({"n": 3}, {"n": Int(1), "seed": Seed()})
    {'n': 3}
    """
    unknown = [k for k in values if k not in constraints]
    if unknown:
        raise unknown_names(unknown, constraints, where)
    return {k: check(k, v, constraints[k]) for k, v in values.items()}


def unknown_names(names: Iterable[str], known: Iterable[str], where: str = "") -> UnknownNameError:
    """The error for arguments nobody declared, suggesting the closest known name."""
    import difflib

    names, known = list(names), list(known)
    close = difflib.get_close_matches(names[0], known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    place = f"{where}: " if where else ""
    return UnknownNameError(
        f"{place}expected arguments from {', '.join(known)}, found"
        f" {', '.join(repr(n) for n in names)}{hint}"
    )
