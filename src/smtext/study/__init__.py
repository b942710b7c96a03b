"""Studies: one YAML spec describes a paper's data, measures, variables, tables and figures;
:func:`run_study` runs it through cached stages (the CLI's ``smtext run``; the main job is the
bundled spec ``demo``).

Modules: ``registry`` (the vocabulary's registries and option schemas), ``spec`` (safe YAML
with lines, schema checks), ``vocabulary`` (validation, loading, the reference page),
``inputs`` (where the input files are), ``sample`` (panel, sample rules, treatment),
``pilots`` (the pilot list matched to listed firms: summary, review file, review policy),
``measures`` (measurement stages), ``variables`` (derived columns, the data set), ``models`` (table column kinds), ``figures`` (figure kinds), ``outputs`` (table and figure
stages), ``truth`` (truth checks on demo worlds), ``report`` (the HTML report), ``run`` (the
driver), ``specs/`` (``demo`` and ``paper000`` ... ``paper004``).
"""

from .pilots import PilotMatch, match_pilots
from .run import StudyResult, run_study, study_inputs
from .spec import bundled
from .vocabulary import load, loads, reference, validate

__all__ = ["run_study", "study_inputs", "StudyResult", "match_pilots", "PilotMatch", "load", "loads", "validate",
           "bundled", "reference"]
