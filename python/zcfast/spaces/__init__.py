"""Search spaces: encodings, enumeration, sampling and network builders.

A search space turns an architecture description into a ``torch.nn.Module`` and knows how to
enumerate, sample and name its members.  :class:`SearchSpace` is the interface (a
:class:`typing.Protocol`); :mod:`zcfast.spaces.nb201` (NAS-Bench-201) is the first implementation.

Importing this package does not import PyTorch; only :meth:`SearchSpace.build` needs it.

Example
-------
>>> from zcfast import spaces
>>> nb201 = spaces.get_space("nb201")
>>> nb201.size
15625
>>> nb201.key(1)     # official NB201 index 1
'(2, 2, 0, 4, 2, 0)'
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from random import Random
from typing import Any, Protocol, runtime_checkable

from zcfast.exceptions import UnknownNameError

__all__ = ["SearchSpace", "available_spaces", "get_space"]


@runtime_checkable
class SearchSpace(Protocol):
    """What zcfast needs from a search space.

    ``arch`` arguments accept any encoding the space understands (for NB201: a NASLib 6-tuple,
    its string form, the official NB201 string or an index); :meth:`parse` turns them into the
    space's canonical hashable form and :meth:`key` into a canonical string (the ``arch`` column
    of every zcfast table).
    """

    name: str
    size: int

    def parse(self, arch: Any) -> Hashable:
        """Canonical hashable form of ``arch``; raises ``InvalidValueError`` when malformed."""
        ...

    def key(self, arch: Any) -> str:
        """Canonical string key of ``arch``."""
        ...

    def build(self, arch: Any, num_classes: int = 10, *, input_size: int = 32) -> Any:
        """A freshly initialised ``torch.nn.Module`` for ``arch`` (PyTorch default init)."""
        ...

    def sample(self, n: int, seed: int = 0) -> Sequence[Hashable]:
        """``n`` distinct architectures drawn uniformly with a fixed seed."""
        ...

    def enumerate(self) -> Iterator[Hashable]:
        """Every architecture of the space, in the space's index order."""
        ...

    def random(self, rng: Random) -> Hashable:
        """One architecture drawn uniformly with ``rng`` (what a search starts from)."""
        ...

    def mutate(self, arch: Any, rng: Random) -> Hashable:
        """A random neighbour of ``arch``: one elementary change (for NB201, one edge's op)."""
        ...

    def neighbours(self, arch: Any) -> Sequence[Hashable]:
        """Every architecture one elementary change away from ``arch``, in a fixed order."""
        ...


def available_spaces() -> Sequence[str]:
    """Names accepted by :func:`get_space`.

    Example
    -------
    >>> "nb201" in available_spaces()
    True
    """
    return ("nb201",)


def get_space(name: str) -> SearchSpace:
    """The search space called ``name``.

    Parameters
    ----------
    name:
        ``"nb201"`` (aliases ``"nasbench201"``, ``"nas-bench-201"``).

    Example
    -------
    >>> get_space("nb201").name
    'nb201'
    """
    key = str(name).lower().replace("-", "").replace("_", "")
    if key in ("nb201", "nasbench201"):
        from zcfast.spaces.nb201 import NB201Space

        return NB201Space()
    raise UnknownNameError(f"name: expected one of {', '.join(available_spaces())}, found {name!r}")
