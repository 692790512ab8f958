"""What a solve did: function evaluations and, for adaptive methods, accepted and rejected steps."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SolverStats:
    """Counters and step history of one solve.

    Attributes:
        nfe: number of calls of ``func``.
        n_accepted: steps taken (for fixed-step methods, every step).
        n_rejected: trial steps thrown away by the error control (adaptive methods only).
        accepted: ``(t, h)`` of each accepted step, in order (adaptive methods only).
        rejected: ``(t, h)`` of each rejected trial step (adaptive methods only).
    """

    nfe: int = 0
    n_accepted: int = 0
    n_rejected: int = 0
    accepted: list[tuple[float, float]] = field(default_factory=list)
    rejected: list[tuple[float, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"nfe": self.nfe, "n_accepted": self.n_accepted, "n_rejected": self.n_rejected}


class SolverError(RuntimeError):
    """An integration that cannot go on: step size underflow or too many steps.

    Attributes:
        t: the time the solver had reached.
        stats: the :class:`SolverStats` up to the failure.
    """

    def __init__(self, message: str, *, t: float, stats: SolverStats):
        super().__init__(message)
        self.t = t
        self.stats = stats
