"""Fixed-effects machinery (smtext.did._fe): the exact and the iterative projector agree."""

from __future__ import annotations

import numpy as np

from smtext.did._fe import FEProjector, fe_codes
from smtext.did.simulate import simulate_panel


def test_iterative_projector_equals_exact_projector():
    # Many small-FE levels (> max_dummies) switch FEProjector to pyfixest's alternating
    # projections; both paths must give the same residuals (so the placebo batch still
    # equals the naive refit checked above, which runs the exact path).
    d = simulate_panel(n_units=80, years=(2011, 2020), unbalanced=0.1, seed=21)
    codes = fe_codes(d, ("stkcd", "year", "industry^year"))
    X = d[["x1", "x2"]].to_numpy(float)
    exact, iterative = FEProjector(codes, X), FEProjector(codes, X, max_dummies=0)
    assert exact.exact and not iterative.exact
    M = np.random.default_rng(0).normal(size=(len(d), 6))
    np.testing.assert_allclose(iterative.residualise(M), exact.residualise(M), atol=1e-7)
    # and the exact residual is orthogonal to every FE dummy and control (FWL)
    R = exact.residualise(M)
    for j in range(codes.shape[1]):
        dummies = np.eye(codes[:, j].max() + 1)[codes[:, j]]
        assert np.abs(dummies.T @ R).max() < 1e-9
    assert np.abs(X.T @ R).max() < 1e-9
