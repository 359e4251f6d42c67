"""Injected faults, drawn from their own RNG so they never disturb the generated data."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping

from .config import FAULT_KINDS


class Faults:
    """Per-kind probabilities; :meth:`draw` picks at most one fault for a request."""

    def __init__(
        self, rate: float, per_kind: Mapping[str, float], seed: int, slow_seconds: float
    ) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.rates: dict[str, float] = dict.fromkeys(FAULT_KINDS, 0.0)
        self.slow_seconds = slow_seconds
        self.set(rate, **per_kind)

    def set(
        self, rate: float | None = None, *, slow_seconds: float | None = None, **per_kind: float
    ) -> None:
        """``rate`` spreads a total probability evenly over every kind; keywords named after
        :data:`~.config.FAULT_KINDS` set one kind (after ``rate``)."""
        unknown = sorted(set(per_kind) - set(FAULT_KINDS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; use {', '.join(FAULT_KINDS)}")
        rates = dict(self.rates)
        if rate is not None:
            rates = dict.fromkeys(FAULT_KINDS, rate / len(FAULT_KINDS))
        rates.update(per_kind)
        if any(not 0.0 <= r <= 1.0 for r in rates.values()) or sum(rates.values()) > 1.0 + 1e-9:
            raise ValueError("fault probabilities must each lie in 0..1 and add up to at most 1")
        if slow_seconds is not None:
            if slow_seconds < 0:
                raise ValueError("slow_seconds must be 0 or more")
            self.slow_seconds = slow_seconds
        with self._lock:
            self.rates = rates

    def draw(self) -> str | None:
        """The fault for the next request, or None."""
        with self._lock:
            roll = self._rng.random()
            total = 0.0
            for kind, rate in self.rates.items():
                total += rate
                if roll < total:
                    return kind
        return None

    def describe(self) -> dict[str, object]:
        return {"rates": dict(self.rates), "slow_seconds": self.slow_seconds}
