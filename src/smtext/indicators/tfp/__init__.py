"""Production-function TFP: OLS, FE, Olley-Pakes, Levinsohn-Petrin, ACF, Wooldridge, system GMM.

Usage::

    from smtext.indicators.tfp import estimate, log_inputs
    d = log_inputs(financials)
    r = estimate(d, "lp", y="ln_value_added", free="ln_employees", state="ln_fixed_assets_net",
                 proxy="ln_cash_paid_goods")
    r.coef, r.omega, r.summary()

Convention (all methods)
------------------------
Inputs are **logs** already (see :func:`log_inputs` to build them from a financial
panel in yuan). The model is ``y = b_f'free + b_s'state [+ b_m*proxy] + omega + eps``.
The returned ``omega`` is **log TFP including the constant and the transitory
shock**, ``omega_it = y_it - b_f'free_it - b_s'state_it [- b_m*proxy_it]``, for every
row of the input with finite ``y``, ``free`` and ``state`` (missing elsewhere). It is
what Stata's ``prodest`` then ``predict, residuals`` returns (``predict, exponential``
gives its exponential; prodest's ``predict, omega`` is a different quantity, phi minus
the fitted inputs, available only after ``fsresidual()``). Do not take the log of it
again: ``levpet``'s ``predict, omega`` returns the *level* exp(omega), which copied
do-files often log a second time.

Methods
-------
``ols``   pooled OLS with a constant (optionally year effects); firm-cluster SEs
          (:mod:`~smtext.indicators.tfp.linear`).
``fe``    within (firm fixed effects) estimator; firm-cluster SEs.
``op``    Olley & Pakes (1996): investment proxy; optional survival-probability
          correction (``attrition=True``).
``lp``    Levinsohn & Petrin (2003): intermediate-input proxy. ``output="value_added"``
          (default) or ``"gross"`` (the proxy is also an input; its coefficient is
          identified in stage 2 with the lagged proxy as instrument, like ``levpet,
          revenue``).
``acf``   Ackerberg, Caves & Frazer (2015): all coefficients in stage 2 with the
          just-identifying instruments (state_t, free_{t-1}), as Stata/R ``prodest``
          and statspai (``acf_overid=True``: their quadratic polynomial instead). When
          the moments have several roots the default returns the one reached from the
          OLS start (Stata ``prodest``); ``acf_start="stage1"`` the one nearest the
          stage-1 coefficients (statspai). OP, LP and ACF are in
          :mod:`~smtext.indicators.tfp.proxy`.
``wrdg``  Wooldridge (2009) one-step GMM of the level and Markov equations sharing the
          elasticities and the control function ``h``; ``g`` a polynomial of degree
          ``g_degree`` in ``h_{t-1}`` (see :mod:`~smtext.indicators.tfp.wooldridge`).
``gmm``   Blundell & Bond (2000) system GMM of the dynamic (AR(1)) production
          function with collapsed lag instruments, two-step weights and the
          common-factor restrictions imposed by minimum distance
          (:mod:`~smtext.indicators.tfp.gmm`).

Stage 2 of OP/LP minimises the sum of squared productivity innovations (as R/Stata
``prodest``); ACF and gross-output LP solve their moment conditions by GMM. The
nonlinear searches start from the OLS estimates plus ``n_starts - 1`` seeded random
perturbations and keep the lowest criterion. Lags are calendar lags: a gap year
removes the row from the lag-based stage, never borrows an older row. With
``bootstrap=B``, whole firm histories are resampled ``B`` times (seeded, the same
draws for any ``n_jobs``).

Modules
-------
``_estimate``  :func:`estimate` (checks, method dispatch, by-group loop), :func:`log_inputs` and :func:`log_columns`
``_results``   :class:`TFPResult`, :class:`TFPGroupResult`
``_bootstrap`` the firm-cluster bootstrap
``linear``     OLS, FE
``proxy``      OP, LP, ACF
``wooldridge`` Wooldridge (2009)
``gmm``        Blundell-Bond system GMM
``_common``    the prepared panel, polynomial terms, least squares (estimators import only this)
"""

from ._estimate import METHODS, STUDY_METHODS, estimate, log_columns, log_inputs
from ._results import TFPGroupResult, TFPResult

__all__ = ["METHODS", "STUDY_METHODS", "TFPGroupResult", "TFPResult", "estimate", "log_columns", "log_inputs"]
