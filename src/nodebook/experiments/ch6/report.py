"""Chapter 6's tables: the reference run beside the papers, the protocol differences, the goals.

Everything here reads metrics (the page's own run, or ``results/ch6.json`` through :func:`reference`) and
returns Markdown text, so the chapter never types a number.
"""

from __future__ import annotations

from ...results import load_results, provenance
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


def spiral_table(rmse: dict, n_obs: list[int], *, paper: bool = True) -> str:
    """Window and extrapolation RMSE per observation count: models, trivial baselines, and Chen et al."""
    head = "| model | " + " | ".join(f"{k} points: window | extrap." for k in n_obs) + " |"
    lines = [head, "|---|" + "---|---|" * len(n_obs)]
    for name in (*spirals.MODELS, *spirals.BASELINES):
        if name not in rmse:  # a record made before the baseline existed
            continue
        cells = []
        for k in n_obs:
            r = _at(rmse[name], k)
            cells += [_fmt(r["window"]), _fmt(r["extrap"])]
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


def hopper_table(mse: dict, frac=0.5, *, paper: bool = True) -> str:
    """MSE ×10⁻² at ``frac`` observed: models (marked when not below the best trivial baseline), baselines,
    and (``paper``) Rubanova et al.'s numbers."""
    cols = "| model | interpolation | extrapolation |" + (" paper: interp. | paper: extrap. |" if paper else "")
    lines = [cols, "|---|---|---|" + ("---|---|" if paper else "")]
    for name in (*hopper.MODELS, *hopper.BASELINES):
        cells = []
        for task in hopper.TASKS:
            if name not in mse[task]:
                cells.append("–")
                continue
            v = _at(mse[task][name], frac)
            mark = "" if name in hopper.BASELINES or v < best_baseline(mse, task, frac) else " (not below a baseline)"
            cells.append(_fmt(v, 100, 2) + mark)
        if paper:
            cells += [_fmt(hopper.PAPER_MSE.get(name, {}).get(t), digits=3) for t in hopper.TASKS]
        lines.append(f"| {hopper.LABELS[name]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def protocol_table(full: dict, quick: dict) -> str:
    """What the paper did, what the reference run did and what a quick page does, side by side."""
    hf, hq, sf, sq = full["hopper"], quick["hopper"], full["spirals"], quick["spirals"]

    def train(h):
        return f"{h['epochs']} epochs, Adam lr {h['lr']:g}, batch {h['batch_size']}"

    def sizes(h):
        return f"latent {h['latent_dim']}, GRU state {h['hidden']}, ODE width {h['width']}, linear decoder"

    rows = [
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
        ("Training", "300 epochs, Adamax lr 1e-2, batch 50, KL ramp from epoch 10", train(hf), train(hq)),
        ("Training loss", "mean likelihood per (series, feature), 3 draws", "summed ELBO, 1 draw",
         "summed ELBO, 1 draw"),
        ("Sizes", "latent 15, recognition 30, ODE units 300, GRU gate nets 100, linear decoder", sizes(hf),
         sizes(hq)),
        ("Models", "all three", ", ".join(hf.get("models", hopper.MODELS)), ", ".join(hq.get("models", hopper.MODELS))),
        ("Decoder solve", "dopri5 (rtol 1e-3, atol 1e-4) at the times", f"{hf['method']}, step 1/200",
         f"{hq['method']}, step 1/200"),
        ("ODE-RNN encoder", "Euler, steps ≤ span/50", "Euler, step 1/200", "Euler, step 1/200"),
        ("Spirals", "Table 2: 30/50/100 observations; their code: 1000 spirals, 2000 full-batch steps",
         f"{sf['n_train']} spirals, {sf['n_sample']}-point window, {sf['steps']} steps of {sf['batch_size']}",
         f"{sq['n_train']} spirals, {sq['n_sample']}-point window, {sq['steps']} steps of {sq['batch_size']}"),
    ]
    lines = ["| | Rubanova et al. / Chen et al. | reference run (full) | this page (quick) |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def goals(metrics: dict) -> list[dict]:
    """The reference run's goals (issue 13): each with its value, target and whether it was met."""
    sp, h = metrics["spirals"]["rmse"], metrics["hopper"]["mse"]
    out = []
    for k in sorted(sp["latent_ode"], key=float):
        ode, rnn = sp["latent_ode"][k]["window"], sp["rnn"][k]["window"]
        out.append({"goal": f"spirals, {k} points: latent ODE RMSE ≤ 0.30 and below the RNN", "value": ode,
                    "target": 0.30, "met": ode <= 0.30 and ode < rnn})
    for task, target in (("interp", 0.9e-2), ("extrap", 2.8e-2)):
        v = _at(h[task]["latent_ode_rnn"], 0.5)
        beaten = v < _at(h[task]["rnn_vae"], 0.5) and v < best_baseline(h, task, 0.5)
        out.append({"goal": f"Hopper {task}, 50%: latent ODE (RNN enc.) MSE ≤ {100 * target:.1f}e-2, below "
                            "RNN-VAE and baselines", "value": v, "target": target, "met": v <= target and beaten})
    return out


__all__ = ["best_baseline", "goals", "hopper_table", "protocol_table", "reference", "reference_note",
           "spiral_table"]
