"""Where a study's input files are: one declaration of the input layout.

Every stage asks :class:`Inputs` for a named input (``inputs.path("financials")``) instead of
building paths itself, so the layout of the demo world is written down in one place
(:data:`DEMO_LAYOUT`) and nothing else in smtext knows it. A missing input raises SM706
naming the stage that needs it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import SMError
from ..manifest import file_sha256, stable_hash

#: name -> path relative to the world folder (the layout ``smtext demo generate`` writes)
DEMO_LAYOUT = {
    "financials": "data/financials.parquet",        # stkcd, year, statement items
    "firms": "data/firms.parquet",                  # stkcd, name, industry, city, province, region, soe, ...
    "subsidiaries": "data/subsidiaries.parquet",    # stkcd, subsidiary names (pilot and patent matching)
    "pilot_list": "data/pilot_list.csv",            # the MIIT lists as typed: 年份, 申报单位, 所在城市 ...
    "patents": "data/patents.parquet",
    "city_year": "data/city_year.parquet",
    "city_instruments": "data/city_instruments.parquet",
    "city_policies": "data/city_policies.parquet",
    "firm_extras": "data/firm_extras.parquet",
    "trade": "data/trade.parquet",
    "industry_robots": "data/industry_robots.parquet",
    "io_table": "data/io_table.parquet",
    "subsidies": "data/subsidies.parquet",
    "annual_reports": "reports/annual",
    "analyst_reports": "reports/analyst",
    "gov_reports": "reports/gov",
    "truth": "truth.json",
}


class Inputs:
    """The input files of one study.

    Parameters
    ----------
    root : path
        The world folder (``--world``).
    layout : dict, optional
        Input name -> path relative to ``root`` (default :data:`DEMO_LAYOUT`).
    """

    def __init__(self, root: str | Path, layout: dict | None = None):
        self.root = Path(root)
        self.layout = dict(layout or DEMO_LAYOUT)

    def path(self, name: str) -> Path:
        """Path of input ``name`` (it may not exist)."""
        return self.root / self.layout[name]

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def require(self, name: str, needed_by: str) -> Path:
        """Path of input ``name``; SM706 naming ``needed_by`` when it is missing."""
        p = self.path(name)
        if not p.exists():
            raise SMError("SM706", f"{p} is missing; {needed_by} needs it.",
                          f"put the {name} file there (see smtext demo generate for the layout), "
                          f"or remove {needed_by} from the spec.")
        return p

    def read(self, name: str, needed_by: str, **kwargs) -> pd.DataFrame:
        """Read a table input (Parquet, or CSV as UTF-8 with or without BOM)."""
        p = self.require(name, needed_by)
        if p.suffix.lower() == ".csv":
            return pd.read_csv(p, encoding="utf-8-sig", **kwargs)
        return pd.read_parquet(p, **kwargs)

    def tables_hash(self) -> str:
        """Hash of every table input that exists (not the PDF folders: extraction keys on those itself)."""
        files = {name: self.path(name) for name in self.layout}
        found = {n: file_sha256(p) for n, p in sorted(files.items()) if p.is_file() and n != "truth"}
        if not found:
            raise SMError("SM706", f"{self.root} has none of the input tables {sorted(files)}.",
                          "generate a demo world with `smtext demo generate --out DIR`, or pass --world.")
        return stable_hash(found)

    def folder_fingerprint(self, name: str) -> str:
        """Cheap fingerprint of a PDF folder (path, size, mtime): a changed or added report re-runs extraction."""
        folder = self.path(name)
        files = sorted(folder.rglob("*.pdf")) if folder.is_dir() else []
        return stable_hash([(str(f.relative_to(folder)), f.stat().st_size, f.stat().st_mtime_ns) for f in files])
