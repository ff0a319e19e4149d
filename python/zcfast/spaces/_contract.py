"""The space contract: what zcfast needs from a search space, as small capabilities.

* **Encoding** (``name``, ``parse``, ``key``): architectures in, one canonical string key out.
* **Moves** (``random``, ``mutate``, ``neighbours``): what a search needs to move around.
* **Enumeration** (``size``, ``enumerate``), optional: DARTS, for one, is not enumerable.
* **Builder** (``tasks``, ``task``, ``build(arch, task)``): a PyTorch network for a task.

:class:`SearchSpace` is all four; :func:`check_space` is the one check every entry point
(scoring, search, the CLI) makes, naming what a space lacks for what the caller wants to do.
:class:`Space` is a base class that derives the rest (``key``, ``sample``, ``task``) from a
space's own ``parse``, ``random`` and ``TASKS``, so a new space writes only what is its own.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from random import Random
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from zcfast._params import Choice, Instance, Int, check, fail, found_type
from zcfast.exceptions import ArgumentTypeError, ConfigError
from zcfast.spaces._task import TaskSpec

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "Builder",
    "Encoding",
    "Enumerable",
    "Moves",
    "SearchSpace",
    "Space",
    "check_rng",
    "check_space",
]


@runtime_checkable
class Encoding(Protocol):
    """Architectures in any accepted form in; the canonical form and its string key out."""

    name: str

    def parse(self, arch: Any) -> Hashable:
        """Canonical hashable form of ``arch``; ``InvalidValueError`` when malformed."""
        ...

    def key(self, arch: Any) -> str:
        """Canonical string key of ``arch`` (the ``arch`` column of every zcfast table)."""
        ...


@runtime_checkable
class Moves(Protocol):
    """What a search needs: a random start, a random neighbour and every neighbour."""

    def random(self, rng: Random) -> Hashable:
        """One architecture drawn with ``rng``."""
        ...

    def mutate(self, arch: Any, rng: Random) -> Hashable:
        """A random neighbour of ``arch``: one elementary change."""
        ...

    def neighbours(self, arch: Any) -> Sequence[Hashable]:
        """Every architecture one elementary change away, in a fixed order."""
        ...


@runtime_checkable
class Enumerable(Protocol):
    """A space small enough to list."""

    size: int

    def enumerate(self) -> Iterator[Hashable]:
        """Every architecture, in the space's index order."""
        ...


@runtime_checkable
class Builder(Protocol):
    """Networks for the space's tasks."""

    tasks: tuple[str, ...]

    def task(self, name: str | None = None) -> TaskSpec:
        """The task called ``name`` (``None``: the space's default task)."""
        ...

    def build(self, arch: Any, task: TaskSpec | str | None = None) -> nn.Module:
        """A freshly initialised network for ``arch`` trained for ``task``."""
        ...


@runtime_checkable
class SearchSpace(Encoding, Moves, Builder, Protocol):
    """A complete search space: encoding, moves and a builder (enumeration is optional)."""


#: What each use of a space needs from it.
_NEEDS: dict[str, tuple[str, ...]] = {
    "encoding": ("name", "parse", "key"),
    "moves": ("random", "mutate", "neighbours"),
    "enumeration": ("size", "enumerate"),
    "builder": ("tasks", "task", "build"),
}


def check_space(space: Any, *needs: str, arg: str = "space") -> Any:
    """The space ``space`` names (or is), checked to have every capability in ``needs``.

    ``needs`` are names of capabilities: ``"encoding"``, ``"moves"``, ``"enumeration"``,
    ``"builder"``.  A name is looked up with :func:`zcfast.spaces.get_space`.

    Example
    -------
    >>> check_space("nb201", "encoding", "builder").name
    'nb201'
    """
    if isinstance(space, str):
        from zcfast.spaces._registry import get_space

        space = get_space(space)
    missing = [
        f"{member} ({need})"
        for need in ("encoding", *needs)
        for member in _NEEDS[need]
        if not hasattr(space, member)
    ]
    if missing:
        expected = f"a search-space name or a SearchSpace with {', '.join(missing)}"
        raise fail(arg, expected, found_type(space), ArgumentTypeError)
    return space


def check_rng(rng: Any) -> Random:
    """``rng`` if it is a :class:`random.Random` (what spaces draw with)."""
    return check("rng", rng, _RNG)


_RNG = Instance(Random, what="a random.Random (e.g. random.Random(0))")


class Space:
    """Base class of zcfast's spaces: the parts of the contract that follow from the others.

    A subclass sets ``name``, ``TASKS`` (name → :class:`TaskSpec`, the first being the
    default) and ``flops_convention``, and writes ``parse``, ``random``, ``mutate``,
    ``neighbours`` and ``network(arch, task)``; ``key``, ``task``, ``tasks``, ``build`` and
    ``sample`` come from here.  An enumerable space also sets ``size`` and writes
    ``enumerate`` (``sample`` then draws without replacement from the whole space).
    """

    name: ClassVar[str]
    TASKS: ClassVar[Mapping[str, TaskSpec]]
    #: How ``flops`` is counted for the space's networks (see :mod:`zcfast.metrics`).
    flops_convention: ClassVar[str] = "tensorwatch"

    # -- to write ----------------------------------------------------------------------------

    def parse(self, arch: Any) -> Hashable:  # pragma: no cover - abstract
        raise NotImplementedError

    def random(self, rng: Random) -> Hashable:  # pragma: no cover - abstract
        raise NotImplementedError

    def network(self, arch: Hashable, task: TaskSpec) -> nn.Module:  # pragma: no cover
        """The network of a parsed ``arch`` for a resolved ``task``."""
        raise NotImplementedError

    # -- derived -----------------------------------------------------------------------------

    @property
    def tasks(self) -> tuple[str, ...]:
        """Names of the tasks :meth:`task` knows, the default first."""
        return tuple(self.TASKS)

    def key(self, arch: Any) -> str:
        """Canonical string key of ``arch``: the string of its parsed form."""
        return str(self.parse(arch))

    def task(self, name: str | TaskSpec | None = None) -> TaskSpec:
        """The task called ``name`` (``None``: the default, the first of :attr:`tasks`); a
        :class:`TaskSpec` is returned as it is."""
        if name is None:
            return next(iter(self.TASKS.values()))
        if isinstance(name, TaskSpec):
            return name
        return self.TASKS[check("task", name, Choice(*self.TASKS, note=f"tasks of {self.name}"))]

    def build(self, arch: Any, task: TaskSpec | str | None = None) -> nn.Module:
        """A freshly initialised network (PyTorch default init, train mode) for ``arch``
        trained for ``task`` (a name of :attr:`tasks`, a :class:`TaskSpec`, or ``None`` for
        the default task)."""
        return self.network(self.parse(arch), self.task(task))

    def count_params(self, net: nn.Module) -> int:
        """The ``params`` the space's benchmark reports for ``net`` (every parameter)."""
        from zcfast.metrics import count_params

        return count_params(net)

    def count_flops(self, net: nn.Module, task: TaskSpec) -> int:
        """The ``flops`` the space's benchmark reports for ``net``: one sample of the task's
        :attr:`~TaskSpec.input_shape`, counted in :attr:`flops_convention` by a batch-1
        forward on the network's device (a network built on the ``meta`` device is counted
        from shapes alone, without arithmetic, whatever the input size)."""
        from zcfast.metrics import count_flops

        return count_flops(net, task.input_shape)

    def sample(self, n: int, seed: int = 0) -> list[Any]:
        """``n`` distinct architectures drawn at random with a private generator seeded
        ``seed`` (uniformly over the whole space when it is enumerable)."""
        n, seed = check("n", n, Int(0)), check("seed", seed, Int())
        size = getattr(self, "size", None)
        if size is not None and n > size:
            raise fail("n", f"at most {size} architectures", str(n), ConfigError)
        rng = Random(seed)
        out: dict[str, Hashable] = {}
        tries = 0
        while len(out) < n:
            arch = self.random(rng)
            out.setdefault(self.key(arch), arch)
            tries += 1
            if tries > 100 * n + 1000:
                expected = (
                    f"at most the {len(out)} distinct architectures {self.name}'s sampler found"
                    f" in {tries} draws"
                )
                raise fail("n", expected, str(n), ConfigError)
        return list(out.values())

    def __repr__(self) -> str:
        size = getattr(self, "size", None)
        return f"{type(self).__name__}(name={self.name!r}" + (
            f", size={size})" if size is not None else ")"
        )
