"""pyfixest for smtext: fixed effects absorbed in formula order, to a tight tolerance.

Every module of :mod:`smtext.did` imports pyfixest from here (``from
._pyfixest import pf, DEMEANER``), so that estimates do not depend on the
interpreter's hash seed:

* pyfixest (0.60) collects the fixed effects of ``y ~ x | a + b`` in a
  ``set`` before coding them (``_encode_fixed_effects``), so the order in which
  its alternating-projections demeaner sweeps them follows Python's string
  hashing, which changes with ``PYTHONHASHSEED``. The demeaner stops at a
  tolerance, so two orders stop at two slightly different points: the same
  study gave standard errors differing by up to ~1e-4 (relative) between
  two runs. Importing this module keeps the fixed effects in the order the
  formula lists them (unit, then period, then the rest, as fixest does).
* :data:`DEMEANER` tightens the demeaning tolerance from pyfixest's 1e-6 to
  :data:`FIXEF_TOL` (1e-10), so the numbers are also within ~1e-9 of the exact
  within estimator whatever order the fixed effects are swept in.
"""

from __future__ import annotations

import re

import numpy as np
import pyfixest as _pf
from pyfixest.demeaners import MapDemeaner

from ..errors import NotIdentified, warn

__all__ = ["DEMEANER", "FIXEF_TOL", "fixed_effects_in_formula_order", "pf"]

#: Convergence tolerance of the fixed-effect demeaning (pyfixest's default is 1e-6).
FIXEF_TOL = 1e-10
FIXEF_MAXITER = 20_000

#: The demeaner passed to every ``pf.feols`` / ``pf.fepois`` call of smtext.
DEMEANER = MapDemeaner(fixef_tol=FIXEF_TOL, fixef_maxiter=FIXEF_MAXITER)
#: used when a weakly connected fixed-effect structure does not reach FIXEF_TOL (pyfixest's own tolerance)
FALLBACK = MapDemeaner(fixef_tol=1e-6, fixef_maxiter=100_000)


def _fit(fn, args, kwargs):
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as err:
        # pyfixest's Wald test decomposes the coefficient covariance; a model with about as many fixed-effect
        # levels and controls as rows (or clusters) leaves it undefined
        data = kwargs.get("data", args[1] if len(args) > 1 else None)
        rows = f" on {len(data):,} rows" if data is not None else ""
        raise NotIdentified("SM740", f"the model{rows} cannot be estimated: its coefficient covariance could not be "
                                     f"decomposed ({err}); it has too few observations for its regressors, fixed "
                                     "effects and clusters.",
                            "use more rows (a larger sample or an outcome defined in more years), fewer fixed "
                            "effects or controls, or a coarser cluster.") from None
    except ValueError as err:
        if "Demeaning failed" not in str(err) or kwargs.get("demeaner") is not DEMEANER:
            raise
    warn("SM568", f"the fixed effects did not converge to {FIXEF_TOL:g} in {FIXEF_MAXITER:,} sweeps (weakly connected "
                  "fixed effects); this model was fitted at pyfixest's default tolerance 1e-6, so its numbers may "
                  "differ from an exact within estimator by about 1e-6.",
         "check for fixed effects with few observations per level, or drop a nested one.")
    return fn(*args, **{**kwargs, "demeaner": FALLBACK})


class _Pyfixest:
    """pyfixest, whose ``feols`` / ``fepois`` fall back to pyfixest's tolerance (with SM568) when
    smtext's tighter demeaning does not converge; every other name is pyfixest's own."""

    def __getattr__(self, name):
        return getattr(_pf, name)

    def feols(self, *args, **kwargs):
        return _fit(_pf.feols, args, kwargs)

    def fepois(self, *args, **kwargs):
        return _fit(_pf.fepois, args, kwargs)


pf = _Pyfixest()

_TERM = "__fixed_effect__({})"


def _ordered(original):
    def encode(fixed_effects: str, data):
        out = original(fixed_effects, data)
        body, sep, tail = out.rpartition(" - 1")
        if not sep or tail:
            return out  # an unknown format: leave pyfixest's answer alone
        terms = body.split(" + ")
        names = dict.fromkeys(re.split(r"\s*\+\s*", fixed_effects.strip()))
        wanted = [_TERM.format(fe.replace("^", "_")) for fe in names]
        if sorted(terms) != sorted(wanted):
            return out
        return " + ".join(wanted) + " - 1"

    encode._smtext_ordered = True
    return encode


def fixed_effects_in_formula_order() -> bool:
    """Make pyfixest absorb fixed effects in the order the formula lists them.

    Idempotent; called when this module is imported.

    Returns
    -------
    bool
        True when pyfixest's fixed-effect coding step was found and wrapped
        (or already was); False when this pyfixest has no such step, in
        which case its own order is used.
    """
    try:
        from pyfixest.estimation.formula import model_matrix
    except ImportError:  # pragma: no cover - another pyfixest layout
        return False
    original = getattr(model_matrix, "_encode_fixed_effects", None)
    if original is None:  # pragma: no cover
        return False
    if not getattr(original, "_smtext_ordered", False):
        model_matrix._encode_fixed_effects = _ordered(original)
    return True


fixed_effects_in_formula_order()
