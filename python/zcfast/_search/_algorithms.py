"""Search algorithms as ask/tell: ``propose(k)`` candidates, ``tell(keys, scores)`` their scores.

An algorithm never scores anything itself, so the same algorithm runs over a table (scores are
a lookup), live (a batch of candidates is built and scored on any executor) or a user's
callable.  Proposals are architectures not scored yet and, in table mode, in the table (the
:class:`Archive` knows both).  With ``k = 1`` each algorithm is the classic sequential one;
a larger ``k`` proposes a batch from the same state (a batch never depends on the number of
workers that score it, so results do not either).
"""

from __future__ import annotations

import math
import random
from collections import deque
from typing import Any, Protocol

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "Archive",
    "Exhausted",
    "LocalSearch",
    "RandomSearch",
    "RegularizedEvolution",
    "make_algorithm",
]

ALGORITHMS = ("evolution", "random", "local")
#: Mutations of an architecture tried before falling back to a random one.
_MUTATION_TRIES = 50


class Exhausted(Exception):
    """Every candidate of the domain has been scored."""


class Archive:
    """What has been scored, what may be (the table's keys, if limited), and the search's RNG."""

    def __init__(self, space: Any, domain: list[str] | None, rng: random.Random) -> None:
        self.space, self.domain, self.rng = space, domain, rng
        self.allowed = None if domain is None else set(domain)
        self.scores: dict[str, float] = {}
        self.pending: set[str] = set()  # proposed, not told yet

    def candidate(self, key: str) -> bool:
        """Whether ``key`` may still be proposed: in the domain, not scored nor pending."""
        return (
            key not in self.scores
            and key not in self.pending
            and (self.allowed is None or key in self.allowed)
        )

    def random_key(self) -> str:
        """An architecture not scored yet (the domain's, in table mode)."""
        for _ in range(_MUTATION_TRIES * 20):
            key = (
                self.rng.choice(self.domain)
                if self.domain is not None
                else self.space.key(self.space.random(self.rng))
            )
            if key not in self.scores and key not in self.pending:
                return key
        # a nearly exhausted domain: the first unscored one in a fixed order
        left = [k for k in (self.domain or []) if self.candidate(k)]
        if not left:
            raise Exhausted
        return left[0]

    def mutant(self, key: str) -> str:
        """A mutation of ``key`` that may still be scored, else a random architecture."""
        arch = self.space.parse(key)
        for _ in range(_MUTATION_TRIES):
            child = self.space.key(self.space.mutate(arch, self.rng))
            if self.candidate(child):
                return child
        return self.random_key()

    def propose(self, keys: list[str]) -> list[str]:
        self.pending.update(keys)
        return keys

    def tell(self, keys: list[str], scores: list[float]) -> None:
        for k, s in zip(keys, scores):
            self.pending.discard(k)
            self.scores[k] = s


class Algorithm(Protocol):
    """Ask/tell: what to score next, and what the scores were."""

    def propose(self, k: int) -> list[str]:
        """Up to ``k`` distinct candidates (fewer only when the domain runs out)."""
        ...

    def tell(self, keys: list[str], scores: list[float]) -> None:
        """The scores of proposed ``keys`` (NaN/inf/degenerate already -inf)."""
        ...


class RandomSearch:
    """Uniformly random candidates."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def propose(self, k: int) -> list[str]:
        a = self.archive
        keys: list[str] = []
        try:
            for _ in range(k):
                keys.append(a.propose([a.random_key()])[0])
        except Exhausted:
            if not keys:
                raise
        return keys

    def tell(self, keys: list[str], scores: list[float]) -> None:
        self.archive.tell(keys, scores)


class RegularizedEvolution:
    """Aging evolution (Real et al.): a population of ``population_size`` starts at random;
    then each candidate mutates the best of ``sample_size`` members drawn at random, and each
    scored child replaces the oldest member."""

    def __init__(self, archive: Archive, population_size: int, sample_size: int) -> None:
        self.archive = archive
        self.population_size, self.sample_size = population_size, sample_size
        self.population: deque[str] = deque()
        self.initial = 0  # random members proposed so far

    def propose(self, k: int) -> list[str]:
        a = self.archive
        keys: list[str] = []
        try:
            while len(keys) < k and self.initial < self.population_size:
                keys.append(a.propose([a.random_key()])[0])
                self.initial += 1
            while len(keys) < k and self.population:
                members = list(self.population)
                contenders = a.rng.sample(members, min(self.sample_size, len(members)))
                parent = max(contenders, key=lambda m: a.scores[m])
                keys.append(a.propose([a.mutant(parent)])[0])
        except Exhausted:
            if not keys:
                raise
        return keys

    def tell(self, keys: list[str], scores: list[float]) -> None:
        self.archive.tell(keys, scores)
        for key in keys:
            self.population.append(key)
            if len(self.population) > self.population_size:
                self.population.popleft()


class LocalSearch:
    """First-improvement hill climbing over ``space.neighbours`` with random restarts: each
    climb starts from the best of ``restarts`` random architectures and moves to the first
    neighbour (in a shuffled order) that scores higher, until none does."""

    def __init__(self, archive: Archive, restarts: int) -> None:
        self.archive = archive
        self.restarts = restarts
        self.starts: list[str] = []  # the current restart's random architectures
        self.queue: deque[str] = deque()  # what to propose next
        self.current: str | None = None

    def propose(self, k: int) -> list[str]:
        a = self.archive
        if not self.queue:
            self._refill()
        keys: list[str] = []
        while self.queue and len(keys) < k:
            key = self.queue.popleft()
            if a.candidate(key):
                keys.append(key)
            if not self.queue and not keys:
                self._refill()
        if not keys:
            raise Exhausted
        return a.propose(keys)

    def _refill(self) -> None:
        """A new restart, or the shuffled neighbours of the current architecture."""
        a = self.archive
        if self.current is None:
            self.starts = [a.random_key() for _ in range(self.restarts)]
            self.queue = deque(self.starts)
            return
        neighbours = [a.space.key(n) for n in a.space.neighbours(self.current)]
        a.rng.shuffle(neighbours)
        self.queue = deque(n for n in neighbours if a.candidate(n))
        if not self.queue:  # a local optimum: restart
            self.current = None
            self._refill()

    def tell(self, keys: list[str], scores: list[float]) -> None:
        a = self.archive
        a.tell(keys, scores)
        if self.current is None:
            if self.starts and all(s in a.scores for s in self.starts):
                self.current = max(self.starts, key=lambda s: a.scores[s])
                self.queue.clear()
            return
        for key, score in zip(keys, scores):
            if score > a.scores[self.current]:
                self.current = key
                self.queue.clear()  # climb from the new architecture
                return
        if not self.queue:  # every neighbour scored, none better: restart
            self.current = None


def make_algorithm(
    name: str, archive: Archive, population_size: int, sample_size: int
) -> Algorithm:
    """The algorithm called ``name`` over ``archive``."""
    if name == "evolution":
        return RegularizedEvolution(archive, population_size, sample_size)
    if name == "random":
        return RandomSearch(archive)
    return LocalSearch(archive, population_size)


def worst_if_invalid(value: float) -> float:
    """NaN/inf (and the degenerate score) count as the worst possible."""
    from zcfast._expression import DEGENERATE_SCORE

    v = float(value)
    return v if math.isfinite(v) and v != DEGENERATE_SCORE else -math.inf
