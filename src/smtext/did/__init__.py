"""The shared difference-in-differences module.

One calling convention for every estimator: ``yname`` (outcome), ``tname``
(year), ``idname`` (unit), ``dname`` (0/1 treatment) or ``gname`` (cohort: first
treated year, 0 = never treated). Public functions are loaded lazily from the
module that implements them; add a new estimator by adding its name here.
"""

from importlib import import_module

# public name -> module under smtext.did that defines it
_API = {
    # part 1 (issue 8)
    "twfe": "twfe",
    "twfe_progressive": "twfe",
    "firm_treatment": "timing",
    "city_spillover": "timing",
    "relative_time": "timing",
    "clean_controls": "timing",
    "event_study": "event",
    "wald_test": "event",
    "placebo_test": "placebo",
    "psm": "matching",
    "psm_did": "matching",
    "balance_table": "matching",
    "entropy_balance": "ebalance",
    "iv_2sls": "iv",
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
    # part 2 (issue 9): heterogeneity-robust staggered DID and sensitivity
    "bacon": "bacon",
    "twfe_weights": "dcdh",
    "callaway_santanna": "cs",
    "sunab": "sunab",
    "did_imputation": "imputation",
    "did2s": "did2s",
    "honest": "honest",
    "honest_identified_set": "honest",
    "event_inputs": "honest",
    "heckman": "heckman",
    "dml_plr": "dml",
    "ife": "ife",
    "robust_comparison": "_part2_compare",
}


# Functions that share their module's name are bound eagerly: importing submodule
# ``smtext.did.honest`` anywhere sets the package attribute ``honest`` to the module,
# and a lazy lookup would then never run. Binding them here, after their modules are
# imported, keeps ``smtext.did.honest`` the function for good.
from .bacon import bacon  # noqa: E402
from .did2s import did2s  # noqa: E402
from .heckman import heckman  # noqa: E402
from .honest import honest  # noqa: E402
from .ife import ife  # noqa: E402
from .sunab import sunab  # noqa: E402
from .twfe import twfe  # noqa: E402


def __getattr__(name):
    if name in _API:
        module = import_module(f"smtext.did.{_API[name]}")
        # Importing submodule ``honest`` sets the package attribute ``honest`` to the
        # module, shadowing the function of the same name; bind every public name of
        # the module that was just imported, so the functions win.
        for public, mod in _API.items():
            if mod == _API[name]:
                globals()[public] = getattr(module, public)
        return globals()[name]
    raise AttributeError(f"module 'smtext.did' has no attribute {name!r}")


def __dir__():
    return sorted(_API)
