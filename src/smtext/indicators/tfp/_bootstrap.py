"""Firm-cluster bootstrap of any TFP estimator: whole firm histories are drawn with replacement."""

from __future__ import annotations

import numpy as np

from ...errors import SMError
from ._common import Panel


def _boot_chunk(fit, p: Panel, opts, seeds, blocks):
    starts, lens, codes = blocks
    out = []
    for ss in seeds:
        rng = np.random.default_rng(ss)
        draw = rng.integers(0, len(starts), len(starts))
        rows = np.concatenate([np.arange(starts[d], starts[d] + lens[d]) for d in draw])
        new_start = np.repeat(np.cumsum(np.concatenate([[0], lens[draw][:-1]])), lens[draw])
        new_firm = np.repeat(np.arange(len(draw)), lens[draw])   # a firm drawn twice is two firms
        old_lag = p.lag[rows]
        new_lag = np.where(old_lag >= 0, old_lag - starts[codes[rows]] + new_start, -1)
        q = p.take(rows, new_firm, new_lag)
        try:
            b, _ = fit(q, opts, rng)
        except (SMError, np.linalg.LinAlgError, ValueError):
            b = np.full(len(opts["names"]), np.nan)
        out.append(b)
    return out


def cluster_bootstrap(fit, p: Panel, opts, B: int, seed: int, n_jobs: int) -> np.ndarray:
    """Coefficient draws of ``fit`` on ``B`` firm-cluster resamples of ``p``.

    Parameters
    ----------
    fit : callable
        ``fit(panel, opts, rng) -> (coef, info)``, one estimator.
    p : Panel
        Usable rows sorted by firm and year (as :func:`._common.prepare` returns them).
    opts : dict
        Passed to ``fit``; ``opts["names"]`` gives the number of coefficients.
    B : int
        Number of draws.
    seed : int
        Seeds draw ``b`` through ``SeedSequence(seed).spawn(B)[b]``.
    n_jobs : int
        Worker processes; the draws do not depend on it.

    Returns
    -------
    numpy.ndarray
        ``B x len(opts["names"])``; a draw whose fit failed is a row of NaN.
    """
    order = np.lexsort((p.year, p.firm))
    if not np.array_equal(order, np.arange(len(order))):
        raise AssertionError("panel rows must be sorted by firm, year")  # prepare() guarantees it
    _, codes = np.unique(p.firm, return_inverse=True)
    lens = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    blocks = (starts, lens, codes)
    seeds = np.random.SeedSequence(seed).spawn(B)    # draw b is the same whatever n_jobs is
    chunks = [seeds[i::n_jobs] for i in range(n_jobs)] if n_jobs > 1 else [seeds]
    if n_jobs > 1:
        from joblib import Parallel, delayed
        res = Parallel(n_jobs=n_jobs)(delayed(_boot_chunk)(fit, p, opts, c, blocks) for c in chunks)
        draws = [None] * B
        for i, r in enumerate(res):
            for j, b in enumerate(r):
                draws[i + j * n_jobs] = b
    else:
        draws = _boot_chunk(fit, p, opts, seeds, blocks)
    return np.vstack(draws)
