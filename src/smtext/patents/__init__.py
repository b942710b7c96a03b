"""Patents: IPC parsing, key-technology concordances, applicant matching, firm-year measures.

Public API
----------
parse_ipc, normalize_code, split_field, ipc_levels, validate_codes   IPC strings -> codes
load_concordance, classify_codes, Concordance                        codes -> key-technology branches
classify_patents                                                     raw patent records -> per patent
match_applicants, normalize_name, applicant_kind, MatchReport        applicant names -> stkcd
patent_measures, firm_year_measures, PatentMeasures                  firm-year counts, widths, Inn
tech_similarity, jaffe_similarity                                    IPC3/IPC4 technology similarity
"""

from .applicants import MatchReport, applicant_kind, loose_name, match_applicants, normalize_name, split_applicants
from .concordance import Concordance, classify_codes, load_concordance
from .ipc import ipc_levels, normalize_code, parse_ipc, split_field, to_fixed_width, validate_codes
from .measures import PatentMeasures, classify_patents, firm_year_measures, patent_measures
from .similarity import SimilarityResult, jaffe_similarity, tech_similarity

__all__ = [
    "Concordance", "MatchReport", "PatentMeasures", "SimilarityResult", "applicant_kind", "classify_codes", "loose_name",
    "classify_patents", "firm_year_measures", "ipc_levels", "jaffe_similarity", "load_concordance",
    "match_applicants", "normalize_code", "normalize_name", "parse_ipc", "patent_measures", "split_applicants",
    "split_field", "tech_similarity", "to_fixed_width", "validate_codes",
]
