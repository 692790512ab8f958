"""The rows of chapters 5 (continuous normalizing flows) and 6 (latent ODEs): see :mod:`.rows`."""

from __future__ import annotations

from .._tables import Row, num


def _f2(x) -> str:
    return "–" if x is None else f"{x:.2f}"


def rows_ch5(m: dict) -> list[Row]:
    rows = []
    kl = m.get("planar_vs_cnf") or []
    for target in dict.fromkeys(r.get("target") for r in kl):
        cells = {(r.get("kind"), r.get("size")): r.get("kl") for r in kl if r.get("target") == target}
        sizes = sorted({s for _, s in cells})
        text = "; ".join(f"{s}: {_f2(cells.get(('planar', s)))} / {_f2(cells.get(('cnf', s)))}" for s in sizes)
        base = (m.get("kl_base") or {}).get(target)
        text += "" if base is None else f" (the base density alone: {_f2(base)})"
        rows.append(Row(f"KL(q‖p) in nats on {target}, planar K / CNF M at K = M", text,
                        "Chen et al. Fig. 4: CNF at least as good as planar with K = M (figure, no table)",
                        "our targets and step budget"))
    for name, r in (m.get("toys") or {}).items():
        best = _optimum(name)  # by quadrature, as the chapter shows it (a record's stored value may be Monte Carlo)
        nll = r.get("test_nll")
        extra = [f"optimum {best:.3f}"] if best is not None else []
        extra += [f"one Gaussian fit {r['gaussian_nll']:.3f}"] if r.get("gaussian_nll") is not None else []
        ours = ("–" if nll is None else f"{nll:.3f}") + (f" ({'; '.join(extra)})" if extra else "")
        rows.append(Row(f"{name}: test NLL (nats)", ours, "FFJORD Fig. 2: samples and densities (no table)",
                        "FFJORD's toy recipe at our step budget"))
    return rows


def _optimum(name: str) -> float | None:
    from ..flows import toy_entropy

    try:
        return toy_entropy(name)
    except ValueError:  # a density this version does not know
        return None


def rows_ch6(m: dict) -> list[Row]:
    rows = []
    sp = (m.get("spirals") or {}).get("rmse") or {}
    if sp:
        from ..experiments.ch6.spirals import LABELS, PAPER_RMSE

        for name, by_n in sp.items():
            paper = PAPER_RMSE.get(name, {})
            ns = sorted(by_n, key=lambda k: int(k))
            rows.append(Row(f"spirals, {LABELS.get(name, name)}: RMSE at {' / '.join(ns)} points",
                            " / ".join(num(by_n[k].get("window"), 3) for k in ns),
                            " / ".join(num(paper.get(int(k)), 4) for k in ns) + " (Table 2)" if paper
                            else "– (baseline)",
                            "our spiral noise and training budget"))
    hop = (m.get("hopper") or {}).get("mse") or {}
    if hop:
        from ..experiments.ch6.hopper import LABELS as HL
        from ..experiments.ch6.hopper import PAPER_MSE

        def at_half(v):  # {fraction: mse} (the paper's table is at 50% observed), or one number
            return v.get("0.5", v.get(0.5)) if isinstance(v, dict) else v

        names = dict.fromkeys([*(hop.get("interp") or {}), *(hop.get("extrap") or {})])
        for name in names:
            ours_i = at_half((hop.get("interp") or {}).get(name))
            ours_e = at_half((hop.get("extrap") or {}).get(name))
            p = PAPER_MSE.get(name, {})
            rows.append(Row(f"Hopper, {HL.get(name, name)}: MSE ×10⁻², interpolation (50%) / extrapolation",
                            f"{num(None if ours_i is None else 100 * ours_i)} / "
                            f"{num(None if ours_e is None else 100 * ours_e)}",
                            f"{num(p.get('interp'), 4)} / {num(p.get('extrap'), 4)}" if p else "– (baseline)",
                            f"{(m.get('hopper') or {}).get('n_train', '?')} training series, "
                            f"{(m.get('hopper') or {}).get('epochs', '?')} epochs"))
    phys = (m.get("physionet") or {}).get("mse") or {}
    for name in (phys.get("interp") or {}):
        p = (m.get("physionet") or {}).get("paper_mse_1e-3", {}).get(name, {})
        i, e = phys["interp"].get(name), (phys.get("extrap") or {}).get(name)
        rows.append(Row(f"PhysioNet, {name}: MSE ×10⁻³, interpolation / extrapolation",
                        f"{num(None if i is None else 1e3 * i)} / {num(None if e is None else 1e3 * e)}",
                        f"{num(p.get('interp'), 4)} / {num(p.get('extrap'), 4)}", "data supplied by the reader"))
    return rows
