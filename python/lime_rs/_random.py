"""``random_state`` handling: what lime accepts (None, int, RandomState) plus
``np.random.Generator``, turned into 64-bit seeds for the Rust streams."""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

RandomState = np.random.RandomState | np.random.Generator


def check_random_state(seed: Any) -> RandomState:
    """scikit-learn's ``check_random_state`` (without importing scikit-learn),
    also passing a ``np.random.Generator`` through."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if not 0 <= int(seed) < 2**32:
            raise ValueError(
                f"random_state: an int seed must be between 0 and 2**32 - 1, got {int(seed)}; "
                "for any other seed pass np.random.default_rng(seed)"
            )
        return np.random.RandomState(int(seed))
    if isinstance(seed, np.random.RandomState | np.random.Generator):
        return seed
    raise TypeError(
        f"random_state: expected None, an int, a numpy.random.RandomState or a "
        f"numpy.random.Generator, got {type(seed).__name__} ({seed!r})"
    )


def draw_seed(state: RandomState) -> int:
    """A fresh 64-bit seed drawn from ``state`` (advancing it, as lime's draws do)."""
    if isinstance(state, np.random.Generator):
        return int(state.integers(0, 2**63 - 1, dtype=np.int64))
    return int(state.randint(0, 2**63 - 1, dtype=np.int64))


def snapshot(*states: Any) -> list[tuple[Any, Any]]:
    """The random ``states`` (None ignored) as they are now, for ``rewind``."""
    saved: list[tuple[Any, Any]] = []
    for state in {id(s): s for s in states if s is not None}.values():
        if isinstance(state, np.random.Generator):
            saved.append((state.bit_generator, state.bit_generator.state))
        elif isinstance(state, np.random.RandomState):
            saved.append((state, state.get_state()))
    return saved


def rewind(saved: list[tuple[Any, Any]]) -> None:
    """Puts the states of a ``snapshot`` back."""
    for owner, state in saved:
        if isinstance(owner, np.random.RandomState):
            owner.set_state(state)
        else:
            owner.state = state


@contextmanager
def rewound_on_error(*states: Any) -> Iterator[None]:
    """Runs the block; if it raises, ``rewind``s ``states``: a call that failed
    part-way (the user's model raised) leaves the explainer as it found it."""
    saved = snapshot(*states)
    try:
        yield
    except BaseException:
        rewind(saved)
        raise
