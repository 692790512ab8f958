"""Normalizing flows in two dimensions and beyond: densities to fit, planar flows, CNFs and their traces.

* :mod:`.densities`: toy samplers (``sample_toy``, ``TOY_DENSITIES``) and unnormalised targets
  (``target_log_density``, ``TARGETS``, ``log_normaliser``), a plotting grid.
* :mod:`.planar`: ``PlanarFlow``, ``K`` planar layers with their closed-form log-determinants.
* :mod:`.trace`: ``exact_trace`` (``D`` backward passes) and ``hutchinson_trace`` (one).
* :mod:`.dynamics`: ``HyperDynamics`` (Chen et al.'s width-``M`` CNF) and ``ConcatSquashDynamics`` (FFJORD).
* :mod:`.cnf`: ``CNF``, samples and log-densities in both directions by ``nodebook.odeint``.
* :mod:`.regularize`: ``RegularisedCNF``, ``regularised_nll_loss`` (Finlay et al.'s kinetic + Jacobian penalties).
* :mod:`.train`: ``fit_flow`` with ``kl_loss`` or ``nll_loss``.
* :mod:`.figures`: ``density_frames_figure``, density and samples over time with a kernel-free slider.
"""

from .cnf import CNF, TRACES
from .densities import TARGETS, TOY_DENSITIES, check_points, grid, log_normaliser, sample_toy, target_log_density
from .dynamics import ConcatSquashDynamics, HyperDynamics
from .figures import density_frames_figure
from .planar import PlanarFlow, PlanarLayer, standard_normal_log_prob
from .regularize import RegularisedCNF, regularised_nll_loss
from .toys import toy_entropy
from .trace import NOISES, exact_trace, hutchinson_trace, hutchinson_variance, sample_noise
from .train import fit_flow, kl_loss, nll_loss

__all__ = [
    "CNF", "ConcatSquashDynamics", "HyperDynamics", "NOISES", "PlanarFlow", "PlanarLayer", "RegularisedCNF",
    "TARGETS", "TOY_DENSITIES", "TRACES", "check_points", "density_frames_figure", "exact_trace", "fit_flow",
    "grid", "hutchinson_trace", "hutchinson_variance", "kl_loss", "log_normaliser", "nll_loss",
    "regularised_nll_loss", "sample_noise", "sample_toy", "standard_normal_log_prob", "target_log_density",
    "toy_entropy",
]
