"""What chapter 6's experiments share: solver settings from a budget."""

from __future__ import annotations


def solver_settings(budget: dict) -> dict:
    """``method``/``rtol``/``atol``/``options`` for a latent ODE from a budget block (fixed-step: no tolerances)."""
    settings = {"method": budget.get("method", "rk4")}
    if settings["method"] == "dopri5":
        settings.update(rtol=budget.get("rtol", 1e-3), atol=budget.get("atol", 1e-4))
    return settings
