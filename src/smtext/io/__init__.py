"""Your own data: CSMAR / CNRDS / Wind exports and plain files into smtext's canonical columns.

- :func:`read_table` reads any of Parquet, CSV (UTF-8, GBK, GB18030), tab-separated TXT,
  XLSX and Stata ``.dta`` as it is, recognising the CSMAR, CNRDS and Wind layouts.
- :func:`read_panel` maps a table onto the canonical columns (:data:`CANONICAL`) with a
  column map (:func:`load_colmap`, :func:`bundled_maps`), normalises stock codes, report
  periods, statement types and units, and reports every count; :func:`read_panels` merges
  statements split over several files.
- :mod:`smtext.io.recipes` derives inputs the exports lack (value added, firm age, ...).
"""

from .canonical import CANONICAL, Canonical, canonical_table
from .colmap import ColumnMap, MappedColumn, bundled_maps, load_colmap
from .normalize import normalize_stkcd, parse_periods
from .panel import PanelRead, read_panel, read_panels
from .read import RawTable, read_table

__all__ = ["read_table", "RawTable", "read_panel", "read_panels", "PanelRead", "load_colmap", "bundled_maps",
           "ColumnMap", "MappedColumn", "CANONICAL", "Canonical", "canonical_table", "normalize_stkcd",
           "parse_periods"]
