"""Chapter 6's tables: the reference run beside the papers, the protocol differences, the goals.

Everything here reads metrics (the page's own run, or ``results/ch6.json`` through :func:`reference`) and
returns Markdown text, so the chapter never types a number.
"""

from __future__ import annotations

from ..._claims import compare
from ..._provenance import provenance
from ..._tables import mean_se
from ...results import load_results
from ...seeds import Stat, stat, stat_of
from . import hopper, spirals


def reference() -> dict | None:
    """The committed reference record (``results/ch6.json``), or ``None`` when there is none."""
    return load_results("ch6")


def reference_note(record: dict | None) -> str:
    """One line saying where the reference numbers come from, or that the file is missing."""
    if record is None:
        return ("No reference run is committed (results/ch6.json is missing): run "
                "`python -m nodebook reproduce ch6 --mode full` to make one.")
    return f"Reference run: {provenance(record)}."


def _at(d: dict, key):
    """``d[key]`` whether the keys are numbers (a live run) or strings (read back from JSON)."""
    if key in d:
        return d[key]
    return d.get(str(key), d.get(str(float(key)) if isinstance(key, (int, float)) else key))


def _fmt(v, scale: float = 1.0, digits: int = 3) -> str:
    return "–" if v is None else f"{scale * v:.{digits}f}"


def _stat(record: dict | None, dotted: str, value) -> Stat:
    """``dotted``'s numbers over the seeds of a merged ``record``, else the one ``value``."""
    if record is not None and isinstance(record.get("seeds"), dict) and record["seeds"].get("per_seed"):
        return stat(record, dotted)
    return stat_of([value])


def _below(a: Stat, b: Stat) -> bool:
    """``a``'s error below ``b``'s: by more than 2 combined standard errors over 3+ seeds, else by its mean."""
    return compare(a, b, higher_is_better=False).outcome == "better" if a.n >= 3 else a.mean < b.mean


def spiral_table(rmse: dict, n_obs: list[int], *, paper: bool = True, record: dict | None = None) -> str:
    """Window and extrapolation RMSE per observation count: models, trivial baselines, and Chen et al.
    With ``record`` (a merged reference record) each cell is the mean ± standard error over its seeds."""
    head = "| model | " + " | ".join(f"{k} points: window | extrap." for k in n_obs) + " |"
    lines = [head, "|---|" + "---|---|" * len(n_obs)]
    for name in (*spirals.MODELS, *spirals.BASELINES):
        if name not in rmse:  # a record made before the baseline existed
            continue
        cells = []
        for k in n_obs:
            r = _at(rmse[name], k)
            cells += [mean_se(_stat(record, f"spirals.rmse.{name}.{k}.{part}", r[part]))
                      for part in ("window", "extrap")]
        lines.append(f"| {spirals.LABELS[name]} | " + " | ".join(cells) + " |")
    if paper:
        for name in spirals.MODELS:
            cells = []
            for k in n_obs:
                cells += [_fmt(spirals.PAPER_RMSE[name].get(k), digits=4), "–"]
            lines.append(f"| {spirals.LABELS[name]}, Chen et al. Table 2 | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def best_baseline(mse: dict, task: str, frac) -> float:
    """The lower of the trivial baselines' errors for ``task`` at ``frac``."""
    return min(_at(mse[task][b], frac) for b in hopper.BASELINES if b in mse[task])


def hopper_table(mse: dict, frac=0.5, *, paper: bool = True, record: dict | None = None) -> str:
    """MSE ×10⁻² at ``frac`` observed: models (marked when not below the best trivial baseline), baselines,
    and (``paper``) Rubanova et al.'s numbers. With ``record`` (a merged reference record) each cell is the
    mean ± standard error over its seeds, and "below" means by more than 2 combined standard errors."""
    cols = "| model | interpolation | extrapolation |" + (" paper: interp. | paper: extrap. |" if paper else "")
    lines = [cols, "|---|---|---|" + ("---|---|" if paper else "")]
    for name in (*hopper.MODELS, *hopper.BASELINES):
        cells = []
        for task in hopper.TASKS:
            if name not in mse[task]:
                cells.append("–")
                continue
            v = _stat(record, f"hopper.mse.{task}.{name}.{frac}", _at(mse[task][name], frac))
            best = min((_stat(record, f"hopper.mse.{task}.{b}.{frac}", _at(mse[task][b], frac))
                        for b in hopper.BASELINES if b in mse[task]), key=lambda b: b.mean)
            mark = "" if name in hopper.BASELINES or _below(v, best) else " (not below a baseline)"
            cells.append(mean_se(v, 2, 100) + mark)
        if paper:
            cells += [_fmt(hopper.PAPER_MSE.get(name, {}).get(t), digits=3) for t in hopper.TASKS]
        lines.append(f"| {hopper.LABELS[name]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _recipe_cells(h: dict) -> dict:
    """The protocol-table cells of one Hopper block (as :func:`~._recipe.hopper_budget` returns it)."""
    pub = h["recipe"] == "published"
    kl = ("0 for 10 epochs, then 1 − 0.99^(epoch − 10)" if h.get("kl_kind") == "published"
          else f"linear ramp over {h.get('kl_warmup', 0)} steps")
    opt = "Adamax" if h.get("optimizer") == "adamax" else "Adam"
    floor = h.get("lr_floor") or h["lr"] / 10
    return {
        "training": f"{h['epochs']} epochs, {opt} lr {h['lr']:g} ×{h.get('lr_decay', 1.0):g}/step, floor {floor:g}, "
                    f"batch {h['batch_size']}, KL weight {kl}",
        "loss": ("theirs: per-(series, feature) mean likelihood, batch mean, logsumexp over 3 draws" if pub
                 else "summed ELBO, 1 draw"),
        "sizes": (f"latent {h['latent_dim']}, recognition {h['hidden']}, ODE create_net(3 layers, {h['width']}), "
                  f"GRU gate nets {h.get('gru_units', 100)}, linear decoder" if pub else
                  f"latent {h['latent_dim']}, GRU state {h['hidden']}, ODE MLP width {h['width']} (1 hidden layer), "
                  "linear decoder"),
        "solve": ("dopri5 (rtol 1e-3, atol 1e-4) from the first predicted time" if h.get("method") == "dopri5"
                  else f"{h.get('method', 'rk4')}, step 1/200, from the first observed time"),
        "encoder": ("theirs: GRU unit with MLP gates (mean, std), Euler ≤ span/50; RNN encoder nn.GRU" if pub
                    else "nn.GRUCell with masked updates, Euler step 1/200"),
        "rnn_vae": ("theirs, quirks included" if pub else
                    f"the book's: GRU encoder; decoder GRU of {h['hidden']} from a linear map of z0, fed only the time "
                    "gaps, linear read-out; the summed ELBO"),
    }


# Rubanova et al.'s RNN_VAE (lib/rnn_baselines.py) as run_models.py --rnn-vae builds it: what the recipe reproduces.
_RNN_VAE_THEIRS = ("GRU encoder (rec 30) over [x·mask, mask, Δt] with masked updates (never at its first step), "
                   "backwards when the first predicted time precedes the last observed one (interpolation), forwards "
                   "otherwise; z0 from Linear-Tanh-Linear (300 units), std = abs(raw), one draw whatever the 3 "
                   "asked for; "
                   "decoder GRU of the latent size from z0, fed first the first row read (interpolation: the last "
                   "observed time's, zeros where a series saw nothing; extrapolation: the first time's), then its own "
                   "read-out (Linear-Tanh-Linear, 300 units), Δt one step late; outputs shifted: the first prediction "
                   "is that data row")


def protocol_table(full: dict, quick: dict) -> str:
    """What the papers did, what the reference run did and what a quick page does, side by side (budgets as in
    ``nodebook.config.BUDGETS["ch6"]``; the published recipe and its ``shrink`` resolved)."""
    from ._recipe import hopper_budget
    hf, hq, sf, sq = hopper_budget(full), hopper_budget(quick), full["spirals"], quick["spirals"]
    cf, cq = _recipe_cells(hf), _recipe_cells(hq)
    shrunk = ", ".join(f"{k} {v}" for k, v in (full.get("shrink") or {}).items()) or "nothing"
    rows = [
        ("Recipe", "Rubanova et al.'s run_models.py, README Hopper command",
         f"{hf['recipe']}; shrunk: {shrunk}; Hopper trajectories {hf['n_traj']}", hq["recipe"]),
        ("Hopper data", "their generated training.pt (old MuJoCo)", "regenerated with dm_control / MuJoCo 3",
         "same"),
        ("Hopper scaling", "(x − min) / max per feature, whole set", "same", "same"),
        ("Hopper trajectories", "10 000 × 200 steps, first 80% train",
         f"{hf['n_traj']} × {hf.get('n_steps', 200)}, first 80%", f"{hq['n_traj']} × {hq.get('n_steps', 200)}"),
        ("Interpolation", "random 100-step window, int(frac·100) points seen, all scored",
         f"{hf['window']}-step window, same", f"{hq['window']}-step window, same"),
        ("Extrapolation", "first third seen (subsampled to frac), rest scored", "same",
         f"same, on {hq.get('n_steps', 200)}-step trajectories"),
        ("Fractions", "one model per fraction", f"trained at {hf['fracs']}, scored at {hf['eval_fracs']}",
         f"trained at {hq['fracs']}, scored at {hq['eval_fracs']}"),
        ("Test MSE", "per (series, feature), then mean; 3 posterior draws", "same", "same"),
        ("Training", "300 epochs, Adamax lr 1e-2 ×0.999/step, floor 1e-3, batch 50, KL 0 for 10 epochs then "
         "1 − 0.99^(epoch − 10)", cf["training"], cq["training"]),
        ("Training loss", "per-(series, feature) mean likelihood, batch mean, logsumexp over 3 draws", cf["loss"],
         cq["loss"]),
        ("Sizes", "latent 15, recognition 30, ODE create_net(3 layers, 300), GRU gate nets 100, linear decoder",
         cf["sizes"], cq["sizes"]),
        ("Encoders", "GRU unit with MLP gates (mean, std), Euler ≤ span/50; RNN encoder nn.GRU", cf["encoder"],
         cq["encoder"]),
        ("Decoder solve", "dopri5 (rtol 1e-3, atol 1e-4) from the first predicted time", cf["solve"], cq["solve"]),
        ("RNN-VAE", _RNN_VAE_THEIRS, cf["rnn_vae"], cq["rnn_vae"]),
        ("Models", "all three", ", ".join(hf.get("models", hopper.MODELS)), ", ".join(hq.get("models", hopper.MODELS))),
        ("Baselines", "none reported", "mean trajectory, linear interpolation, last value, constant velocity",
         "same"),
        ("Spirals", "Table 2: 30/50/100 observations (training length not stated)",
         f"{sf['n_train']} spirals, {sf['n_sample']}-point window, {sf['steps']} steps of {sf['batch_size']}",
         f"{sq['n_train']} spirals, {sq['n_sample']}-point window, {sq['steps']} steps of {sq['batch_size']}"),
        ("Seeds", "one run (PhysioNet extrapolation: ± over runs)", "3, mean ± standard error", "1"),
    ]
    lines = ["| | Rubanova et al. / Chen et al. | reference run (full) | this page (quick) |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def goals(metrics: dict, record: dict | None = None) -> list[dict]:
    """The reference run's goals (issue 13): each with its value, target and whether it was met.

    With ``record`` (a merged reference record) ``value`` is the mean over its seeds and ``stat`` the
    :class:`~nodebook.seeds.Stat`; "below" another model or a baseline then means by more than 2 combined
    standard errors (:func:`nodebook._claims.compare`), and the target is met by the mean."""
    sp, h = metrics["spirals"]["rmse"], metrics["hopper"]["mse"]

    def st(dotted: str, v) -> Stat:
        return _stat(record, dotted, v)

    out = []
    for k in sorted(sp["latent_ode"], key=float):
        ode = st(f"spirals.rmse.latent_ode.{k}.window", sp["latent_ode"][k]["window"])
        rnn = st(f"spirals.rmse.rnn.{k}.window", sp["rnn"][k]["window"])
        out.append({"goal": f"spirals, {k} points: latent ODE RMSE ≤ 0.30 and below the RNN", "value": ode.mean,
                    "stat": ode, "target": 0.30, "met": ode.mean <= 0.30 and _below(ode, rnn)})
    def at(task: str, name: str) -> Stat:
        return st(f"hopper.mse.{task}.{name}.0.5", _at(h[task][name], 0.5))

    for task, target in (("interp", 0.9e-2), ("extrap", 2.8e-2)):
        v = at(task, "latent_ode_rnn")
        rivals = [at(task, "rnn_vae")] + [at(task, b) for b in hopper.BASELINES if b in h[task]]
        out.append({"goal": f"Hopper {task}, 50%: latent ODE (RNN enc.) MSE ≤ {100 * target:.1f}e-2, below "
                            "RNN-VAE and baselines", "value": v.mean, "stat": v, "target": target,
                    "met": v.mean <= target and all(_below(v, r) for r in rivals)})
    return out


__all__ = ["best_baseline", "goals", "hopper_table", "protocol_table", "reference", "reference_note",
           "spiral_table"]
