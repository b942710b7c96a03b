"""Difference-in-differences for firm panels: one calling convention, one result shape.

Every estimator is called as ``fn(data, yname, tname, idname, gname_or_dname, *,
...)``: the outcome, the period, the unit, then the cohort column ``gname``
(first treated period, 0 = never treated) or the 0/1 treatment ``dname``;
every other argument is keyword-only, and randomness goes through ``seed=``.
Every estimator returns a subclass of :class:`smtext.did._results.Result`
(``tidy()``, ``coef()``, ``se()``, ``pvalue()``, ``confint()``, ``summary()``,
``nobs``); several models come back as a ``ResultSet``. Helpers that prepare
data (treatment timing, lags, matching, balancing) take the same column names.

Modules, by job:

* ``regression`` -- TWFE DID (``twfe``, ``twfe_progressive``);
  ``event`` -- event study; ``placebo`` -- placebo test;
  ``timing`` -- treatment timing from pilot lists;
* ``matching`` / ``ebalance`` -- PSM-DID, balance tables, entropy balancing;
  ``iv`` -- 2SLS with weak-identification statistics (``stock_yogo`` -- their
  critical values); ``selection`` -- Heckman; ``collinearity`` -- VIF;
  ``dml`` -- double machine learning; ``interactive_fe`` -- Bai (2009);
* ``variants`` -- lags, Poisson/logit/NB, dropped years, competing policies;
  ``hetero`` -- split samples, permutation and interaction tests;
  ``mechanism`` -- two-step mechanism and Sobel mediation;
* ``decompose`` -- Goodman-Bacon and dCDH weights; ``cs`` (with ``drdid``) --
  Callaway-Sant'Anna; ``two_stage`` -- did2s; ``imputation`` -- BJS;
  ``sun_abraham`` -- Sun-Abraham; ``compare`` -- all of them next to TWFE;
  ``sensitivity`` -- HonestDiD;
* ``simulate`` -- seeded panels with a planted effect.

Public functions load lazily from the module named in ``_API`` (importing
``smtext.did`` does not import pyfixest); add an estimator by adding its name
here. No public function shares its module's name, so importing a submodule
never shadows a function.
"""

from importlib import import_module

# public name -> module under smtext.did that defines it
_API = {
    "twfe": "regression",
    "twfe_progressive": "regression",
    "event_study": "event",
    "wald_test": "event",
    "placebo_test": "placebo",
    "firm_treatment": "timing",
    "city_spillover": "timing",
    "relative_time": "timing",
    "clean_controls": "timing",
    "hypothetical_pilots": "timing",
    "psm": "matching",
    "psm_did": "matching",
    "balance_table": "matching",
    "entropy_balance": "ebalance",
    "iv_2sls": "iv",
    "stock_yogo_critical_value": "stock_yogo",
    "vif": "collinearity",
    "lag_treatment": "variants",
    "drop_years": "variants",
    "fepois_did": "variants",
    "logit_did": "variants",
    "negbin_did": "variants",
    "competing_policies": "variants",
    "split_sample": "hetero",
    "median_split": "hetero",
    "permutation_diff_test": "hetero",
    "interaction_test": "hetero",
    "mechanism_two_step": "mechanism",
    "mediation_sobel": "mechanism",
    "bacon": "decompose",
    "twfe_weights": "decompose",
    "callaway_santanna": "cs",
    "did2s": "two_stage",
    "did_imputation": "imputation",
    "sunab": "sun_abraham",
    "robust_comparison": "compare",
    "honest": "sensitivity",
    "honest_from_estimates": "sensitivity",
    "honest_identified_set": "sensitivity",
    "event_inputs": "sensitivity",
    "heckman": "selection",
    "dml_plr": "dml",
    "ife": "interactive_fe",
    "simulate_panel": "simulate",
    "simulate_staggered": "simulate",
    "Result": "_results",
    "RegResult": "_results",
    "EventResult": "_results",
    "RobustDIDResult": "_results",
    "ResultSet": "_results",
}

#: the estimators: ``fn(data, yname, tname, idname, gname_or_dname, *, ...)`` returning a Result
ESTIMATORS = (
    "twfe", "twfe_progressive", "event_study", "placebo_test", "psm_did", "iv_2sls", "fepois_did",
    "logit_did", "negbin_did", "competing_policies", "split_sample", "permutation_diff_test",
    "interaction_test", "mechanism_two_step", "mediation_sobel", "bacon", "twfe_weights",
    "callaway_santanna", "did2s", "did_imputation", "sunab", "robust_comparison", "heckman", "dml_plr", "ife",
)

__all__ = sorted(_API)


def __getattr__(name):
    if name in _API:
        value = getattr(import_module(f"smtext.did.{_API[name]}"), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'smtext.did' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))
