"""IPC parsing and validation: every format real patent records use, and malformed codes."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from smtext.errors import SMWarning
from smtext.patents import (
    ipc_levels,
    normalize_code,
    parse_ipc,
    split_field,
    to_fixed_width,
    validate_codes,
)


@pytest.mark.parametrize("raw, expected", [
    ("H04L27/26", "H04L27/26"),
    ("H04L 27/26", "H04L27/26"),            # space between subclass and group
    ("H04L  27 / 26", "H04L27/26"),         # spaces around the slash
    ("H04L0027260000", "H04L27/26"),        # 14-character fixed width
    ("G06F0016182000", "G06F16/182"),
    ("B82Y0010000000", "B82Y10/00"),
    ("C12Q0001688600", "C12Q1/6886"),
    ("G06N3/08(2006.01)", "G06N3/08"),      # version annotation
    ("G06N3/08 (2006.01) I", "G06N3/08"),   # version with IPC-8 level flag
    ("Ｈ０４Ｌ２７／２６", "H04L27/26"),       # full-width
    ("h04l27/26", "H04L27/26"),             # lower case
    ("H04L27/260", "H04L27/26"),            # trailing zero of the decimal subgroup
    ("A61K31/00", "A61K31/00"),
])
def test_formats_normalize_to_one_code(raw, expected):
    code, reason = normalize_code(raw)
    assert (code, reason) == (expected, "")


@pytest.mark.parametrize("raw, reason", [
    ("H04L", "subclass only (no main group / subgroup)"),
    ("H04L27", "main group without subgroup"),
    ("Z04L27/26", "section 'Z' is not A-H"),
    ("4L27/26", "does not start with a section letter"),
    ("H4L27/26", "class is not two digits"),
    ("H04L002726", "fixed-width form must have 10 digits after the subclass, found 6"),
    ("H04L12345/00", "main group has more than 4 digits"),
    ("H04L27/", "subgroup missing after '/'"),
    ("H04L27/2", "subgroup has fewer than 2 digits"),
    ("H04L0000260000", "main group is 0"),
    ("", "empty"),
])
def test_malformed_codes_come_with_a_reason(raw, reason):
    assert normalize_code(raw) == (None, reason)


def test_lists_split_on_every_separator_and_keep_the_main_code_first():
    assert split_field("H04L 27/26; G06F17/30") == ["H04L27/26", "G06F17/30"]
    assert split_field("H04L27/26,G06F17/30") == ["H04L27/26", "G06F17/30"]
    assert split_field("H04L27/26 G06F 17/30") == ["H04L27/26", "G06F17/30"]
    assert split_field("H04L27/26；G06F17/30、A01B1/00") == ["H04L27/26", "G06F17/30", "A01B1/00"]
    assert split_field("Ｈ０４Ｌ２７／２６，Ｇ０６Ｆ１７／３０") == ["H04L27/26", "G06F17/30"]
    assert split_field("[H04L27/26]; 'G06F17/30'") == ["H04L27/26", "G06F17/30"]
    assert split_field(None) == [] and split_field(float("nan")) == []
    # CNIPA exports: version and IPC-8 level flag glued to each code; ideographic space
    assert split_field("H04L27/26(2006.01)I;G06F17/30(2006.01)N") == ["H04L27/26", "G06F17/30"]
    assert split_field("H04L27/26 (2006.01) N, G06F 17/30 (2006.01) I") == ["H04L27/26", "G06F17/30"]
    assert split_field("Ｈ０４Ｌ\u3000２７／２６") == ["H04L27/26"]
    assert split_field("H04L0027260000;G06F0017300000") == ["H04L0027260000", "G06F0017300000"]


def test_parse_ipc_reports_every_token_and_never_drops_one():
    fields = pd.Series(["H04L 27/26; G06F17/30", "H04L0027260000", "G06N3/08(2006.01)", "", "H04L27;G06F17/30"],
                       index=[10, 11, 12, 13, 14])
    with pytest.warns(SMWarning, match="SM302: 2 of 7 IPC tokens are malformed"):
        out = parse_ipc(fields)
    assert out["record"].tolist() == [10, 10, 11, 12, 13, 14, 14]
    assert out["pos"].tolist() == [0, 1, 0, 0, 0, 0, 1]
    assert out["is_main"].tolist() == [True, False, True, True, True, True, False]
    assert out["code"].tolist()[:4] == ["H04L27/26", "G06F17/30", "H04L27/26", "G06N3/08"]
    bad = out[~out["valid"]]
    assert bad["record"].tolist() == [13, 14]
    assert bad["reason"].tolist() == ["empty", "main group without subgroup"]
    # the valid secondary code of a record whose main code is malformed is kept
    assert out.loc[(out["record"] == 14) & out["valid"], "code"].tolist() == ["G06F17/30"]


def test_parse_ipc_is_quiet_when_asked_and_same_output_twice():
    fields = ["H04L27/26", "xx"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = parse_ipc(fields, warn_malformed=False)
    pd.testing.assert_frame_equal(a, parse_ipc(fields, warn_malformed=False))


def test_fixed_width_round_trip_and_levels():
    for code in ["H04L27/26", "G06F16/182", "B82Y10/00", "C12Q1/6886", "A61K31/7088"]:
        assert normalize_code(to_fixed_width(code))[0] == code
    lv = ipc_levels(["H04L27/26", "C12Q1/6886"])
    assert lv["ipc3"].tolist() == ["H04", "C12"]
    assert lv["ipc4"].tolist() == ["H04L", "C12Q"]
    assert lv["main_group"].tolist() == ["H04L27", "C12Q1"]
    assert lv["subgroup"].tolist() == ["26", "6886"]


def test_validate_codes_against_a_scheme_list():
    scheme = ["H04L", "H04L0027260000", "H04L27/00"]
    out = validate_codes(["H04L27/26", "H04L99/00", "G06F17/30"], scheme)
    assert out["in_scheme"].tolist() == [True, False, False]
    assert out["subclass_in_scheme"].tolist() == [True, True, False]


@pytest.mark.reference
def test_wipo_scheme_symbols_parse_from_the_fixed_width_form(reference_dir):
    """Every group/subgroup symbol of the WIPO IPC (~2019) parses from its 14-char form to its
    human form as written by WIPO (file 06_ipc_scheme/ipc_scheme_levels.csv, columns symbol14, symbol).
    Read from the reference folder only; the GPL data is not shipped."""
    df = pd.read_csv(reference_dir / "06_ipc_scheme" / "ipc_scheme_levels.csv", dtype=str,
                     usecols=["symbol14", "symbol", "level"])
    df = df[df["level"].isin(["main_group", "subgroup"])]
    assert len(df) == 8023 + 67020                     # counts stated in the folder's PROVENANCE.md
    got = parse_ipc(df["symbol14"], warn_malformed=False)
    assert got["valid"].all()
    assert got["code"].tolist() == df["symbol"].tolist()   # WIPO's own human-readable symbol
