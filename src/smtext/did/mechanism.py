"""Mechanism analysis: two-step regressions (recommended) and three-step mediation with Sobel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._prepare import as_tuple
from ._results import RegResult, Result, ResultSet
from .regression import twfe

__all__ = ["mechanism_two_step", "MediationResult", "mediation_sobel"]


def mechanism_two_step(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *,
                       mediators: str | Sequence[str], controls: Sequence[str] = (), fe: Sequence[str] = (),
                       cluster=None, **kwargs) -> ResultSet:
    """Two-step mechanism regressions: the treatment's effect on the outcome, then on each mediator.

    Jiang Ting (2022, "因果推断经验研究中的中介效应与调节效应", 《中国工业经济》
    2022(5): 100-120) recommends showing that the policy moves a channel
    variable whose effect on the outcome is established by theory or prior
    work, instead of the three-step mediation test: step 1 is the DID of the
    outcome, step 2 the DID of each mediator, which is the evidence. All
    regressions share the fixed effects, controls and clustering of the
    baseline.

    Parameters
    ----------
    data, yname, tname, idname, dname, controls, fe, cluster
        As in :func:`smtext.did.twfe`.
    mediators : str or sequence of str
        Channel variables.
    **kwargs
        Passed to :func:`smtext.did.twfe`.

    Returns
    -------
    ResultSet
        ``yname`` -> step 1 (outcome on treatment), then mediator name -> step 2
        (the treatment coefficient is the effect on the channel), each a
        :class:`RegResult`.
    """
    names = (yname, *as_tuple(mediators))
    return ResultSet({m: twfe(data, m, tname, idname, dname, controls=controls, fe=fe, cluster=cluster, **kwargs)
                      for m in names}, title=f"two-step mechanism analysis of {dname}")


@dataclass(frozen=True, eq=False, repr=False)
class MediationResult(Result):
    """Three-step (Baron-Kenny) mediation with the Sobel test.

    ``tidy()`` (and ``coef()`` ...) has the rows ``total`` (c), ``a``, ``b``,
    ``direct`` (c') and ``indirect`` (a*b with the Sobel standard error and
    normal p-value); the other rows take their regression's standard error
    and p-value.

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
    dname, mediator : str
        Treatment and mediator columns.
    nobs : int
        Observations (the common sample of the three regressions).
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
    dname: str
    mediator: str
    nobs: int

    def tidy(self) -> pd.DataFrame:
        """Paths ``total, a, b, direct, indirect`` with ``estimate, std_error, p_value``."""
        return self._estimates().copy()

    def _estimates(self) -> pd.DataFrame:
        d, m = self.dname, self.mediator
        rows = {
            "total": (self.total.coef()[d], self.total.se()[d], self.total.pvalue()[d]),
            "a": (self.a, self.a_path.se()[d], self.a_path.pvalue()[d]),
            "b": (self.b, self.direct.se()[m], self.direct.pvalue()[m]),
            "direct": (self.direct.coef()[d], self.direct.se()[d], self.direct.pvalue()[d]),
            "indirect": (self.indirect, self.sobel_se, self.sobel_p),
        }
        out = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "std_error", "p_value"])
        out.index.name = "term"
        return out

    def summary(self) -> str:
        """Text summary."""
        return (f"total c = {self.total.coef().iloc[0]:.4g}; a = {self.a:.4g}; b = {self.b:.4g}; "
                f"indirect a*b = {self.indirect:.4g} (Sobel SE {self.sobel_se:.4g}, z = {self.sobel_z:.3f}, "
                f"p = {self.sobel_p:.4g}); share mediated {self.share_mediated:.3f}")


def mediation_sobel(data: pd.DataFrame, yname: str, tname: str, idname: str, dname: str, *, mediator: str,
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

    Parameters
    ----------
    data, yname, tname, idname, dname, controls, fe, cluster
        As in :func:`smtext.did.twfe`.
    mediator : str
        The channel variable M.
    **kwargs
        Passed to :func:`smtext.did.twfe`.

    Returns
    -------
    MediationResult
    """
    cols = [yname, mediator, dname, idname, tname, *as_tuple(controls)]
    sample = data.dropna(subset=cols)
    total = twfe(sample, yname, tname, idname, dname, controls=controls, fe=fe, cluster=cluster, **kwargs)
    apath = twfe(sample, mediator, tname, idname, dname, controls=controls, fe=fe, cluster=cluster, **kwargs)
    direct = twfe(sample, yname, tname, idname, dname, controls=(mediator, *as_tuple(controls)), fe=fe,
                  cluster=cluster, **kwargs)
    a, sa = float(apath.coef()[dname]), float(apath.se()[dname])
    b, sb = float(direct.coef()[mediator]), float(direct.se()[mediator])
    se = float(np.sqrt(b**2 * sa**2 + a**2 * sb**2))
    z = a * b / se
    c = float(total.coef()[dname])
    return MediationResult(total=total, a_path=apath, direct=direct, a=a, b=b, indirect=a * b, sobel_se=se,
                           sobel_z=z, sobel_p=float(2 * stats.norm.sf(abs(z))),
                           share_mediated=a * b / c if c != 0 else np.nan, dname=dname, mediator=mediator,
                           nobs=total.nobs)
