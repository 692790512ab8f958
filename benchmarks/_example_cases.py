"""The three examples of ``benchmarks/examples.py``: each returns one training step per side.

``case(device=, seed=)`` returns ``{"torchdiffeq": step, "nodebook": step, "settings": {...}}`` where
``step(i)`` runs training iteration ``i`` (the same batch and noise on both sides) and returns
``(loss, nfe)``. Both sides start from the same weights. Where the book's step differs from the
example's algorithm, ``"nodebook_same"`` is the example's algorithm on the book's code (and
``"same_algorithm"`` says what it is), so the solver's share and the algorithm's share can be told
apart. ``"network_floor"`` (latent_ode) is the book's step with the solve replaced by the network alone
(torchdiffeq's number of evaluations, no solver): the time no solver can go below. The reference side
follows torchdiffeq's published example settings; the book's side is what the book does for the same model.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
import torchdiffeq
from _floor import chain
from sklearn.datasets import make_circles
from torch import nn

import nodebook as nb
from nodebook.flows import CNF, HyperDynamics


class _Counted(nn.Module):
    """Counts calls of the wrapped ``func(t, y)``."""

    def __init__(self, func: nn.Module):
        super().__init__()
        self.func, self.nfe = func, 0

    def forward(self, t, y):
        self.nfe += 1
        return self.func(t, y)


def _take_nfe(f: _Counted) -> int:
    n, f.nfe = f.nfe, 0
    return n


# ------------------------------------------------------------------------------------------- ode_demo
class _Cubed(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 50), nn.Tanh(), nn.Linear(50, 2))
        for m in self.net:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.1)
                nn.init.zeros_(m.bias)

    def forward(self, t, y):
        return self.net(y**3)


def ode_demo_case(*, device: torch.device, seed: int = 0, data_size: int = 1000, batch_time: int = 10,
                  batch_size: int = 20) -> dict:
    a = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]], device=device)
    t = torch.linspace(0.0, 25.0, data_size, device=device)
    with torch.no_grad():
        true_y = torchdiffeq.odeint(lambda _t, y: (y**3) @ a, torch.tensor([[2.0, 0.0]], device=device), t)
    rng = np.random.default_rng(seed)
    starts = [torch.from_numpy(rng.choice(data_size - batch_time, batch_size, replace=False)) for _ in range(4096)]

    def batch(i):
        s = starts[i % len(starts)]
        return true_y[s], t[:batch_time], torch.stack([true_y[s + k] for k in range(batch_time)])

    torch.manual_seed(seed)
    ref = _Counted(_Cubed().to(device))
    book = copy.deepcopy(ref)
    opts = {id(f): torch.optim.RMSprop(f.parameters(), lr=1e-3) for f in (ref, book)}

    def stepper(f, solve):
        def step(i):
            y0, bt, by = batch(i)
            opt = opts[id(f)]
            opt.zero_grad()
            loss = (solve(f, y0, bt) - by).abs().mean()
            loss.backward()
            opt.step()
            return loss.item(), _take_nfe(f)
        return step

    return {"torchdiffeq": stepper(ref, lambda f, y0, bt: torchdiffeq.odeint(f, y0, bt)),
            "nodebook": stepper(book, lambda f, y0, bt: nb.odeint(f, y0, bt, method="dopri5", rtol=1e-7,
                                                                  atol=1e-9)),
            "settings": {"model": "MLP(y^3) 2-50-2 tanh", "batch": f"{batch_size} x {batch_time} points",
                         "solver": "dopri5 rtol 1e-7 atol 1e-9", "optimizer": "RMSprop 1e-3"}}


# ----------------------------------------------------------------------------------------- latent_ode
def _spirals(rng, n=1000, ntotal=1000, nsample=100, noise=0.3, b=0.3):
    ts = np.linspace(0.0, 6 * np.pi, ntotal)
    zc = 6 * np.pi + 1.0 - ts
    cw = np.stack([b * 50.0 / zc * np.cos(zc) - 5.0, b * 50.0 / zc * np.sin(zc)], 1)
    cc = np.stack([b * ts * np.cos(ts) + 5.0, b * ts * np.sin(ts)], 1)
    out = []
    for _ in range(n):
        i0 = rng.integers(nsample, ntotal - nsample)
        traj = cc if rng.random() > 0.5 else cw
        out.append(traj[i0:i0 + nsample] + rng.normal(size=(nsample, 2)) * noise)
    return np.stack(out).astype(np.float32), ts[:nsample].astype(np.float32)


class _LatentParts(nn.Module):
    def __init__(self, latent=4, hidden=20, rnn=25, obs=2):
        super().__init__()
        self.i2h, self.h2o = nn.Linear(obs + rnn, rnn), nn.Linear(rnn, 2 * latent)
        self.func = _Counted(nn.Sequential(nn.Linear(latent, hidden), nn.ELU(), nn.Linear(hidden, hidden),
                                           nn.ELU(), nn.Linear(hidden, latent)))
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, obs))
        self.latent, self.rnn_units = latent, rnn


class _ODEFunc(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, t, z):
        return self.net(z)


def _elbo_loss(x, pred, mean, logvar, noise_std=0.3):
    lv = 2 * math.log(noise_std)
    logpx = (-0.5 * (math.log(2 * math.pi) + lv + (x - pred) ** 2 / math.exp(lv))).sum((-1, -2))
    kl = 0.5 * (logvar.exp() + mean**2 - 1.0 - logvar).sum(-1)
    return (kl - logpx).mean()


def latent_ode_case(*, device: torch.device, seed: int = 0) -> dict:
    x_np, ts_np = _spirals(np.random.default_rng(seed))
    x, ts = torch.from_numpy(x_np).to(device), torch.from_numpy(ts_np).to(device)
    torch.manual_seed(seed)
    ref = _LatentParts().to(device)
    ref.func.func = _ODEFunc(ref.func.func)
    book, same = copy.deepcopy(ref), copy.deepcopy(ref)

    def noise(i, like):
        g = torch.Generator().manual_seed(10_000 + i)
        return torch.randn(like.shape, generator=g).to(like.device)

    def nodebook_odeint(func, z0, t):
        return nb.odeint(func, z0, t, method="dopri5", rtol=1e-7, atol=1e-9)

    def stepper(model, odeint, output_every_step: bool):
        """One training iteration of ``model``. ``output_every_step``: the example applies the output layer at
        every encoder step and keeps the last; the book applies it once to the last state (a plain loop:
        torch's fused nn.RNN measured 41-45 ms against 24-25 ms for this loop on CPU)."""
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)

        def step(i):
            opt.zero_grad()
            h = torch.zeros(len(x), model.rnn_units, device=device)
            for k in reversed(range(x.shape[1])):
                h = torch.tanh(model.i2h(torch.cat([x[:, k], h], 1)))
                if output_every_step:
                    out = model.h2o(h)
            if not output_every_step:
                out = model.h2o(h)
            mean, logvar = out[:, :model.latent], out[:, model.latent:]
            z0 = noise(i, mean) * (0.5 * logvar).exp() + mean
            pred = model.dec(odeint(model.func, z0, ts).permute(1, 0, 2))
            loss = _elbo_loss(x, pred, mean, logvar)
            loss.backward()
            opt.step()
            return loss.item(), _take_nfe(model.func)
        return step

    last_nfe = [0]  # torchdiffeq's latest NFE, which the network floor repeats

    def network_alone(func, z0, t):
        """No solver: as many evaluations as torchdiffeq's latest solve made, chained by one Euler add
        each, the last state read at every output time. Its loss means nothing; its time is the floor."""
        n = max(last_nfe[0], 1)
        return chain(func, z0, t[0], n, float(t[-1] - t[0]) / n).expand(len(t), *z0.shape)

    published = stepper(ref, torchdiffeq.odeint, True)  # the example as published

    def ref_step(i):
        loss, n = published(i)
        last_nfe[0] = n
        return loss, n

    same_step = stepper(same, nodebook_odeint, True)  # the example line for line, nodebook's solver
    book_step = stepper(book, nodebook_odeint, False)
    floor_step = stepper(copy.deepcopy(book), network_alone, False)

    return {"torchdiffeq": ref_step, "nodebook": book_step, "nodebook_same": same_step, "network_floor": floor_step,
            "same_algorithm": "the example's code with nodebook.odeint (output layer at every encoder step)",
            "settings": {"data": "1000 spirals x 100 points, noise 0.3", "encoder": "tanh RNN 25 units",
                         "latent ODE": "4-20-20-4 ELU", "solver": "dopri5 rtol 1e-7 atol 1e-9",
                         "optimizer": "Adam 1e-2", "book encoder": "same cell, output layer once at the end"}}


# ------------------------------------------------------------------------------------------------ cnf
class _AutogradTrace(nn.Module):
    """The example's augmented dynamics: ``(dz/dt, -tr ∂f/∂z)`` with one backward pass per dimension."""

    def __init__(self, dyn: HyperDynamics):
        super().__init__()
        self.dyn = dyn

    def forward(self, t, state):
        z = state[0]
        with torch.enable_grad():
            z = z.requires_grad_(True)
            dz = self.dyn(t, z)
            tr = sum(torch.autograd.grad(dz[:, i].sum(), z, create_graph=True)[0][:, i] for i in range(z.shape[1]))
        return dz, -tr.view(-1, 1)


def cnf_case(*, device: torch.device, seed: int = 0, n: int = 512, t1: float = 10.0) -> dict:
    torch.manual_seed(seed)
    dyn = HyperDynamics(dim=2, width=64, hidden=32).to(device)
    ref = _Counted(_AutogradTrace(copy.deepcopy(dyn)))
    book_dyn = copy.deepcopy(dyn)
    book = CNF(book_dyn, dim=2, t1=t1, base_std=math.sqrt(0.1), trace="analytic", method="dopri5",
               rtol=1e-5, atol=1e-5).to(device)
    same = CNF(copy.deepcopy(dyn), dim=2, t1=t1, base_std=math.sqrt(0.1), trace="exact", method="dopri5",
               rtol=1e-5, atol=1e-5).to(device)
    opts = {"r": torch.optim.Adam(ref.parameters(), lr=1e-3), "b": torch.optim.Adam(book.parameters(), lr=1e-3),
            "s": torch.optim.Adam(same.parameters(), lr=1e-3)}
    base = torch.distributions.MultivariateNormal(torch.zeros(2, device=device), 0.1 * torch.eye(2, device=device))

    def data(i):
        return torch.tensor(make_circles(n_samples=n, noise=0.06, factor=0.5, random_state=i)[0],
                            dtype=torch.float32, device=device)

    def ref_step(i):
        opts["r"].zero_grad()
        x = data(i)
        tt = torch.tensor([t1, 0.0], device=device)
        z, dl = torchdiffeq.odeint(ref, (x, torch.zeros(n, 1, device=device)), tt, atol=1e-5, rtol=1e-5,
                                   method="dopri5")
        loss = -(base.log_prob(z[-1]) - dl[-1].view(-1)).mean()
        loss.backward()
        opts["r"].step()
        return loss.item(), _take_nfe(ref)

    def flow_step(flow, key):
        def step(i):
            opts[key].zero_grad()
            loss = -flow.log_prob(data(i)).mean()
            loss.backward()
            opts[key].step()
            return loss.item(), flow.last_nfe
        return step

    return {"torchdiffeq": ref_step, "nodebook": flow_step(book, "b"), "nodebook_same": flow_step(same, "s"),
            "same_algorithm": "trace='exact': one backward pass per dimension, as the example",
            "settings": {"data": f"make_circles n={n} noise 0.06 factor 0.5", "model": "hypernetwork CNF width 64 "
                         "hidden 32", "solver": "dopri5 rtol=atol=1e-5, t 10 -> 0", "optimizer": "Adam 1e-3",
                         "book trace": "closed-form divergence (the example: one backward pass per dimension)"}}
