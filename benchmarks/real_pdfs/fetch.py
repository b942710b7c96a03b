"""Put the real annual-report PDFs of ``sources.csv`` into the local cache and verify them.

The PDFs are public cninfo downloads that other public repositories committed; they
are never committed here. This script copies them from where you have them into
``.smtext_cache/real_pdfs/`` at the repository root (or ``$SMTEXT_REAL_PDFS``, or
``--cache``) under the names in ``sources.csv``, then checks every sha256.

Sources (``--from``, repeatable):

* a folder holding the PDFs under any names (searched recursively; files are
  matched by size and sha256, so a checkout of a source repository works);
* a git repository, checkout or bare (the blob ``commit:path`` of ``sources.csv``
  is read with ``git cat-file``, so the file need not be checked out);
* a folder of such repositories named ``owner+name`` (``owner+name/repo`` also works).

Usage::

    python benchmarks/real_pdfs/fetch.py --from ~/Downloads/reports --from ../DB-GPT
    python benchmarks/real_pdfs/fetch.py --check        # only verify the cache

Exit status 0 when every file is present with its sha256, 1 otherwise (the missing
or mismatched files are listed).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOURCES = HERE / "sources.csv"


def default_cache() -> Path:
    env = os.environ.get("SMTEXT_REAL_PDFS")
    return Path(env) if env else ROOT / ".smtext_cache" / "real_pdfs"


def read_sources(path: Path = SOURCES) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _git_dir(path: Path) -> bool:
    out = subprocess.run(["git", "-C", str(path), "rev-parse", "--git-dir"], check=False, capture_output=True, text=True)
    return out.returncode == 0 and Path(path, out.stdout.strip()).resolve().is_relative_to(path.resolve())


def _git_blob(repo: Path, commit: str, path: str) -> bytes | None:
    for rev in (commit, "HEAD"):
        out = subprocess.run(["git", "-C", str(repo), "cat-file", "blob", f"{rev}:{path}"], check=False, capture_output=True)
        if out.returncode == 0:
            return out.stdout
    return None


def _mirror_repos(folder: Path) -> dict[str, Path]:
    """``owner+name`` sub-folders (or their ``repo`` child) that are git repositories."""
    found = {}
    for sub in folder.iterdir() if folder.is_dir() else ():
        if "+" not in sub.name or not sub.is_dir():
            continue
        for cand in (sub / "repo", sub):
            if cand.is_dir() and _git_dir(cand):
                found[sub.name.replace("+", "/", 1)] = cand
                break
    return found


def _store(data: bytes, row: dict, cache: Path) -> bool:
    if len(data) != int(row["size"]) or sha256_bytes(data) != row["sha256"]:
        return False
    tmp = cache / (row["file"] + ".part")
    tmp.write_bytes(data)
    tmp.replace(cache / row["file"])
    return True


def collect(sources: list[Path], rows: list[dict], cache: Path) -> list[str]:
    """Copy every file of ``rows`` not yet valid in ``cache`` from ``sources``; return the names copied."""
    cache.mkdir(parents=True, exist_ok=True)
    todo = {r["file"]: r for r in rows if not _valid(cache / r["file"], r)}
    copied = []
    for src in sources:
        if not todo:
            break
        src = src.expanduser()
        repos = _mirror_repos(src)
        if _git_dir(src):
            repos = {r["source_repo"]: src for r in todo.values()} | repos
        for name, row in list(todo.items()):
            repo = repos.get(row["source_repo"])
            data = _git_blob(repo, row["commit"], row["source_path"]) if repo else None
            if data is not None and _store(data, row, cache):
                copied.append(name)
                del todo[name]
        if not todo or not src.is_dir():
            continue
        by_size: dict[int, list[dict]] = {}
        for row in todo.values():
            by_size.setdefault(int(row["size"]), []).append(row)
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            for fn in filenames:
                path = Path(dirpath, fn)
                try:
                    size = path.stat().st_size
                except OSError:
                    continue
                for row in by_size.get(size, []):
                    if row["file"] in todo and sha256_file(path) == row["sha256"]:
                        shutil.copyfile(path, cache / (row["file"] + ".part"))
                        (cache / (row["file"] + ".part")).replace(cache / row["file"])
                        copied.append(row["file"])
                        del todo[row["file"]]
                        break
    return copied


def _valid(path: Path, row: dict) -> bool:
    return path.is_file() and path.stat().st_size == int(row["size"]) and sha256_file(path) == row["sha256"]


def verify(rows: list[dict], cache: Path) -> tuple[list[str], list[str]]:
    """Names missing from ``cache`` and names present with another sha256."""
    missing, mismatched = [], []
    for row in rows:
        path = cache / row["file"]
        if not path.is_file():
            missing.append(row["file"])
        elif not _valid(path, row):
            mismatched.append(row["file"])
    return missing, mismatched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="sources", action="append", default=[], type=Path, metavar="DIR",
                        help="folder with the PDFs, a git repository, or a folder of owner+name repositories")
    parser.add_argument("--cache", type=Path, default=None, help="cache folder (default: $SMTEXT_REAL_PDFS or .smtext_cache/real_pdfs)")
    parser.add_argument("--check", action="store_true", help="only verify the cache")
    args = parser.parse_args(argv)
    cache = args.cache or default_cache()
    rows = read_sources()
    if not args.check:
        copied = collect(args.sources, rows, cache)
        for name in copied:
            print(f"copied   {name}")
    missing, mismatched = verify(rows, cache)
    for row in rows:
        state = "MISSING " if row["file"] in missing else "MISMATCH" if row["file"] in mismatched else "ok      "
        print(f"{state} {row['file']}  {row['stock_code']} {row['company']} {row['year']}  ({row['source_repo']})")
    print(f"{len(rows) - len(missing) - len(mismatched)} of {len(rows)} reports in {cache}")
    return 1 if missing or mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
