"""Small search spaces on the space contract, for tests that need a space that fails on cue.

Importable by worker processes (a spawned process unpickles a space from here).
"""

from __future__ import annotations

from random import Random
from typing import Any, ClassVar

from zcfast.spaces import Space, TaskSpec


class ToySpace(Space):
    """Architectures are any strings; each network is a linear classifier of 3×8×8 images.

    Subclasses override :meth:`network` to fail, stall or interrupt on chosen architectures.
    """

    name = "toy"
    TASKS: ClassVar[dict[str, TaskSpec]] = {
        "digits": TaskSpec.classification("digits", 10, (3, 8, 8))
    }

    def parse(self, arch: Any) -> Any:
        return arch

    def random(self, rng: Random) -> Any:
        return f"arch{rng.randrange(1000)}"

    def mutate(self, arch: Any, rng: Random) -> Any:
        return f"{arch}'"

    def neighbours(self, arch: Any) -> list[Any]:
        return [f"{arch}'"]

    def network(self, arch: Any, task: TaskSpec) -> Any:
        from torch import nn

        size = 1
        for s in task.input_shape:
            size *= s
        return nn.Sequential(nn.Flatten(), nn.Linear(size, task.num_outputs))
