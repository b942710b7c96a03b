"""``smtext indicators``: thin commands over the API, manifests, coded errors."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import smtext
from smtext.cli import app
from smtext.demo import WorldConfig
from smtext.demo.world import build_economy
from smtext.indicators import constraints, tfp
from smtext.indicators.constraints import sa_index

runner = CliRunner()


@pytest.fixture(scope="module")
def fin_path(tmp_path_factory):
    fin = build_economy(WorldConfig(n_firms=60, seed=5))["fin"]
    fin = fin[~fin["gap"]].reset_index(drop=True)
    fin["industry"] = np.where(fin.index % 2 == 0, "C39", "C26")
    fin["age"] = fin["year"] - 2000
    path = tmp_path_factory.mktemp("cli") / "fin.parquet"
    fin.drop(columns=["omega"]).to_parquet(path, index=False)
    return path


def test_tfp_command_matches_api(fin_path, tmp_path):
    out = tmp_path / "tfp.parquet"
    res = runner.invoke(app, ["--quiet", "indicators", "tfp", str(fin_path), "--out", str(out),
                              "--method", "lp", "--log-inputs", "--seed", "3"])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = tfp.log_inputs(pd.read_parquet(fin_path))
    r = tfp.estimate(d, "lp", y="ln_value_added", free="ln_employees", state="ln_fixed_assets_net",
                     proxy="ln_cash_paid_goods", seed=3)
    # same call, same numbers: the command adds nothing to the estimate
    np.testing.assert_allclose(got["tfp_lp"].to_numpy(), r.omega.to_numpy(), rtol=0, atol=1e-12)
    assert list(got.columns) == ["stkcd", "year", "tfp_lp"]
    coef = pd.read_csv(out.with_suffix(".coef.csv"))
    np.testing.assert_allclose(coef["estimate"], r.coef.to_numpy(), atol=1e-12)
    man = json.loads(out.with_suffix(".manifest.json").read_text())
    assert man["parameters"]["method"] == "lp" and man["seeds"] == {"tfp": 3}
    assert list(man["inputs"].values())[0] == smtext.manifest.file_sha256(fin_path)


@pytest.mark.parametrize("flags,kw", [([], {}), (["--acf-overid"], {"acf_overid": True}),
                                      (["--acf-start", "stage1"], {"acf_start": "stage1"})])
def test_tfp_command_passes_the_acf_options(fin_path, tmp_path, flags, kw):
    out = tmp_path / "acf.parquet"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # a 60-firm panel: SM417 may list other roots
        res = runner.invoke(app, ["--quiet", "indicators", "tfp", str(fin_path), "--out", str(out),
                                  "--method", "acf", "--log-inputs", *flags])
        assert res.exit_code == 0, res.output
        d = tfp.log_inputs(pd.read_parquet(fin_path))
        r = tfp.estimate(d, "acf", y="ln_value_added", free="ln_employees", state="ln_fixed_assets_net",
                         proxy="ln_cash_paid_goods", **kw)
    np.testing.assert_allclose(pd.read_parquet(out)["tfp_acf"].to_numpy(), r.omega.to_numpy(), rtol=0, atol=1e-12)
    man = json.loads(out.with_suffix(".manifest.json").read_text())
    assert man["parameters"]["acf_overid"] == kw.get("acf_overid", False)
    assert man["parameters"]["acf_start"] == kw.get("acf_start", "ols")


def test_sa_and_volatility_commands(fin_path, tmp_path):
    out = tmp_path / "sa.parquet"
    res = runner.invoke(app, ["--quiet", "indicators", "sa", str(fin_path), "--out", str(out), "--absolute"])
    assert res.exit_code == 0, res.output
    fin = pd.read_parquet(fin_path)
    np.testing.assert_allclose(pd.read_parquet(out)["SA"], sa_index(fin, absolute=True), rtol=1e-12)
    out2 = tmp_path / "vol.parquet"
    res = runner.invoke(app, ["--quiet", "indicators", "volatility", str(fin_path), "--out", str(out2),
                              "--align", "forward"])
    assert res.exit_code == 0, res.output
    assert out2.with_suffix(".manifest.json").exists()
    assert pd.read_parquet(out2)["volatility"].notna().sum() > 100


def test_kz_and_fc_commands_match_api(fin_path, tmp_path):
    fin = pd.read_parquet(fin_path)
    ta = fin["total_assets"]
    fin = fin.assign(age=fin["year"] - 1990 + fin["stkcd"].astype(int) % 17,   # age varies within a year
                     leverage=fin["total_liabilities"] / ta, tobin_q=fin["market_value"] / ta,
                     market_to_book=fin["market_value"] / (ta - fin["total_liabilities"]),
                     net_working_capital=(fin["current_assets"] - fin["current_liabilities"]) / ta,
                     ebit=fin["net_profit"] / ta)
    path = tmp_path / "fin_ratios.parquet"
    fin.to_parquet(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = {"kz": constraints.kz_index(fin), "fc": constraints.fc_index(fin)}
    for cmd, r in want.items():
        out = tmp_path / f"{cmd}.parquet"
        res = runner.invoke(app, ["--quiet", "indicators", cmd, str(path), "--out", str(out)])
        assert res.exit_code == 0, res.output
        np.testing.assert_allclose(pd.read_parquet(out)[cmd.upper()], r.index.to_numpy(), rtol=0, atol=1e-12)
        man = json.loads(out.with_suffix(".manifest.json").read_text())
        assert man["coefficients"] == pytest.approx(r.coef.to_dict(), rel=1e-12)


def test_coded_errors_exit_2(fin_path, tmp_path):
    res = runner.invoke(app, ["--quiet", "indicators", "tfp", str(fin_path), "--out", str(tmp_path / "x.parquet"),
                              "--method", "levpet"])
    assert res.exit_code == 2 and "error SM002" in res.output
    res = runner.invoke(app, ["--quiet", "indicators", "hhi", str(fin_path), "--out", str(tmp_path / "h.parquet"),
                              "--value", "nope"])
    assert res.exit_code == 2 and "error SM001" in res.output
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    res = runner.invoke(app, ["--quiet", "indicators", "sa", str(bad), "--out", str(tmp_path / "s.parquet")])
    assert res.exit_code == 2 and "error SM014" in res.output     # not Parquet: smtext.io says so


def test_every_indicators_command_documents_every_option():
    # tests/test_cli.py walks the tree too; this checks our subcommands explicitly
    import click
    import typer

    from smtext.cli.indicators import app as ind_app

    group = typer.main.get_command(ind_app)
    assert set(group.commands) == {"tfp", "sa", "ww", "kz", "fc", "hhi", "volatility", "ntfp"}
    for name, cmd in group.commands.items():
        assert cmd.help and len(cmd.help) > 20, name
        for p in cmd.params:
            if isinstance(p, click.Option):
                assert p.help, f"{name} --{p.name} lacks help"
        res = runner.invoke(app, ["indicators", name, "--help"])
        assert res.exit_code == 0, res.output
