"""Argument constraints declared as data, in scikit-learn's style, with one message template.

A public function declares what each argument may be (``Int(1, None)``, ``Real(0, 1)``,
``Choice("a", "b")``, ``Seed()``, ``Optional(...)``) and checks its arguments with
:func:`check`; every error reads ``name: expected <what the constraint describes>, found
<the value>`` and is an :class:`~zcfast.exceptions.ArgumentTypeError` for a wrong type or a
:class:`~zcfast.exceptions.ConfigError` for a value out of range.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from zcfast._messages import describe_value
from zcfast.exceptions import ArgumentTypeError, ConfigError, InvalidValueError, UnknownNameError

__all__ = [
    "Bool",
    "Choice",
    "Constraint",
    "Func",
    "Int",
    "Optional",
    "Real",
    "Seed",
    "Text",
    "check",
    "check_all",
]


class Constraint:
    """What an argument may be: :meth:`normalise` returns the checked value or raises."""

    #: The words after "expected" in an error message.
    description: str = "a value"

    def normalise(self, name: str, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def wrong_type(self, name: str, value: Any) -> ArgumentTypeError:
        return ArgumentTypeError(message(name, self.description, value, with_type=True))

    def out_of_range(self, name: str, value: Any) -> ConfigError:
        return ConfigError(message(name, self.description, value))


def message(name: str, expected: str, value: Any, *, with_type: bool = False) -> str:
    """The one message template: ``name: expected ..., found ...`` (``with_type``: the value's
    type before it, for an argument of the wrong type)."""
    found = describe_value(value)
    if with_type and value is not None:
        found = f"{type(value).__name__} {found}"
    return f"{name}: expected {expected}, found {found}"


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


@dataclass(frozen=True)
class Int(Constraint):
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
class Real(Constraint):
    """A real number in ``[low, high]`` (``open_low`` excludes the low bound), finite unless
    ``infinite`` allows +inf."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    infinite: bool = False

    @property
    def description(self) -> str:  # type: ignore[override]
        left = "(" if self.open_low else "["
        if self.low == 0 and self.high is None:
            return "a positive number" if self.open_low else "a non-negative number"
        if self.low is not None and self.high is not None:
            return f"a number in {left}{self.low:g}, {self.high:g}]"
        if self.low is not None:
            return f"a number {'>' if self.open_low else '>='} {self.low:g}"
        if self.high is not None:
            return f"a number <= {self.high:g}"
        return "a finite number"

    def normalise(self, name: str, value: Any) -> float:
        if not _is_real(value):
            raise self.wrong_type(name, value)
        try:
            v = float(value)
        except OverflowError:
            raise self.out_of_range(name, value) from None
        low_ok = self.low is None or (v > self.low if self.open_low else v >= self.low)
        finite = math.isfinite(v) or (self.infinite and v == math.inf)
        if not (finite and low_ok and (self.high is None or v <= self.high)):
            raise self.out_of_range(name, value)
        return v


@dataclass(frozen=True)
class Bool(Constraint):
    """``True`` or ``False`` (NumPy booleans too; numbers are not booleans)."""

    description: str = "True or False"

    def normalise(self, name: str, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise self.wrong_type(name, value)
        return bool(value)


@dataclass(frozen=True)
class Text(Constraint):
    """A non-empty string."""

    description: str = "a non-empty str"

    def normalise(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.wrong_type(name, value)
        if not value:
            raise self.out_of_range(name, value)
        return value


class Choice(Constraint):
    """One of the given names (an unknown name is an :class:`UnknownNameError`)."""

    def __init__(self, *options: str) -> None:
        self.options = options
        self.description = f"one of {', '.join(options)}"

    def normalise(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.wrong_type(name, value)
        if value not in self.options:
            raise UnknownNameError(message(name, self.description, value))
        return value


@dataclass(frozen=True)
class Seed(Constraint):
    """An integer seed in ``[-2**63, 2**64)`` (what NumPy's and torch's generators take)."""

    description: str = "an int in [-2**63, 2**64)"

    def normalise(self, name: str, value: Any) -> int:
        if not _is_int(value):
            raise ArgumentTypeError(message(name, "an int", value, with_type=True))
        v = int(value)
        if not -(2**63) <= v < 2**64:
            raise InvalidValueError(message(name, self.description, value))
        return v


class Func(Constraint):
    """A callable (``what`` says which, e.g. ``"a callable (outputs, labels) -> loss"``)."""

    def __init__(self, what: str = "a callable") -> None:
        self.description = what

    def normalise(self, name: str, value: Any) -> Callable[..., Any]:
        if not callable(value):
            raise self.wrong_type(name, value)
        return value


class Optional(Constraint):
    """``None`` or what ``inner`` accepts."""

    def __init__(self, inner: Constraint) -> None:
        self.inner = inner
        self.description = f"{inner.description} or None"

    def normalise(self, name: str, value: Any) -> Any:
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


def check(name: str, value: Any, constraint: Constraint) -> Any:
    """``value`` normalised by ``constraint``, or the error naming ``name``."""
    return constraint.normalise(name, value)


def check_all(
    values: dict[str, Any], constraints: dict[str, Constraint], *, where: str = ""
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
