"""Chapter 6's claims: every sentence that compares a model with another model or with a baseline.

Each takes a record (``results/ch6.json``, merged over seeds, or the page's own metrics) and returns its
sentence, with the verdict chosen by :func:`nodebook.claims.compare` over the seeds (fewer than 3 seeds:
"no verdict"); none states what its numbers contradict. The chapter glues them for both runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..._claims import claim, compare, require
from ...seeds import format_stat, metrics_of, stat_of
from . import hopper, spirals
from .report import _at

VERBS = {"better": "beats", "worse": "loses to", "indistinguishable": "is indistinguishable at this scale from"}


def _per_seed(record: Mapping) -> list[Mapping]:
    seeds = record.get("seeds") if isinstance(record.get("metrics"), Mapping) else None
    if isinstance(seeds, Mapping) and seeds.get("per_seed"):
        return list(seeds["per_seed"])
    return [metrics_of(record)]


def value(record: Mapping, *parts):
    """The :class:`~nodebook.seeds.Stat` over seeds of ``metrics[parts[0]][parts[1]]...`` (keys may be numbers
    in a live run or strings in JSON)."""
    vals = []
    for m in _per_seed(record):
        node = m
        for p in parts:
            node = _at(node, p)
            if node is None:
                raise KeyError(f"{'.'.join(map(str, parts))}: no {p!r} in the record")
        vals.append(node)
    return stat_of(vals)


def _best_baseline(record, names, path) -> tuple[str, object]:
    """The baseline (of ``names`` present in the record) with the lowest mean error at ``path(name)``."""
    got = []
    for name in names:
        try:
            got.append((name, value(record, *path(name))))
        except KeyError:
            continue
    return min(got, key=lambda nv: nv[1].mean)


def _phrase(a, b, scale=1.0, digits=3) -> tuple[str, str]:
    v = compare(a, b, higher_is_better=False)
    nums = f"{format_stat(a, digits=digits, scale=scale)} against {format_stat(b, digits=digits, scale=scale)}"
    if not v.decided and v.outcome != "indistinguishable":  # too few seeds: say which is lower, no verdict
        return ("has a lower error than" if a.mean < b.mean else "has a higher error than"), f"{nums}; {v.phrase}"
    return VERBS[v.outcome], nums


# One claim made false by one entry in a copy of the results file (tests/test_claims.py): a line that misses
# Hopper's hidden points by more than every extrapolation guess contradicts the page.
FLIPS = [("baselines_interp_easier", "hopper.mse.interp.linear_interp", {"0.5": 1.0}, "line=1")]

@claim("ch6", "spirals_vs_rnn")
def spirals_vs_rnn(record) -> str:
    """Latent ODE against the RNN, window RMSE, at each observation count."""
    parts = []
    for k in sorted(metrics_of(record)["spirals"]["rmse"]["latent_ode"], key=float):
        verb, nums = _phrase(value(record, "spirals", "rmse", "latent_ode", k, "window"),
                             value(record, "spirals", "rmse", "rnn", k, "window"))
        parts.append(f"with {k} points it {verb} the RNN ({nums})")
    return "On spirals (window RMSE) the latent ODE: " + "; ".join(parts) + "."


@claim("ch6", "spirals_vs_baselines")
def spirals_vs_baselines(record) -> str:
    """Latent ODE against straight lines between the points (window) and the best extrapolation baseline."""
    m = metrics_of(record)["spirals"]["rmse"]
    ks = sorted(m["latent_ode"], key=float)
    k = ks[len(ks) // 2]
    if "linear_interp" not in m:
        return "This record has no linear-interpolation baseline for spirals (it predates it)."
    verb_w, nums_w = _phrase(value(record, "spirals", "rmse", "latent_ode", k, "window"),
                             value(record, "spirals", "rmse", "linear_interp", k, "window"))
    name, best = _best_baseline(record, ("last_value", "constant_velocity"),
                                lambda n: ("spirals", "rmse", n, k, "extrap"))
    verb_e, nums_e = _phrase(value(record, "spirals", "rmse", "latent_ode", k, "extrap"), best)
    return (f"With {k} points the latent ODE {verb_w} straight lines between the observed points ({nums_w}), "
            f"and in extrapolation it {verb_e} the best no-learning guess, {spirals.LABELS[name].lower()} "
            f"({nums_e}).")


@claim("ch6", "hopper_vs_baselines")
def hopper_vs_baselines(record) -> str:
    """Each Hopper model against the best no-learning baseline of each task, 50% observed."""
    mse = metrics_of(record)["hopper"]["mse"]
    out = []
    for task, word in (("interp", "interpolation"), ("extrap", "extrapolation")):
        name, best = _best_baseline(record, hopper.BASELINES, lambda n, task=task: ("hopper", "mse", task, n, 0.5))
        bits = []
        for model in hopper.MODELS:
            if model in mse[task]:
                verb, nums = _phrase(value(record, "hopper", "mse", task, model, 0.5), best, scale=100, digits=3)
                bits.append(f"the {hopper.LABELS[model]} {verb} it ({nums})")
        out.append(f"In {word} the best no-learning baseline is {hopper.LABELS[name].lower()}: " + "; ".join(bits))
    return " ".join(s + "." for s in out) + " (MSE ×10⁻², 50% observed.)"


@claim("ch6", "baselines_interp_easier")
def baselines_interp_easier(record) -> str:
    """The page says a line fills Hopper's gaps well and fails in extrapolation: the interpolation baseline's
    error must be below every extrapolation baseline's, or the page fails."""
    mse = metrics_of(record)["hopper"]["mse"]
    if "linear_interp" not in mse["interp"]:
        return "This record has no linear-interpolation baseline for Hopper (it predates it)."
    line = value(record, "hopper", "mse", "interp", "linear_interp", 0.5)
    name, best = _best_baseline(record, ("last_value", "constant_velocity", "mean_traj"),
                                lambda n: ("hopper", "mse", "extrap", n, 0.5))
    return require(line.mean < best.mean,
                   "A straight line between the observed points misses the hidden ones by {a} (MSE ×10⁻²), while "
                   "the best guess about the last two thirds from the first, {name}, misses by {b}.",
                   a=format_stat(line, scale=100), b=format_stat(best, scale=100),
                   name=hopper.LABELS[name].lower(), line=line.mean, best=best.mean)


@claim("ch6", "rnn_vae_input")
def rnn_vae_input(record) -> str:
    """Whether the RNN-VAE's interpolation depends on how much it sees (issue 20: it did not)."""
    mse = metrics_of(record)["hopper"]["mse"]["interp"]
    if "rnn_vae" not in mse:
        return "This run trains no RNN-VAE."
    fracs = sorted(mse["rnn_vae"], key=float)
    lo, hi = value(record, "hopper", "mse", "interp", "rnn_vae", fracs[0]), value(
        record, "hopper", "mse", "interp", "rnn_vae", fracs[-1])
    mean = value(record, "hopper", "mse", "interp", "mean_traj", fracs[-1])
    lo_pct, hi_pct = f"{100 * float(fracs[0]):.0f}%", f"{100 * float(fracs[-1]):.0f}%"
    nums = f"{100 * lo.mean:.4g} with {lo_pct} observed, {100 * hi.mean:.4g} with {hi_pct}, ×10⁻²"
    at_mean = abs(hi.mean - mean.mean) <= 0.05 * mean.mean
    if abs(lo.mean - hi.mean) <= 0.02 * max(abs(hi.mean), 1e-12) and at_mean:
        same = "the same" if abs(lo.mean - hi.mean) <= 1e-6 * abs(hi.mean) else "almost the same"
        return (f"The RNN-VAE's interpolation error is {same} whatever it sees ({nums}) and sits at the mean "
                f"trajectory's ({100 * mean.mean:.4g}): it has learned nothing from its input, so an error close to "
                "the paper's would say nothing about whether their RNN-VAE was reproduced.")
    v = compare(hi, lo, higher_is_better=False)
    if v.outcome in ("better", "worse", "indistinguishable"):
        verb = {"better": "falls", "worse": "rises", "indistinguishable": "does not change beyond 2 standard errors"}
        nums = (f"{format_stat(lo, digits=4, scale=100)} with {lo_pct} observed, "
                f"{format_stat(hi, digits=4, scale=100)} with {hi_pct}, ×10⁻²")
        return f"The RNN-VAE's interpolation error {verb[v.outcome]} as it sees more points ({nums})."
    verb = "falls" if hi.mean < lo.mean else "does not fall"  # one seed: which way, no verdict
    return f"The RNN-VAE's interpolation error {verb} as it sees more points ({nums}; {v.phrase})."


__all__ = ["baselines_interp_easier", "hopper_vs_baselines", "rnn_vae_input", "spirals_vs_baselines",
           "spirals_vs_rnn", "value"]
