"""A study's input files, declared: which file (or folder) each input is, and how to read it.

Every stage asks :class:`Inputs` for a named input (``inputs.read("financials", ...)``) instead of
building paths itself. A *data declaration* says where each input is and how to read it::

    financials:                          # one input: a file (or several, merged on the keys)
      files: [FS_Combas.csv, FS_Comins.csv, FS_Comscfd.csv]
      map: csmar_fs_combas               # a bundled column map, a map file, or {source: canonical}
      layout: csmar                      # auto | plain | csmar | cnrds | wind
    firms: {file: firms.xlsx, sheet: 公司信息, map: {证券代码: stkcd, 证券简称: short_name}}
    pilot_list: {file: 智能制造试点名单.xlsx}
    annual_reports: {folder: cninfo/}    # a folder of PDFs ...
    # annual_reports: {extract: out/}    # ... or the output of `smtext extract` (reused, not redone)

Paths are relative to the declaration file (``smtext run --data FILE``), or to the world folder
for a spec's own ``data:`` section (:func:`resolve` makes them absolute). The demo world's declaration is bundled
(:data:`DEMO_DATA`, the layout ``smtext demo generate`` writes); a user's declaration replaces
the entries it names. Tables other than Parquet are read by :mod:`smtext.io` (CSV in any
Chinese encoding, XLSX, Stata, CSMAR / CNRDS / Wind layouts, column maps, units), whose counts
land in the stage records. A missing input raises SM706 naming the stage that needs it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import SMError
from ..manifest import file_sha256, stable_hash
from .registry import MEASURES, Option

#: the demo world's declaration: input name -> where ``smtext demo generate`` writes it
DEMO_DATA = {
    "financials": {"file": "data/financials.parquet"},        # stkcd, year, statement items
    "firms": {"file": "data/firms.parquet"},                  # stkcd, name, short_name, industry, city, ...
    "subsidiaries": {"file": "data/subsidiaries.parquet"},    # stkcd, subsidiary_name
    "pilot_list": {"file": "data/pilot_list.csv"},            # the MIIT lists as typed: 年份, 申报单位, 所在城市 ...
    "patents": {"file": "data/patents.parquet"},
    "city_year": {"file": "data/city_year.parquet"},
    "city_instruments": {"file": "data/city_instruments.parquet"},
    "city_policies": {"file": "data/city_policies.parquet"},
    "firm_extras": {"file": "data/firm_extras.parquet"},
    "trade": {"file": "data/trade.parquet"},
    "trade_intermediaries": {"file": "data/trade_intermediaries.parquet"},   # industry, year, intermediary_share
    "industry_robots": {"file": "data/industry_robots.parquet"},
    "io_table": {"file": "data/io_table.parquet"},
    "subsidies": {"file": "data/subsidies.parquet"},
    "postings": {"file": "data/postings.parquet"},                # stkcd, year, title, description (paper 002 Aijob)
    # CSMAR top-5 customer / supplier tables as exported (paper 002 Table 9 cols. 8-9)
    "top5_customers": {"file": "data/top5_customers.csv", "map": "csmar_top5_customers", "layout": "csmar"},
    "top5_suppliers": {"file": "data/top5_suppliers.csv", "map": "csmar_top5_suppliers", "layout": "csmar"},
    "ipr_cases": {"file": "data/ipr_cases.parquet"},              # city, year, ipr_cases, gdp (paper 002 IPR)
    "annual_reports": {"folder": "reports/annual"},
    "analyst_reports": {"folder": "reports/analyst"},
    "gov_reports": {"folder": "reports/gov"},
    "truth": {"file": "truth.json"},
}

#: inputs the panel stage needs (statements, firm table, pilot list); ``subsidiaries`` is optional
#: (without it, pilot applicants that are subsidiaries of listed firms cannot be matched: SM708)
PANEL_NEEDS = ("financials", "firms", "pilot_list")

#: how one input is declared (checked like a spec, with file:line errors)
INPUT_SCHEMA = (
    Option("file", "str", "the table's file (Parquet, CSV/TXT in any Chinese encoding, XLSX, Stata .dta)"),
    Option("files", "list", "several files of one table, merged on the keys (CSMAR statements split by table)"),
    Option("folder", "str", "a folder of PDF reports"),
    Option("extract", "str", "the output folder of `smtext extract` for these reports (reused as it is)"),
    Option("map", "any", "column map: a bundled map name, a map file, or a mapping {source column: canonical}; "
           "with files:, one map for all or a list with one map per file"),
    Option("layout", "choice", "export layout", choices=("auto", "plain", "csmar", "cnrds", "wind"), default="auto"),
    Option("statement", "choice", "CSMAR Typrep rows kept", choices=("consolidated", "parent"),
           default="consolidated"),
    Option("sheet", "any", "XLSX sheet name or position"),
    Option("encoding", "str", "text encoding when detection should not be trusted (e.g. gb18030)"),
    Option("description", "str", "CSMAR field-description file beside the data"),
)
KEYS = {"financials": ("stkcd", "year"), "firm_extras": ("stkcd", "year"), "firms": ("stkcd",),
        "subsidiaries": None, "pilot_list": None, "patents": None, "city_year": ("city", "year"),
        "city_instruments": ("city",), "city_policies": ("city", "year"), "trade": None, "trade_intermediaries": ("industry", "year"),
        "industry_robots": None,
        "io_table": None, "subsidies": None, "postings": None,
        "top5_customers": None, "top5_suppliers": None, "ipr_cases": ("city", "year")}


def check_declaration(spec, path: tuple, data) -> dict:
    """Validate a ``data:`` mapping (SM702 / SM703 with file:line) and return it."""
    from .spec import check_options, mapping, unknown_key

    data = mapping(spec, path, data, "data")
    for name, entry in data.items():
        if name not in DEMO_DATA:
            raise unknown_key(spec, path, name, list(DEMO_DATA), "data")
        entry = mapping(spec, path + (name,), entry, f"data/{name}")
        check_options(spec, path + (name,), entry, INPUT_SCHEMA, f"data/{name}")
        where = [k for k in ("file", "files", "folder", "extract") if k in entry]
        if len(where) != 1:
            raise spec.error("SM702", path + (name,), f"data/{name} needs exactly one of file, files, folder, "
                             f"extract; got {where or 'none'}.")
        folder_input = name.endswith("_reports")
        if folder_input != bool({"folder", "extract"} & set(entry)):
            raise spec.error("SM703", path + (name,), f"data/{name} is a " + (
                "folder of reports: give folder or extract." if folder_input else "table: give file or files."))
        if isinstance(entry.get("map"), list) and len(entry["map"]) != len(entry.get("files") or [None]):
            raise spec.error("SM702", path + (name, "map"), f"data/{name}/map lists {len(entry['map'])} maps for "
                             f"{len(entry.get('files') or [None])} files.", "give one map per file, or one map for all.")
    return data


PATH_KEYS = ("file", "files", "folder", "extract", "description")


def resolve(declared: dict, base: str | Path) -> dict:
    """The declaration with every path made absolute against ``base`` (the folder it is relative to)."""
    base = Path(base).resolve()
    out = {}
    for name, e in declared.items():
        e = dict(e)
        for k in PATH_KEYS:
            if k in e:
                e[k] = [str(base / p) for p in e[k]] if k == "files" else str(base / e[k])
        maps = e.get("map")
        if maps is not None:   # a map file is relative to the declaration too; bundled names and mappings are not
            e["map"] = ([_map_path(m, base) for m in maps] if isinstance(maps, list) else _map_path(maps, base))
        out[name] = e
    return out


def _map_path(m, base: Path):
    return str(base / m) if isinstance(m, str) and m.lower().endswith((".yaml", ".yml")) else m


def read_declaration(path: str | Path) -> dict:
    """A data-declaration file (YAML, optionally under a top-level ``data:`` key), validated, paths resolved."""
    from .spec import parse

    p = Path(path)
    if not p.is_file():
        raise SMError("SM706", f"data declaration {p} does not exist.", "pass the YAML file that declares your inputs.")
    from ..io.safe_yaml import read_text

    spec = parse(read_text(p, "data declaration", "SM701"), source=p.name)
    path_in = ("data",) if set(spec.data) == {"data"} else ()
    data = spec.data["data"] if path_in else spec.data
    return resolve(check_declaration(spec, path_in, data), p.parent)


class Inputs:
    """The input files of one study.

    Parameters
    ----------
    root : path, optional
        A world folder in the demo layout (``--world``): each input of :data:`DEMO_DATA`
        whose file exists there is an input. None: only the declared inputs.
    declared : dict, optional
        A declaration with absolute paths (:func:`resolve`, :func:`read_declaration`); it
        replaces the world's entries it names.
    """

    def __init__(self, root: str | Path | None = None, declared: dict | None = None):
        self.root = Path(root) if root is not None else None
        self.world = resolve(DEMO_DATA, self.root) if self.root is not None else {}
        found = {n: e for n, e in self.world.items() if Path(e.get("file") or e.get("folder")).exists()}
        self.entries = {**found, **(declared or {})}
        self.world_tables = set(found) - set(declared or {})

    def declared(self, name: str) -> bool:
        """Whether input ``name`` is declared, or present in the world folder."""
        return name in self.entries

    def entry(self, name: str) -> dict:
        return self.entries[name]

    def _paths(self, name: str) -> list[Path]:
        e = self.entries.get(name)
        if e is None:
            return []
        return [Path(p) for p in e.get("files") or [e.get("file") or e.get("folder") or e.get("extract")]]

    def path(self, name: str) -> Path | None:
        """Path of input ``name`` (its first file, its folder or its extraction output; it may not
        exist); None when it is not declared."""
        paths = self._paths(name)
        return paths[0] if paths else None

    def exists(self, name: str) -> bool:
        paths = self._paths(name)
        return bool(paths) and all(p.exists() for p in paths)

    def missing(self, name: str) -> str:
        """Why input ``name`` cannot be read (for SM706 messages)."""
        paths = self._paths(name)
        if not paths:
            where = f" and {self.world[name].get('file') or self.world[name].get('folder')} does not exist" \
                if name in self.world else ""
            return f"the input {name!r} is not declared{where}"
        return f"the input {name!r} is declared, but {next(p for p in paths if not p.exists())} does not exist"

    def extract_dir(self, name: str) -> Path | None:
        """The `smtext extract` output declared for a report folder (``extract:``), else None."""
        return self.path(name) if "extract" in self.entries.get(name, {}) else None

    def require(self, name: str, needed_by: str) -> Path:
        """Path of input ``name``; SM706 naming ``needed_by`` when it is not declared or a file is missing."""
        if not self.exists(name):
            raise SMError("SM706", f"{needed_by} needs {self.missing(name)}.",
                          f"declare where your {name} file is (smtext run --data FILE; `smtext run --help-spec`, "
                          f"section Data), or remove {needed_by} from the spec.")
        return self.path(name)

    def read(self, name: str, needed_by: str, *, info: dict | None = None, **kwargs) -> pd.DataFrame:
        """Read a table input into a DataFrame with smtext's column names.

        ``info`` (a stage's record) receives what :mod:`smtext.io` did to the table (codes fixed,
        rows dropped by period or statement type, units scaled), so cached runs still report it.
        """
        self.require(name, needed_by)
        e = self.entry(name)
        paths = self._paths(name)
        suffix = paths[0].suffix.lower()
        plain = (len(paths) == 1 and "map" not in e and e.get("layout", "auto") in ("auto", "plain")
                 and (suffix == ".parquet" or (suffix == ".csv" and name in self.world_tables)))
        if plain:   # Parquet, and the demo world's own CSV (UTF-8): read as they are
            if paths[0].suffix.lower() == ".csv":
                return pd.read_csv(paths[0], encoding="utf-8-sig", **kwargs)
            return pd.read_parquet(paths[0], **kwargs)
        from .. import io

        keys = KEYS.get(name) or ()
        if not set(keys) <= {"stkcd", "year"}:
            keys = ()   # city tables: smtext.io keys firms and firm-years only; their stage checks the rest
        opts = dict(layout=e.get("layout", "auto"), statement=e.get("statement", "consolidated"), sheet=e.get("sheet"),
                    encoding=e.get("encoding"), keys=keys,
                    # the panel keeps a repeated firm-year's first row and counts it, whatever the format
                    duplicates="first" if name == "financials" else "error")
        maps = e.get("map")
        if len(paths) > 1:
            maps = maps if isinstance(maps, list) else [maps] * len(paths)
            res = io.read_panels(list(zip(paths, maps)), **opts)
        else:
            if e.get("description"):
                opts["description"] = Path(e["description"])
            res = io.read_panel(paths[0], maps, **opts)
        if info is not None:
            info.setdefault("inputs", {})[name] = res.report
        data = res.data
        if kwargs.get("dtype"):
            data = data.astype({k: v for k, v in kwargs["dtype"].items() if k in data.columns})
        return data

    def check(self, spec) -> None:
        """SM706, naming the spec line, for the first input the spec's stages need that is missing."""
        needs = [(n, ("treatment",), "the panel and treatment") for n in PANEL_NEEDS]
        for name in spec.get("measures") or {}:
            needs += [(n, ("measures", name), f"measures/{name}") for n in MEASURES[name].meta.get("needs", ())]
        for name, path, who in needs:
            if not self.exists(name):
                raise spec.error("SM706", path, f"{who} needs {self.missing(name)}.",
                                 f"declare your {name} file under data: (in the spec or in smtext run --data FILE).")

    def tables_hash(self) -> str:
        """Hash of every declared table that exists (not the PDF folders: extraction keys on those itself)."""
        found = {}
        for name, e in sorted(self.entries.items()):
            if name == "truth" or name.endswith("_reports"):
                continue
            paths = self._paths(name)
            if all(p.is_file() for p in paths):
                found[name] = [file_sha256(p) for p in paths] + [stable_hash({k: v for k, v in e.items() if k not in PATH_KEYS})]
        if not found:
            raise SMError("SM706", "none of the input tables were found" + (f" under {self.root}." if self.root else "."),
                          "generate a demo world with `smtext demo generate --out DIR`, or declare your data "
                          "with `smtext run SPEC --data FILE`.")
        return stable_hash(found)

    def folder_fingerprint(self, name: str) -> str:
        """Cheap fingerprint of a PDF folder or extraction output: a changed or added report re-runs what reads it."""
        folder = self.path(name)
        if folder is None:
            return ""
        if self.extract_dir(name) is not None:
            docs = folder / "documents.parquet"
            return file_sha256(docs) if docs.exists() else ""
        files = sorted(f for f in folder.rglob("*") if f.suffix.lower() == ".pdf") if folder.is_dir() else []
        return stable_hash([(str(f.relative_to(folder)), f.stat().st_size, f.stat().st_mtime_ns) for f in files])
