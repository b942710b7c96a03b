"""Mechanism analysis: two-step regressions (recommended) and three-step mediation with Sobel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._part1_prep import as_tuple
from ._part1_results import RegResult
from .twfe import twfe

__all__ = ["mechanism_two_step", "MediationResult", "mediation_sobel"]


def mechanism_two_step(data, mediators: str | Sequence[str], dname: str, idname: str, tname: str,
                       controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None,
                       **kwargs) -> dict:
    """Two-step mechanism regressions: the treatment's effect on each mediator.

    Jiang Ting (2022, "因果推断经验研究中的中介效应与调节效应", 《中国工业经济》
    2022(5): 100-120) recommends showing that the policy moves a channel
    variable whose effect on the outcome is established by theory or prior
    work, instead of the three-step mediation test: the DID of the mediator
    is the evidence. Each mediator is
    regressed on the treatment with the same fixed effects, controls and
    clustering as the baseline.

    Returns
    -------
    dict
        Mediator name -> :class:`RegResult` (the treatment coefficient is the
        effect on the channel).
    """
    return {m: twfe(data, m, dname, idname, tname, controls=controls, fe=fe, cluster=cluster, **kwargs)
            for m in as_tuple(mediators)}


@dataclass(frozen=True)
class MediationResult:
    """Three-step (Baron-Kenny) mediation with the Sobel test.

    Attributes
    ----------
    total, a_path, direct : RegResult
        ``Y ~ D`` (total effect c), ``M ~ D`` (a) and ``Y ~ D + M`` (direct
        effect c' and b).
    a, b, indirect : float
        ``a``, ``b`` and the indirect effect ``a * b``.
    sobel_se, sobel_z, sobel_p : float
        Sobel (1982) first-order delta-method SE of ``a*b``, its z and the
        two-sided normal p-value.
    share_mediated : float
        ``a*b / c``.
    """

    total: RegResult
    a_path: RegResult
    direct: RegResult
    a: float
    b: float
    indirect: float
    sobel_se: float
    sobel_z: float
    sobel_p: float
    share_mediated: float

    def summary(self) -> str:
        """Text summary."""
        return (f"total c = {self.total.coef().iloc[0]:.4g}; a = {self.a:.4g}; b = {self.b:.4g}; "
                f"indirect a*b = {self.indirect:.4g} (Sobel SE {self.sobel_se:.4g}, z = {self.sobel_z:.3f}, "
                f"p = {self.sobel_p:.4g}); share mediated {self.share_mediated:.3f}")


def mediation_sobel(data, yname: str, mediator: str, dname: str, idname: str, tname: str,
                    controls: Sequence[str] = (), fe: Sequence[str] = (), cluster=None,
                    **kwargs) -> MediationResult:
    """Classic three-step mediation (Baron and Kenny 1986) with a Sobel test.

    Caveat: the mediator is itself an outcome of the treatment and is not
    randomly assigned, so ``b`` (and the indirect effect ``a*b``) is identified
    only if there is no unobserved confounder of mediator and outcome --
    an assumption the DID design does not deliver. Jiang Ting (2022) therefore
    advises against reading the three-step test as causal evidence; prefer
    :func:`mechanism_two_step`. This function is provided for users (and
    referees) who ask for it. All three regressions share the same sample,
    fixed effects, controls and clustering; the Sobel SE uses the clustered
    SEs of ``a`` and ``b`` and ignores their covariance (they come from
    different equations).
    """
    cols = [yname, mediator, dname, idname, tname, *as_tuple(controls)]
    sample = data.dropna(subset=cols)
    total = twfe(sample, yname, dname, idname, tname, controls=controls, fe=fe, cluster=cluster, **kwargs)
    apath = twfe(sample, mediator, dname, idname, tname, controls=controls, fe=fe, cluster=cluster, **kwargs)
    direct = twfe(sample, yname, dname, idname, tname, controls=(mediator, *as_tuple(controls)), fe=fe,
                  cluster=cluster, **kwargs)
    a, sa = float(apath.coef()[dname]), float(apath.se()[dname])
    b, sb = float(direct.coef()[mediator]), float(direct.se()[mediator])
    se = float(np.sqrt(b**2 * sa**2 + a**2 * sb**2))
    z = a * b / se
    c = float(total.coef()[dname])
    return MediationResult(total, apath, direct, a, b, a * b, se, z, float(2 * stats.norm.sf(abs(z))),
                           a * b / c if c != 0 else np.nan)
