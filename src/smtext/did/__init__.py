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
}


def __getattr__(name):
    if name in _API:
        return getattr(import_module(f"smtext.did.{_API[name]}"), name)
    raise AttributeError(f"module 'smtext.did' has no attribute {name!r}")


def __dir__():
    return sorted(_API)
