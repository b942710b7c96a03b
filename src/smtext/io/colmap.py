"""Column maps: which column of a source is which canonical smtext column, in what unit.

A map is a small YAML file::

    name: csmar_fs_combas
    source: CSMAR 中国上市公司财务报表数据库, 资产负债表 FS_Combas
    layout: csmar                      # optional: the layout the export has
    keys:                              # roles: stkcd, period (a date or year) or year, statement
      stkcd: Stkcd
      period: Accper
      statement: Typrep
    columns:
      total_assets:                    # a canonical column (smtext.io.CANONICAL) or your own name
        field: A001000000              # the source column (matched exactly, then ignoring case,
        label: 资产总计                 #   then by this Chinese name in the names row)
        unit: 元                        # unit of the source values when the file does not say
        meaning: total assets at the fiscal year end
        confirmed: true                # false = the code could not be checked against the source's
        note: ...                      #   documentation; the note says what is uncertain
        required: false                # true = reading fails (SM032) when the column is absent
        transform: year                # optional: 'year' takes the year of a date (Listdt -> listing_year)
        values: {国企: 1, 民营: 0}       # optional: recode text values (others become missing, counted)

``columns`` entries may also be written ``total_assets: A001000000``. Maps shipped with
smtext live in ``smtext/io/maps/`` and are named by file stem (:func:`bundled_maps`).
"""

from __future__ import annotations

import dataclasses

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import SMError
from . import safe_yaml
from .canonical import CANONICAL

__all__ = ["ColumnMap", "MappedColumn", "load_colmap", "bundled_maps"]

MAX_BYTES = 256 * 1024      # a map is a page of YAML; anything larger is not a map
MAX_COLUMNS = 1000
_TOP = {"name", "description", "source", "layout", "table", "keys", "columns", "notes"}
_COLUMN_KEYS = {"field", "label", "unit", "meaning", "confirmed", "note", "source", "required", "transform",
                "values", "kind"}
_ROLES = {"stkcd", "period", "year", "statement"}
_TRANSFORMS = {"year"}


@dataclass(frozen=True)
class MappedColumn:
    """One entry of a column map (see the module docstring for the fields)."""

    name: str
    field: str
    label: str | None = None
    unit: str | None = None
    meaning: str | None = None
    confirmed: bool = True
    note: str | None = None
    required: bool = False
    transform: str | None = None
    values: dict | None = None
    kind: str | None = None

    @property
    def canonical_unit(self) -> str | None:
        """The canonical unit of this column (None for a column smtext does not know)."""
        c = CANONICAL.get(self.name)
        return c.unit if c else None


@dataclass(frozen=True)
class ColumnMap:
    """A source's columns -> canonical columns.

    Attributes
    ----------
    name : str
    source : str
        Which database and table the map describes.
    keys : dict
        Role (``stkcd``, ``period`` or ``year``, ``statement``) -> source column.
    columns : tuple of MappedColumn
    layout : str or None
        The layout the export is expected to have.
    path : str or None
        File the map was read from.
    keep_unmapped : bool
        Keep the source's other columns under their own names (an inline ``{source: canonical}``
        map renames; a vendor map keeps only what it maps, field codes meaning nothing).
    """

    name: str
    source: str
    keys: dict
    columns: tuple
    layout: str | None = None
    path: str | None = None
    keep_unmapped: bool = False

    def unconfirmed(self) -> list[str]:
        """Canonical columns whose source code could not be confirmed (``confirmed: false``)."""
        return [c.name for c in self.columns if not c.confirmed]


def _maps_dir():
    return resources.files("smtext.io") / "maps"


def bundled_maps() -> dict[str, str]:
    """Maps shipped with smtext: name -> the source it describes."""
    out = {}
    for f in sorted(_maps_dir().iterdir(), key=lambda p: p.name):
        if f.name.endswith(".yaml"):
            doc = safe_yaml.load(f.read_text(encoding="utf-8"), f.name, "SM031") or {}
            out[f.name[:-5]] = str(doc.get("source", ""))
    return out


def _entry(name: str, spec, where: str) -> MappedColumn:
    if isinstance(spec, str):
        return MappedColumn(name, spec)
    if not isinstance(spec, dict) or "field" not in spec:
        raise SMError("SM031", f"{where}: column {name!r} needs a 'field' (the source column name).",
                      f"write '{name}: {{field: SOURCE_COLUMN, unit: 元}}' or '{name}: SOURCE_COLUMN'.")
    extra = set(spec) - _COLUMN_KEYS
    if extra:
        raise SMError("SM031", f"{where}: column {name!r} has unknown keys {sorted(extra)}.",
                      f"use only {sorted(_COLUMN_KEYS)}.")
    if spec.get("transform") not in (None, *_TRANSFORMS):
        raise SMError("SM031", f"{where}: column {name!r} has transform {spec['transform']!r}.",
                      f"use one of {sorted(_TRANSFORMS)} or leave it out.")
    if spec.get("values") is not None and not isinstance(spec["values"], dict):
        raise SMError("SM031", f"{where}: 'values' of {name!r} must map source values to codes.",
                      "write values: {国企: 1, 民营: 0}.")
    if spec.get("kind") not in (None, "float", "int", "str"):
        raise SMError("SM031", f"{where}: kind of {name!r} must be float, int or str.")
    values = {str(k): v for k, v in spec["values"].items()} if spec.get("values") else None
    return MappedColumn(name, str(spec["field"]), spec.get("label"), None if spec.get("unit") is None else str(spec["unit"]),
                        spec.get("meaning"), bool(spec.get("confirmed", True)), spec.get("note"),
                        bool(spec.get("required", False)), spec.get("transform"), values, spec.get("kind"))


def _from_doc(doc, where: str, path: str | None) -> ColumnMap:
    if not isinstance(doc, dict):
        raise SMError("SM031", f"{where} is not a mapping with 'keys' and 'columns'.", "see smtext.io.colmap's docstring.")
    extra = set(doc) - _TOP
    if extra:
        raise SMError("SM031", f"{where} has unknown top-level keys {sorted(extra)}.", f"use only {sorted(_TOP)}.")
    keys = doc.get("keys") or {}
    cols = doc.get("columns") or {}
    if not isinstance(keys, dict) or not isinstance(cols, dict):
        raise SMError("SM031", f"{where}: 'keys' and 'columns' must be mappings.", "see smtext.io.colmap's docstring.")
    bad = set(keys) - _ROLES
    if bad:
        raise SMError("SM031", f"{where}: unknown key roles {sorted(bad)}.", f"use {sorted(_ROLES)}.")
    if "period" in keys and "year" in keys:
        raise SMError("SM031", f"{where}: give either 'period' (a date) or 'year', not both.")
    if len(cols) > MAX_COLUMNS:
        raise SMError("SM031", f"{where} maps {len(cols)} columns (more than {MAX_COLUMNS}).", "split the map.")
    role_fields = {}
    for role, spec in keys.items():
        role_fields[role] = str(spec["field"] if isinstance(spec, dict) else spec)
    entries = tuple(_entry(str(n), s, where) for n, s in cols.items())
    clash = {"stkcd", "year"} & {e.name for e in entries}
    if clash:
        raise SMError("SM031", f"{where}: {sorted(clash)} are keys; declare them under 'keys', not 'columns'.")
    return ColumnMap(str(doc.get("name") or (Path(path).stem if path else "map")), str(doc.get("source", "")),
                     role_fields, entries, doc.get("layout"), path)


def load_colmap(spec) -> ColumnMap:
    """A column map from a bundled name (``"csmar_fs_combas"``), a YAML file, a mapping, or a ColumnMap.

    A mapping is either a map document (``keys`` / ``columns``, as in a map file) or the
    shorthand ``{source column: canonical name}`` (as a study's data declaration writes it):
    ``stkcd``, ``year``, ``period`` and ``statement`` become keys, every other name a column,
    and the source's other columns are kept under their own names.

    Raises
    ------
    SMError
        SM030 when no bundled map has that name and no such file exists; SM031 when the
        YAML is not valid, larger than 256 KB, or not a map of the documented shape.
    """

    if isinstance(spec, ColumnMap):
        return spec
    if isinstance(spec, dict):
        if set(spec) & {"keys", "columns"}:
            return _from_doc(spec, "column map", None)
        bad = [k for k, v in spec.items() if not isinstance(v, str)]
        if bad:
            raise SMError("SM031", f"column map: {bad} map to {[spec[k] for k in bad]}, not a column name.",
                          "write {source column: canonical name}, e.g. {证券代码: stkcd, 子公司名称: subsidiary_name}.")
        keys = {v: str(k) for k, v in spec.items() if v in _ROLES}
        cols = {v: str(k) for k, v in spec.items() if v not in _ROLES}
        return dataclasses.replace(_from_doc({"name": "declared", "keys": keys, "columns": cols}, "column map", None),
                                   keep_unmapped=True)
    text, where, path = None, str(spec), None
    p = Path(spec)
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise SMError("SM030", f"column map file {p} does not exist.",
                          f"check the path, or use a bundled map: {sorted(bundled_maps())}.")
        if p.stat().st_size > MAX_BYTES:
            raise SMError("SM031", f"column map {p} is {p.stat().st_size:,} bytes (a map is at most {MAX_BYTES:,}).",
                          "pass the map file, not a data file.")
        text, path = safe_yaml.read_text(p, "column map", "SM031", MAX_BYTES), str(p)
    else:
        f = _maps_dir() / f"{spec}.yaml"
        if not f.is_file():
            raise SMError("SM030", f"no bundled column map is called {spec!r}.",
                          f"use one of {sorted(bundled_maps())}, or a path to your own .yaml map.")
        text, path = f.read_text(encoding="utf-8"), f"smtext:io/maps/{spec}.yaml"
    doc = safe_yaml.load(text, f"column map {where}", "SM031")
    return _from_doc(doc, where, path)
