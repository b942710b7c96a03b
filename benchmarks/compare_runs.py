"""Check that a restructuring did not move any number: record every estimate a run tabulates, then compare.

``record`` runs an ``smtext`` command in this process with a hook on
:func:`smtext.report.tables.regression_table` that writes one row per model term
(table title, column, term, estimate, standard error, N) to a CSV, at full precision.
Pass ``--force`` to the command so that cached stages are fitted again.

``compare`` matches two such files by (title, column, term) and prints the largest
differences; it exits with status 1 when an estimate or standard error differs by more
than ``--tol`` or a row is missing on one side. ``--map`` names a JSON file that renames
tables (``{"old title": "new title"}``) or also renumbers their columns
(``{"old title": {"title": "new title", "columns": {"6": 7}}}``) and drops the rows of
intentionally changed columns (``{"old title": {"skip": [1, 2]}}``) or tables (``{"old title": null}``).

Usage::

    python benchmarks/compare_runs.py record before.csv -- run paper000 --world W --out O --force
    python benchmarks/compare_runs.py compare before.csv after.csv --tol 1e-10
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path


def record(out: str, argv: list[str]) -> int:
    """Run ``smtext ARGV`` here, appending every tabulated estimate to ``out``."""
    import smtext.report.tables as tables
    from smtext.cli import app

    original = tables.regression_table
    Path(out).unlink(missing_ok=True)

    def hooked(models, *args, **kwargs):
        with open(out, "a", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            for k, m in enumerate(models if isinstance(models, (list, tuple)) else [models], start=1):
                try:
                    t = m.tidy()
                except AttributeError:   # a pyfixest / statsmodels object: the table reads it itself
                    continue
                for term, r in t.iterrows():
                    w.writerow([kwargs.get("title"), k, term, repr(float(r["estimate"])),
                                repr(float(r["std_error"])), getattr(m, "nobs", "")])
        return original(models, *args, **kwargs)

    tables.regression_table = hooked
    try:
        app(argv, standalone_mode=False)
    finally:
        tables.regression_table = original
    return 0


def _read(path: str, mapping: dict | None = None) -> dict:
    rows = {}
    with open(path, encoding="utf-8") as f:
        for title, col, term, est, se, nobs in csv.reader(f):
            col = int(col)
            if mapping is not None and title in mapping:
                m = mapping[title]
                if m is None:
                    continue
                if isinstance(m, str):
                    title = m
                elif col in m.get("skip", []):
                    continue
                else:
                    title, col = m.get("title", title), int(m.get("columns", {}).get(str(col), col))
            rows[(title, col, term)] = (float(est), float(se), nobs)
    return rows


def compare(a: str, b: str, tol: float, mapping_file: str | None) -> int:
    """Compare two recorded files; 0 when every shared row agrees within ``tol`` and none is missing."""
    mapping = json.loads(Path(mapping_file).read_text(encoding="utf-8")) if mapping_file else None
    left, right = _read(a, mapping), _read(b)
    if mapping:  # tables new in the second run, and skipped columns, are not compared
        titles = {k[0] for k in left}
        skipped = {(m.get("title", t), c) for t, m in mapping.items() if isinstance(m, dict) for c in m.get("skip", [])}
        right = {k: v for k, v in right.items() if k[0] in titles and k[:2] not in skipped}
    missing = sorted(set(left) - set(right))
    extra = sorted(set(right) - set(left))
    worst, bad = 0.0, []
    for key in sorted(set(left) & set(right), key=str):
        (e1, s1, n1), (e2, s2, n2) = left[key], right[key]
        d = max(abs(e1 - e2), abs(s1 - s2) if s1 == s1 and s2 == s2 else 0.0)
        worst = max(worst, d)
        if d > tol or str(n1) != str(n2):
            bad.append((key, e1, e2, s1, s2, n1, n2))
    print(f"{len(set(left) & set(right))} rows compared; largest difference {worst:.3g} (tolerance {tol:g})")
    for row in bad[:20]:
        print("  differs:", row)
    for key in missing[:20]:
        print("  only in the first:", key)
    for key in extra[:20]:
        print("  only in the second:", key)
    return 1 if bad or missing or extra else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out")
    r.add_argument("argv", nargs=argparse.REMAINDER)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--tol", type=float, default=1e-10)
    c.add_argument("--map", default=None)
    args = p.parse_args()
    if args.cmd == "record":
        return record(args.out, [a for a in args.argv if a != "--"])
    return compare(args.a, args.b, args.tol, args.map)


if __name__ == "__main__":
    sys.exit(main())
