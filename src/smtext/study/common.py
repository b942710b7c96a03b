"""Small helpers shared by the study stages: world fingerprints, pilot matching, filters."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import SMError
from ..manifest import file_sha256, stable_hash

ID, TIME = "stkcd", "year"
TABLE_FORMATS = ("md", "html", "tex", "xlsx", "docx")
STAGE_VERSION = "2"     # bump when a stage body's helpers change their output
# fixed-effect rows as the papers print them (企业固定效应, 行业×年份固定效应); a spec's labels win
FE_LABELS = {ID: "企业", TIME: "年份", "industry": "行业", "province": "省份", "city": "城市"}


def _world_hash(world: Path) -> str:
    """Hash of the world's tables (not its PDFs: the extract stage keys on those through the corpus)."""
    files = sorted((world / "data").glob("*"))
    if not files:
        raise SMError("SM706", f"{world}/data has no files; this is not a demo world or study input folder.",
                      "generate one with `smtext demo generate --out DIR`, or pass --world.")
    return stable_hash({f.name: file_sha256(f) for f in files})


def _reports_fingerprint(folder: Path) -> str:
    """Cheap fingerprint of a PDF folder (path, size, mtime): a changed or added report re-runs extraction."""
    files = sorted(folder.rglob("*.pdf")) if folder.is_dir() else []
    return stable_hash([(str(f.relative_to(folder)), f.stat().st_size, f.stat().st_mtime_ns) for f in files])


def _matched_pilots(world: Path, firms: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pilot list with matched ``stkcd`` (NaN for unlisted applicants) and the match table."""
    from ..patents.applicants import match_applicants

    subs = pd.read_parquet(world / "data" / "subsidiaries.parquet")
    pilots = pd.read_csv(world / "data" / "pilot_list.csv", encoding="utf-8-sig", dtype={"年份": int})
    match = match_applicants(pilots["申报单位"], firms, subs)
    out = pilots.merge(match.table[["name", "stkcd"]], left_on="申报单位", right_on="name", how="left")
    out = out.rename(columns={"年份": "year", "所在城市": "pilot_city"})
    return out, match.table


def _save_table(table, folder: Path, name: str) -> None:
    for fmt in TABLE_FORMATS:
        table.save(folder / "tables" / f"{name}.{fmt}")


def _apply_where(d: pd.DataFrame, where: dict | None) -> pd.DataFrame:
    """Keep rows matching ``{column: value | [values] | {not: value}}``."""
    for col, cond in (where or {}).items():
        if isinstance(cond, dict) and "not" in cond:
            bad = cond["not"] if isinstance(cond["not"], list) else [cond["not"]]
            d = d[~d[col].isin(bad)]
        else:
            d = d[d[col].isin(cond if isinstance(cond, list) else [cond])]
    return d


def _fe_columns(fe) -> list[str]:
    out = []
    for f in ([fe] if isinstance(fe, str) else fe or []):
        out += str(f).split("^")
    return out


