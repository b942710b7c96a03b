"""Publication output: regression tables, descriptive statistics, figures, exports, HTML report.

Public API (loaded lazily so that ``import smtext.report`` does not import
matplotlib until a figure is asked for):

* tables: :func:`regression_table`, :func:`describe`, :func:`correlation_table`,
  :func:`balance_table`, :func:`balance_statistics`; every table renders with
  ``to_markdown()``, ``to_latex()``, ``to_html()``, ``to_excel(path)``,
  ``to_docx(path)`` and ``save(path)``;
* figures: :func:`event_study_plot`, :func:`event_study_compare_plot`, :func:`placebo_plot`,
  :func:`pscore_density_plot`, :func:`honest_did_plot`, :func:`coef_plot`, :func:`specification_curve_plot`,
  :func:`save_figure`,
  :func:`setup_cjk_font`;
* data export: :func:`to_stata`, :func:`to_csv_excel`, :func:`to_parquet`, :func:`export_panel`;
* run report: :func:`build_report`, :class:`Section`, :class:`Figure`, :class:`Html`.
"""

from importlib import import_module

_API = {
    "regression_table": "tables", "RegressionTable": "tables", "format_number": "tables",
    "Table": "render", "as_model": "models", "ModelSummary": "models",
    "describe": "descriptives", "correlation_table": "descriptives",
    "balance_table": "descriptives", "balance_statistics": "descriptives",
    "event_study_plot": "figures", "placebo_plot": "figures", "pscore_density_plot": "figures",
    "honest_did_plot": "figures", "coef_plot": "figures", "save_figure": "figures",
    "event_study_compare_plot": "compare_plot", "specification_curve_plot": "spec_curve",
    "setup_cjk_font": "fonts", "find_cjk_font": "fonts",
    "to_stata": "export", "to_csv_excel": "export", "to_parquet": "export", "export_panel": "export",
    "build_report": "html", "Section": "html", "Figure": "html", "Html": "html",
}


def __getattr__(name):
    if name in _API:
        return getattr(import_module(f"smtext.report.{_API[name]}"), name)
    raise AttributeError(f"module 'smtext.report' has no attribute {name!r}")


def __dir__():
    return sorted(_API)
