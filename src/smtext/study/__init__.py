"""Replicate a paper from a study spec: ``run_study(spec, world, out)`` (CLI ``smtext run``).

Modules: ``run`` (the driver and its stage graph), ``measures`` (panel, TFP, patents, text,
city, ... stages), ``variables`` (derived columns and the analysis data set), ``models`` (one
table column entry -> fitted results), ``outputs`` (table and figure stages), ``report`` (truth
check and HTML report), ``common`` (shared helpers).
"""

from .run import StudyResult, run_study

__all__ = ["run_study", "StudyResult"]
