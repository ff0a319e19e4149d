"""Search spaces and tasks: encodings, moves, enumeration and network builders.

A search space is a set of capabilities (:mod:`zcfast.spaces._contract`): an **encoding**
(``name``, ``parse``, ``key``), **moves** (``random``, ``mutate``, ``neighbours``), optional
**enumeration** (``size``, ``enumerate``) and a **builder** (``tasks``, ``task(name)``,
``build(arch, task)``).  A :class:`TaskSpec` says what a network is trained for (input shape,
output kind, loss, labels) and makes correctly shaped batches (``task.example_batch(n)``).

zcfast's spaces, one package each: :mod:`~zcfast.spaces.nb201` (NAS-Bench-201),
:mod:`~zcfast.spaces.nb101` (NAS-Bench-101), :mod:`~zcfast.spaces.nb301` (DARTS /
NAS-Bench-301) and :mod:`~zcfast.spaces.tnb101` (TransNAS-Bench-101 micro and macro, seven
tasks).  :func:`get_space` finds them by name; :func:`register_space` (or the ``zcfast.spaces``
entry-point group) adds a space of your own.

Importing this package does not import PyTorch; only building networks and batches does.

Example
-------
>>> from zcfast import spaces
>>> nb201 = spaces.get_space("nb201")
>>> nb201.size, nb201.tasks
(15625, ('cifar10', 'cifar100', 'ImageNet16-120'))
>>> nb201.key(1)     # official NB201 index 1
'(2, 2, 0, 4, 2, 0)'
>>> nb201.task("cifar100").num_outputs
100
"""

from __future__ import annotations

from zcfast.spaces._contract import (
    Builder,
    Encoding,
    Enumerable,
    Moves,
    SearchSpace,
    Space,
    check_rng,
    check_space,
)
from zcfast.spaces._registry import ENTRY_POINT_GROUP, available_spaces, get_space, register_space
from zcfast.spaces._task import LABEL_KINDS, LOSSES, OUTPUT_KINDS, TaskSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "LABEL_KINDS",
    "LOSSES",
    "OUTPUT_KINDS",
    "Builder",
    "Encoding",
    "Enumerable",
    "Moves",
    "SearchSpace",
    "Space",
    "TaskSpec",
    "available_spaces",
    "check_rng",
    "check_space",
    "get_space",
    "register_space",
]
