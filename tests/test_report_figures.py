"""Figures: Chinese glyphs render, minus signs, the plotted data, and file output."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from smtext.report import figures as F
from smtext.report.fonts import find_cjk_font

ZH = "事件研究：智能制造试点对全要素生产率的影响（倾向得分核密度）"


def _render_all_formats(fig) -> list[str]:
    """Draw to PNG, SVG and PDF; return matplotlib's missing-glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fmt in ("png", "svg", "pdf"):
            fig.savefig(io.BytesIO(), format=fmt)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)
            or "Glyph" in str(w.message)]


@pytest.fixture(scope="module")
def event_frame():
    ev = pd.DataFrame({"rel_time": [-4, -3, -2, 0, 1, 2, 3],
                       "estimate": [0.02, -0.01, 0.01, 0.2, 0.3, 0.35, 0.4], "std_error": 0.05})
    ev["ci_low"] = ev["estimate"] - 1.96 * ev["std_error"]
    ev["ci_high"] = ev["estimate"] + 1.96 * ev["std_error"]
    ev["binned"] = [True, False, False, False, False, False, True]
    return ev


needs_cjk = pytest.mark.skipif(find_cjk_font() is None,
                               reason="no CJK font installed (pip install noto-cjk-sans-otc)")


@needs_cjk
def test_chinese_labels_have_every_glyph(event_frame):
    fig = F.event_study_plot(event_frame, title=ZH)
    assert _render_all_formats(fig) == []
    # The CJK family is first in line and really has the glyphs of the labels.
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family=F.CJK_FAMILY), fallback_to_default=False)
    cmap = FT2Font(path).get_charmap()
    assert all(ord(ch) in cmap for ch in ZH + "相对政策时点估计系数≤≥-")


def test_missing_glyph_check_can_fail():
    """Negative control: with a Latin-only font the same check reports missing glyphs."""
    import matplotlib

    with matplotlib.rc_context({"font.family": ["DejaVu Sans"], "font.sans-serif": ["DejaVu Sans"]}):
        fig = matplotlib.figure.Figure()
        fig.add_subplot().set_title(ZH)
        assert _render_all_formats(fig)


def test_minus_sign_is_ascii_hyphen(event_frame):
    import matplotlib

    assert matplotlib.rcParams["axes.unicode_minus"] is False
    fig = F.event_study_plot(event_frame)
    fig.draw_without_rendering()
    ax = fig.axes[0]
    ylabels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(s.startswith("-") for s in ylabels)
    assert not any("\u2212" in s for s in ylabels)


def test_event_study_plots_data_with_base_period(event_frame):
    fig = F.event_study_plot(event_frame, language="en")
    ax = fig.axes[0]
    # the line through all estimates (error-bar caps are lines too, with "_" markers)
    line = next(l for l in ax.lines if len(l.get_xdata()) == 8 and l.get_marker() in ("None", None, ""))
    np.testing.assert_allclose(line.get_xdata(), [-4, -3, -2, -1, 0, 1, 2, 3])
    np.testing.assert_allclose(line.get_ydata(), [0.02, -0.01, 0.01, 0.0, 0.2, 0.3, 0.35, 0.4])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "≤-4" and labels[-1] == "≥3"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "binned end point" in legend
    assert any(abs(l.get_xdata()[0] + 0.5) < 1e-12 for l in ax.lines if len(l.get_xdata()) == 2)


def test_placebo_plot_marks_true_estimate():
    class Placebo:  # placebo result protocol
        draws = np.random.default_rng(0).normal(0, 0.05, 500)
        true_estimate = 0.342
        p_value = 0.002

    fig = F.placebo_plot(Placebo())
    ax = fig.axes[0]
    vlines = [l for l in ax.lines if np.ptp(l.get_xdata()) == 0]
    assert any(abs(l.get_xdata()[0] - 0.342) < 1e-12 for l in vlines)
    assert "0.342" in "".join(t.get_text() for t in ax.get_legend().get_texts())


def test_pscore_density_two_panels():
    rng = np.random.default_rng(1)
    ps = pd.DataFrame({"pscore": np.r_[rng.beta(3, 5, 200), rng.beta(2, 6, 400)],
                       "treated": np.r_[np.ones(200), np.zeros(400)]})
    ps["matched"] = rng.random(600) < 0.6
    fig = F.pscore_density_plot(ps)
    assert len(fig.axes) == 2 and [a.get_title() for a in fig.axes] == ["匹配前", "匹配后"]
    assert all(len(a.lines) == 2 for a in fig.axes)


def test_honest_did_plot_orders_m():
    hs = pd.DataFrame({"M": [1.0, "original", 0.0, 0.5], "lb": [-0.05, 0.1, 0.08, 0.02],
                       "ub": [0.7, 0.5, 0.52, 0.6]})
    fig = F.honest_did_plot(hs, language="en")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Original CI", "0", "0.5", "1"]
    assert ax.lines[0].get_ydata().tolist() == [0.1, 0.5]


def test_coef_plot_ci_matches_pyfixest_confint():
    """CI drawn for a pyfixest model equals pyfixest's own confint() (t(G-1)); tol 1e-6."""
    pf = pytest.importorskip("pyfixest")
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"g": np.repeat(np.arange(30), 5), "x": rng.normal(size=150)})
    df["y"] = 0.4 * df["x"] + rng.normal(size=150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf.feols("y ~ x", df, vcov={"CRV1": "g"})
    fig = F.coef_plot([("OLS", m)], terms=["x"])
    lo, hi = fig.axes[0].lines[0].get_xdata()
    ci = m.confint().loc["x"].to_numpy()
    np.testing.assert_allclose([lo, hi], ci, rtol=1e-6)


def test_save_figure_formats_and_determinism(tmp_path, event_frame):
    fig = F.event_study_plot(event_frame)
    paths = F.save_figure(fig, tmp_path / "ev", formats=["png", "svg", "pdf"])
    assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[2].read_bytes()[:5] == b"%PDF-"
    if F.CJK_FAMILY:  # the PDF embeds the CJK font, so the Chinese text is real text
        import pypdfium2 as pdfium

        text = pdfium.PdfDocument(paths[2])[0].get_textpage().get_text_range()
        assert "相对政策时点" in text and "估计系数" in text
    again = F.save_figure(F.event_study_plot(event_frame), tmp_path / "again" / "ev",
                          formats=["png", "svg", "pdf"])
    for a, b in zip(paths, again):  # same input -> identical files
        assert a.read_bytes() == b.read_bytes(), a.suffix
    from smtext.errors import SMError

    with pytest.raises(SMError, match="SM002"):
        F.save_figure(fig, tmp_path / "ev.jpg")


def test_no_cjk_font_gives_coded_warning(monkeypatch):
    from smtext.errors import SMWarning
    from smtext.report import fonts

    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    rc = {}
    with pytest.warns(SMWarning, match="SM602.*noto-cjk-sans-otc"):
        assert fonts.setup_cjk_font(rc) is None
    assert rc == {"axes.unicode_minus": False}  # minus signs still fixed


@needs_cjk
def test_user_font_path_is_used(monkeypatch):
    """SMTEXT_CJK_FONT points at a font file; its family is registered and chosen."""
    from matplotlib import font_manager

    from smtext.report import fonts

    path = font_manager.findfont(font_manager.FontProperties(family=F.CJK_FAMILY), fallback_to_default=False)
    monkeypatch.setenv("SMTEXT_CJK_FONT", path)
    fonts.find_cjk_font.cache_clear()
    try:
        assert fonts.find_cjk_font() in fonts.PREFERRED_FAMILIES
    finally:
        fonts.find_cjk_font.cache_clear()


def test_coef_plot_from_tidy_frame():
    df = pd.DataFrame({"estimate": [0.3, -0.1], "ci_low": [0.1, -0.3], "ci_high": [0.5, 0.1]},
                      index=pd.Index(["基准", "PSM-DID"], name="模型"))
    fig = F.coef_plot(df)
    ax = fig.axes[0]
    # first row of the frame on top
    assert [(t.get_text(), t.get_position()[1]) for t in ax.get_yticklabels()] == [("基准", 1), ("PSM-DID", 0)]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.1, 0.5])


@needs_cjk
def test_event_study_compare_plot_draws_every_estimator():
    """TWFE beside the robust estimators in one figure (issue 9): every estimator's points
    and CIs are drawn where its event study puts them, shifted apart, with Chinese labels."""
    from smtext.report import event_study_compare_plot

    def ev(shift):
        t = pd.DataFrame({"rel_time": [-3, -2, -1, 0, 1, 2], "estimate": [0.0, 0.01, 0.0, 0.2, 0.3, 0.4]})
        t["estimate"] += shift
        t["ci_low"], t["ci_high"] = t["estimate"] - 0.05, t["estimate"] + 0.05
        t.loc[t.rel_time == -1, ["ci_low", "ci_high"]] = np.nan   # reference period, no CI
        return t

    events = {"TWFE": ev(-0.1), "did2s": ev(0.0), "CS": ev(0.01)}
    fig = event_study_compare_plot(events)
    ax = fig.axes[0]
    assert [c.get_label() for c in ax.containers] == ["TWFE", "did2s", "CS"]
    xs = []
    for c, (name, frame) in zip(ax.containers, events.items()):
        line = c.lines[0]
        np.testing.assert_allclose(line.get_ydata(), frame["estimate"])
        xs.append(np.asarray(line.get_xdata()))
        # the bar of period 0 spans exactly the CI
        seg = c.lines[2][0].get_segments()[3]
        np.testing.assert_allclose([seg[0][1], seg[1][1]], frame.loc[3, ["ci_low", "ci_high"]].to_numpy(float))
    assert (xs[0] < xs[1]).all() and (xs[1] < xs[2]).all()            # shifted apart
    np.testing.assert_allclose(xs[1], [-3, -2, -1, 0, 1, 2])           # centred estimator on its period
    assert ax.get_xlabel() == "相对政策时点"
    assert _render_all_formats(fig) == []
