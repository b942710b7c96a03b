"""Truth checks of a study (``truth:`` in a spec), each registered with its options.

On a demo world, ``truth.json`` states every planted parameter and effect; a check compares
one result of the run with one planted value (a path such as ``effects.tfp.att_treated_post``)
and returns rows of the recovery table written to ``truth_check.json`` and the report.
"""

from __future__ import annotations

import pandas as pd

from ..errors import SMError
from .registry import TRUTHS, Option


def lookup(truth: dict, dotted: str):
    """The value at a dotted path of ``truth.json`` (``effects.tfp.att_treated_post``)."""
    cur = truth
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            raise SMError("SM703", f"truth.json has no value at {dotted!r} (no key {part!r}).",
                          "check the path under 'truth' in the spec against the world's truth.json.")
        cur = cur[part]
    return cur


def _effect_or_value(spec, path: tuple, check: dict) -> None:
    if ("effect" in check) == ("value" in check):
        raise spec.error("SM702", path, "an estimate check needs exactly one of 'effect' (a path in truth.json) "
                                        "and 'value' (a number).")


@TRUTHS.register("estimate", "A coefficient of a table against a planted effect: covered when the planted value "
                             "lies in the estimate's 95% CI.",
                 schema=(Option("table", "str", "table name", required=True),
                         Option("column", "int", "printed column (1-based)", required=True, min=1, max=1000),
                         Option("term", "str", "term (default: the treatment dname)"),
                         Option("effect", "str", "dotted path of the planted value in truth.json"),
                         Option("value", "float", "the planted value itself, when truth.json states it in words "
                                                  "(0 for an outcome with no effect)"),
                         Option("label", "str", "row label in the recovery table"),
                         Option("note", "str", "what the planted value is")),
                 check=_effect_or_value)
def _estimate(check: dict, truth: dict, run) -> list[dict]:
    term = check.get("term", run.dname)
    est = pd.read_csv(run.stage_dir(f"table.{check['table']}") / "estimates.csv")
    row = est[(est["column"] == int(check["column"])) & (est["term"] == term)]
    if row.empty:
        raise run.spec.error("SM703", ("truth",), f"table {check['table']!r} has no term {term!r} in "
                             f"column {check['column']}.")
    r = row.iloc[0]
    value = float(lookup(truth, check["effect"]) if "effect" in check else check["value"])
    return [{"check": "estimate", "label": check.get("label", f"{check['table']} ({check['column']}) {term}"),
             "table": check["table"], "column": int(check["column"]), "term": term, "effect": check.get("effect", "value"),
             "planted": value, "estimate": float(r["estimate"]), "ci_low": float(r["ci_low"]),
             "ci_high": float(r["ci_high"]), "covered": bool(r["ci_low"] <= value <= r["ci_high"]),
             "note": check.get("note", "")}]


@TRUTHS.register("expansion", "The words a Word2Vec expansion kept against the planted synonyms: precision and "
                              "recall.",
                 schema=(Option("measure", "choice", "the expansion's measure", choices=("nml",), default="nml"),
                         Option("words", "str", "dotted path of the planted word list in truth.json", required=True),
                         Option("label", "str", "row label")))
def _expansion(check: dict, truth: dict, run) -> list[dict]:
    exp = pd.read_csv(run.stage_dir(check.get("measure", "nml")) / "expansion.csv", encoding="utf-8-sig")
    kept = set(exp.loc[exp["kept"].astype(bool) & (exp["kind"] != "seed"), "word"])
    planted = set(lookup(truth, check["words"]))
    tp = len(kept & planted)
    return [{"check": "expansion", "label": check.get("label", "Word2Vec expansion"), "effect": check["words"],
             "precision": tp / len(kept) if kept else float("nan"), "recall": tp / len(planted) if planted else 1.0,
             "kept": sorted(kept), "planted_words": sorted(planted)}]


@TRUTHS.register("tfp", "Each TFP method's elasticities against the planted production function.",
                 schema=(Option("elasticities", "mapping", "input (labour, capital) -> dotted path in truth.json",
                                required=True),
                         Option("label", "str", "row label")))
def _tfp(check: dict, truth: dict, run) -> list[dict]:
    coefs = pd.read_csv(run.stage_dir("tfp") / "coefficients.csv")
    names = {"labour": "ln_employees", "capital": "ln_fixed_assets_net"}
    rows = []
    for _, r in coefs.iterrows():
        for inp, path in check["elasticities"].items():
            planted = float(lookup(truth, path))
            est = float(r[f"b_{names.get(inp, inp)}"])
            rows.append({"check": "tfp", "label": check.get("label", "TFP elasticity"), "method": r["method"],
                         "input": inp, "effect": path, "planted": planted, "estimate": est, "error": est - planted})
    return rows
