"""A per-article time budget: the coder checks it once per sentence (or candidate) in
each pass, so a pathological text stops soon after its deadline instead of holding a
worker."""

from __future__ import annotations

import time
from dataclasses import dataclass


class CodingTimeout(Exception):
    """Coding one article ran past the deadline its caller gave."""


@dataclass(frozen=True, slots=True)
class Budget:
    """A ``time.monotonic()`` deadline, or None for no limit (the check is then a single
    attribute test, so unbudgeted coding costs nothing)."""

    deadline: float | None = None

    def check(self, stage: str) -> None:
        """Raise :class:`CodingTimeout` if the deadline has passed; ``stage`` names the
        pass that was running, for the message."""
        if self.deadline is None:
            return
        now = time.monotonic()
        if now > self.deadline:
            raise CodingTimeout(
                f"coding the article ran {now - self.deadline:.3f} s past its deadline "
                f"(while {stage}); the article was not coded"
            )


# No deadline: what every caller that gives none gets.
NO_BUDGET = Budget()
