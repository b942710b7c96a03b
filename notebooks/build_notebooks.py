"""Write and execute the per-paper walkthrough notebooks (``notebooks/paper00X.ipynb``).

The notebooks are generated from the cells below so that they stay in step with the specs, then
executed top to bottom with nbclient; outputs are kept small (tables as text, no images).

Usage::

    pip install -e ".[notebooks]"
    python notebooks/build_notebooks.py            # all five, about 3 minutes on 2 cores
    python notebooks/build_notebooks.py paper003   # one

Each notebook generates (once) a small demo world in ``notebooks/_world`` (60 firms) and
writes its outputs to ``notebooks/_out/<paper>``; both folders are ignored by git.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

PAPERS = {
    "paper000": {
        "title": "论文000：智能制造试点示范与出口企业全要素生产率",
        "question": "Does selection as a smart-manufacturing pilot raise the TFP (Levinsohn-Petrin) of exporting "
                    "A-share firms? Staggered DID with firm and year FE, PSM-DID, IV, lags, robustness, "
                    "heterogeneity and mechanisms (paper 000, Tables 2-8, Figures 1-3).",
        "tables": ["table3_baseline", "table5_endogeneity"],
        "remeasure": ("text", "filters: [negation]", "filters: []",
                      "Drop the negation filter of the smart-manufacturing word count: only the text stage, "
                      "the data set and the one table that uses the word frequency (Table 6) run again."),
    },
    "paper001": {
        "title": "论文001：智能制造与企业出口贸易",
        "question": "Does the pilot raise exports of manufacturing firms? Baseline with progressive FE, event study, "
                    "placebo, PSM, Digital (Wu Fei 2021 lexicon), SA index and supply-chain concentration "
                    "mechanisms, heterogeneity (paper 001, Tables 2-7, Figures 1-3).",
        "tables": ["table3_baseline", "table5_mechanisms"],
        "remeasure": ("text", "filters: [negation]", "filters: [negation, third_party]",
                      "Also drop mentions whose subject is a customer or supplier: the Digital and smart-"
                      "manufacturing indices change, and only the tables that use them run again."),
    },
    "paper002": {
        "title": "论文002：智能制造政策与企业新质生产力",
        "question": "Does the pilot raise new quality productive forces, measured four ways (entropy-weight NQPF, "
                    "Word2Vec N_ML from analyst reports, N_TFP, NPRO)? Clean controls whose reports never mention "
                    "smart manufacturing; PSM, entropy balancing, IV, two-stage DID, Heckman, DML, competing "
                    "policies, Goodman-Bacon and dCDH weights, 14 mechanisms, heterogeneity (paper 002).",
        "tables": ["table4_baseline", "table_bacon"],
        "remeasure": ("nml", "threshold: 0.9", "threshold: 0.99",
                      "Raise the Word2Vec similarity cut-off of N_ML to 0.99: the N_ML stage and the data set run "
                      "again, and of the tables only those whose N_ML column changed (had the kept words stayed "
                      "the same, no table would re-run)."),
    },
    "paper003": {
        "title": "论文003：人工智能推动企业出口升级了吗",
        "question": "Does robot penetration (Wang & Dong 2020 shift-share) raise the export domestic value-added "
                    "ratio (Upward-Wang-Zheng DVAR from customs records)? Robustness, heterogeneity, internal and "
                    "upstream/downstream mechanisms, the DVAR gap and the Theil index (paper 003, Tables 1-8).",
        "tables": ["table1_baseline", "table7_external"],
        "remeasure": ("robots", "robots: {scale: 1}", "robots: {scale: 1000}",
                      "Measure robots per thousand workers instead of per worker: the robots stage and the data "
                      "set run again while the DVAR measure (customs records) is reused; every table has Robot on "
                      "its right-hand side, so each is re-estimated, with the Robot coefficients scaled by 1/1000."),
    },
    "paper004": {
        "title": "论文004：智能制造试点的政策溢出与关键技术创新",
        "question": "Do non-pilot firms in a city that hosts a pilot file more key-technology invention patents "
                    "(SEI-IPC 2021 concordance) from the year after the announcement? Industry x year and "
                    "province x year FE, city clusters, IFE, IVs, PSM, technology similarity, market "
                    "exploration and innovation widths (paper 004, Tables 3-7).",
        "tables": ["table3_baseline", "table7_width"],
        "remeasure": ("patents", "patents: {scheme: sei_ipc_2021, similarity: true}",
                      "patents: {scheme: cnipa_kdt_2023, similarity: true}",
                      "Classify patents with the CNIPA 2023 key-digital-technology scheme instead of the SEI-IPC "
                      "2021 concordance: the patent stage and every table on patent outcomes run again."),
    },
}


def cells(paper: str, meta: dict) -> list:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    tables = "\n".join(
        f'print((res.out / "tables" / "{t}.md").read_text(encoding="utf-8"))' for t in meta["tables"])
    stage, old, new, why = meta["remeasure"]
    return [
        md(f"# {meta['title']}\n\n{meta['question']}\n\n"
           f"The whole replication is one spec, `src/smtext/study/specs/{paper}.yaml`, and one call: "
           f"`smtext run {paper} --world DIR --out DIR` (or `smtext.study.run_study`). This notebook runs it on a "
           "small demo world, checks the estimate against the effect the world planted, shows two tables, "
           "and re-measures one variable to show that only what depends on it is re-run."),
        code("import warnings\nfrom pathlib import Path\n\nfrom smtext.demo import WorldConfig, generate_world\n"
             "from smtext.study import load, loads, run_study\n\n"
             "warnings.simplefilter('ignore')   # coded SMxxx warnings (rows dropped ...) go to each stage's record\n"
             "world = Path('_world')\nif not (world / 'truth.json').exists():\n"
             "    generate_world(world, WorldConfig(n_firms=60, seed=7))\n"
             f"spec = load('{paper}')\nprint(spec.source, '-', len(spec.get('tables')), 'tables,',"
             " len(spec.get('figures') or {}), 'figures')"),
        md("## Run the spec\nEvery stage is cached under `OUT/stages`; the timings show what ran."),
        code(f"res = run_study(spec, world, Path('_out') / '{paper}')\n"
             "print(res.timings().to_string(index=False))"),
        md("## The planted effect\nThe demo world states its planted effect in `truth.json`; the spec names the "
           "table, column and term to compare with."),
        code("res.truth"),
        md("## Tables (Markdown; .tex, .html, .xlsx and .docx sit beside them)"),
        code(tables),
        md(f"## Re-measure one variable\n{why}"),
        code("from importlib import resources\n\n"
             f"text = (resources.files('smtext.study.specs') / '{paper}.yaml').read_text(encoding='utf-8')\n"
             f"changed = loads(text.replace({old!r}, {new!r}), source='{paper}.yaml')\n"
             f"again = run_study(changed, world, Path('_out') / '{paper}')\n"
             "print('re-ran:', again.ran())"),
        md("## On your own data\nPut your tables in a folder with the demo world's layout (`data/financials.parquet`, "
           "`data/firms.parquet`, `data/pilot_list.csv`, ... and `reports/annual/` for text measures), copy the spec, "
           "point `--world` at the folder and edit the variable definitions. A misspelt column fails at once with "
           "the spec line (SM704)."),
    ]


def build(paper: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells(paper, PAPERS[paper])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    path = HERE / f"{paper}.ipynb"
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    for name in sys.argv[1:] or list(PAPERS):
        print("wrote", build(name), flush=True)
