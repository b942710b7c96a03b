"""Benchmark: PDF text with and without system CJK fonts (demo reports use non-embedded STSong-Light).

The demo reports, like many Chinese PDFs, use the standard CID font STSong-Light without
embedding it, so PDFium substitutes a font from the system when it builds the text page.
Which font it finds changes the speed (and the text). Each configuration runs in its own
process, where PDFium is re-initialised with explicit font folders
(``FPDF_LIBRARY_CONFIG.m_pUserFontPaths``) -- so no fonts need to be installed or removed:

* ``builtin``: no system fonts (``FPDF_SetSystemFontInfo(NULL)``): PDFium's built-in fonts only;
* ``system``: PDFium's default folders (``/usr/share/fonts`` ...), whatever is installed;
* ``system+noto``: the default folders plus a folder with Noto CJK (``--noto DIR``: e.g.
  ``apt-get download fonts-noto-cjk && dpkg -x fonts-noto-cjk_*.deb DIR``).

Reported: pages/s of ``extract_pdf`` (the smtext pipeline) in each, the load average, the
substituted font family, and how many pages' raw text differs from the ``system`` text.

    python benchmarks/bench_fonts.py --pdfs DIR [--noto DIR] [--docs 100]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CHILD = r"""
import ctypes, json, sys, time
import pypdfium2 as pdfium
import pypdfium2.raw as raw
from pypdfium2 import _library_scope
from pypdfium2.internal import bases

mode, folders, files = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
if folders is not None:   # re-initialise PDFium with explicit font folders
    _library_scope.destroy_lib()
    arr = (ctypes.c_char_p * (len(folders) + 1))(*[f.encode() for f in folders], None)
    raw.FPDF_InitLibraryWithConfig(raw.FPDF_LIBRARY_CONFIG(
        version=2, m_pUserFontPaths=ctypes.cast(arr, ctypes.POINTER(ctypes.POINTER(ctypes.c_char))),
        m_pIsolate=None, m_v8EmbedderSlot=0))
    bases.LIBRARY_AVAILABLE = True
if mode == "builtin":
    raw.FPDF_SetSystemFontInfo(None)
from smtext.text.pdf import extract_pdf

pages, texts = 0, []
t0 = time.perf_counter()
for f in files:
    doc = extract_pdf(f)
    pages += doc.n_pages
    texts.append(doc.raw_pages)
seconds = time.perf_counter() - t0
pdf = pdfium.PdfDocument(files[0])
family = sorted({o.get_font().get_family_name() for i in range(len(pdf)) for o in pdf[i].get_objects()
                 if o.type == raw.FPDF_PAGEOBJ_TEXT})
print(json.dumps({"pages": pages, "seconds": seconds, "family": family, "texts": texts}, ensure_ascii=False))
"""


def run(mode: str, folders: list[str] | None, files: list[str]) -> dict:
    """Extract ``files`` in a fresh process with the given font folders; pages/s, family and texts."""
    load = os.getloadavg()[0]
    proc = subprocess.run([sys.executable, "-c", _CHILD, mode, json.dumps(folders), json.dumps(files)],
                          capture_output=True, text=True, check=True)
    out = json.loads(proc.stdout)
    out.update(mode=mode, load_avg=round(load, 2), pages_per_s=out["pages"] / out["seconds"])
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdfs", type=Path, required=True, help="folder of demo reports (searched recursively)")
    ap.add_argument("--noto", type=Path, default=None, help="folder holding Noto CJK fonts (optional)")
    ap.add_argument("--docs", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=2, help="configurations are run in turn this many times")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "fonts.json")
    args = ap.parse_args(argv)
    files = [str(p) for p in sorted(args.pdfs.rglob("*.pdf"))[: args.docs]]
    if not files:
        raise SystemExit(f"no PDFs under {args.pdfs}")
    configs = [("builtin", None), ("system", None)]
    if args.noto:
        configs.append(("system+noto", ["/usr/share/fonts", "/usr/local/share/fonts", str(args.noto)]))
    best: dict[str, dict] = {}
    for _ in range(args.rounds):           # interleaved, so a change of load hits every configuration
        for mode, folders in configs:
            r = run(mode, folders, files)
            if mode not in best or r["pages_per_s"] > best[mode]["pages_per_s"]:
                best[mode] = r
    ref = [p for doc in best["system"]["texts"] for p in doc]
    rows = []
    for mode, r in best.items():
        pages = [p for doc in r["texts"] for p in doc]
        rows.append({"fonts": mode, "family": ", ".join(r["family"]), "pages": r["pages"],
                     "pages_per_s": round(r["pages_per_s"], 1), "load_avg": r["load_avg"],
                     "x_system": round(r["pages_per_s"] / best["system"]["pages_per_s"], 2),
                     "pages_differing_from_system": sum(a != b for a, b in zip(pages, ref))})
    print(f"{len(files)} reports; best of {args.rounds} interleaved rounds")
    print(f"{'fonts':12s} {'substitute':24s} {'pages':>6s} {'pages/s':>8s} {'x system':>8s} {'load':>5s} {'text != system':>14s}")
    for r in rows:
        print(f"{r['fonts']:12s} {r['family'][:24]:24s} {r['pages']:6d} {r['pages_per_s']:8.1f} {r['x_system']:8.2f} "
              f"{r['load_avg']:5.1f} {r['pages_differing_from_system']:14d}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"docs": len(files), "results": rows}, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")
    return {"results": rows}


if __name__ == "__main__":
    main()
