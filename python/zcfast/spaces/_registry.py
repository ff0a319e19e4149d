"""The registry of search spaces: one line per space, plus an entry-point group.

zcfast's own spaces are listed in :data:`_BUILTIN` (name → ``"module:Class"``, imported on first
use); a third-party package adds one with :func:`register_space` at run time, or declares it in
its packaging metadata under the entry-point group ``zcfast.spaces``::

    [project.entry-points."zcfast.spaces"]
    myspace = "mypackage.spaces:MySpace"

Names are matched case-insensitively, ignoring ``-`` and ``_`` (``"NAS-Bench-201"`` is
``"nasbench201"``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any

from zcfast._messages import describe_value
from zcfast._params import Func, Instance, check, fail
from zcfast.exceptions import UnknownNameError

__all__ = ["ENTRY_POINT_GROUP", "available_spaces", "get_space", "register_space"]

ENTRY_POINT_GROUP = "zcfast.spaces"

#: zcfast's spaces: canonical name → where the class lives, and the other names it answers to.
_BUILTIN: dict[str, tuple[str, tuple[str, ...]]] = {
    "nb201": ("zcfast.spaces.nb201:NB201Space", ("nasbench201",)),
    "nb101": ("zcfast.spaces.nb101:NB101Space", ("nasbench101",)),
    "nb301": ("zcfast.spaces.nb301:NB301Space", ("darts", "nasbench301")),
    "tnb101_micro": ("zcfast.spaces.tnb101:TNB101MicroSpace", ("transnasbench101micro",)),
    "tnb101_macro": ("zcfast.spaces.tnb101:TNB101MacroSpace", ("transnasbench101macro",)),
}

#: Spaces registered at run time: name → factory.
_REGISTERED: dict[str, Callable[[], Any]] = {}
_ALIASES: dict[str, str] = {}


def _normal(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def _import(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


@cache
def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _installed() -> dict[str, str]:
    """Every name :func:`get_space` answers to (normalised) → its canonical name."""
    names: dict[str, str] = {}
    for name, (_, aliases) in _BUILTIN.items():
        names.update(dict.fromkeys(map(_normal, (name, *aliases)), name))
    names.update({_normal(name): name for name in _REGISTERED})
    names.update(_ALIASES)
    for name in _entry_points():
        names.setdefault(_normal(name), name)
    return names


def available_spaces() -> tuple[str, ...]:
    """Canonical names :func:`get_space` accepts (zcfast's, registered, then entry points).

    Example
    -------
    >>> available_spaces()[:3]
    ('nb201', 'nb101', 'nb301')
    """
    return tuple(dict.fromkeys(_installed().values()))


@cache
def _instance(name: str) -> Any:
    if name in _REGISTERED:
        return _REGISTERED[name]()
    if name in _BUILTIN:
        return _import(_BUILTIN[name][0])()
    return _entry_points()[name].load()()


def get_space(name: str) -> Any:
    """The search space called ``name`` (one shared, stateless instance per space).

    Parameters
    ----------
    name:
        ``"nb201"``, ``"nb101"``, ``"nb301"`` (alias ``"darts"``), ``"tnb101_micro"``,
        ``"tnb101_macro"``, or a space registered with :func:`register_space` or the
        ``zcfast.spaces`` entry-point group.

    Example
    -------
    >>> get_space("NAS-Bench-201").name
    'nb201'
    """
    check("space", name, Instance(str, what="a space name (str)"))
    canonical = _installed().get(_normal(name))
    if canonical is None:
        expected = f"one of {', '.join(available_spaces())}"
        raise fail("space", expected, describe_value(name), UnknownNameError)
    return _instance(canonical)


def register_space(name: str, factory: Callable[[], Any], *, aliases: tuple[str, ...] = ()) -> None:
    """Makes ``get_space(name)`` (and every zcfast entry point taking a space name) return
    ``factory()``, checked against the space contract.

    Example
    -------
    >>> from zcfast.spaces.nb201 import NB201Space
    >>> register_space("my_nb201", NB201Space)
    >>> get_space("my_nb201").name
    'nb201'
    """
    from zcfast.spaces._contract import check_space

    if not isinstance(name, str) or not name or name != name.lower():
        raise fail("name", "a lower-case name", describe_value(name))
    check("factory", factory, Func("a space class or a callable returning a space"))
    check_space(factory(), "builder", arg="factory")
    _REGISTERED[name] = factory
    for alias in aliases:
        _ALIASES[_normal(alias)] = name
    _instance.cache_clear()
