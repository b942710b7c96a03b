"""Find a CJK font and register it with matplotlib, so Chinese labels render.

A fresh machine (a CI runner, a co-author's laptop) often has no font with
Chinese glyphs, and matplotlib then draws empty boxes and only says so in a
warning. smtext looks for a CJK font in this order:

1. ``SMTEXT_CJK_FONT``: a path to a ``.ttf``/``.otf``/``.ttc`` file set by the user;
2. the PyPI font package ``noto-cjk-sans-otc`` (Noto Sans CJK, SIL OFL 1.1;
   ``pip install noto-cjk-sans-otc``), which ships the font inside the wheel;
3. the font packages ``mpl-font`` and ``mplfonts`` when one of them is installed;
4. a system font matplotlib already knows (Noto/Source Han Sans SC, WenQuanYi,
   SimHei, Microsoft YaHei, PingFang SC, ...).

When none is found, :func:`setup_cjk_font` emits the coded warning SM602 with
the install command, instead of letting figures silently lose their labels.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import util as import_util
from pathlib import Path

from smtext.errors import warn

# Family names preferred for simplified Chinese, best first.
PREFERRED_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei",
    "PingFang SC", "Heiti SC", "STHeiti", "Noto Sans CJK JP", "Noto Sans CJK TC",
)

INSTALL_HINT = 'pip install "noto-cjk-sans-otc>=0.0.1" (Noto Sans CJK, SIL OFL) or set SMTEXT_CJK_FONT=/path/to/font.otf'


def _package_font_files() -> list[Path]:
    """Font files shipped by PyPI packages that happen to be installed."""
    files: list[Path] = []
    spec = import_util.find_spec("noto_cjk_sans_otc")
    if spec and spec.origin:
        files += sorted(Path(spec.origin).parent.glob("*.tt[cf]"))
    for pkg, sub in (("mpl_font", "fonts/noto"), ("mplfonts", "fonts")):
        spec = import_util.find_spec(pkg)
        if spec and spec.origin:
            folder = Path(spec.origin).parent / sub
            files += sorted(p for p in folder.glob("*") if p.suffix.lower() in {".otf", ".ttf", ".ttc"}
                            and "SimHei" not in p.name)
    return files


def _register(path: Path) -> list[str]:
    """Add one font file to matplotlib; return the family names it provides."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    return [f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == path]


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """Register and return the name of a font family with Chinese glyphs.

    Returns
    -------
    str or None
        The matplotlib family name (for example ``"Noto Sans CJK SC"``), or
        ``None`` when no CJK font is available on this machine.
    """
    from matplotlib import font_manager

    candidates: list[Path] = []
    user = os.environ.get("SMTEXT_CJK_FONT")
    if user:
        candidates.append(Path(user))
    candidates += _package_font_files()
    for path in candidates:
        if not path.is_file():
            continue
        names = _register(path)
        for family in PREFERRED_FAMILIES:
            if family in names:
                return family
        if names:
            return names[0]
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in PREFERRED_FAMILIES:
        if family in known:
            return family
    return None


def setup_cjk_font(rc: dict | None = None) -> str | None:
    """Put a CJK font first in matplotlib's sans-serif list and fix minus signs.

    Parameters
    ----------
    rc : dict, optional
        An rcParams-like mapping to update; defaults to ``matplotlib.rcParams``.

    Returns
    -------
    str or None
        The CJK family in use, or ``None`` (with warning SM602) when none exists.

    Notes
    -----
    ``axes.unicode_minus`` is set to ``False`` because most CJK fonts lack the
    Unicode minus sign (U+2212); with ``False`` matplotlib draws ASCII hyphen-minus,
    which every font has, so negative tick labels never turn into boxes.
    """
    import matplotlib

    rc = matplotlib.rcParams if rc is None else rc
    family = find_cjk_font()
    rc["axes.unicode_minus"] = False
    if family is None:
        warn("SM602", "no font with Chinese glyphs was found; Chinese labels will show as boxes.",
             INSTALL_HINT)
        return None
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f != family]
    rc["font.family"] = ["sans-serif"]
    rc["font.sans-serif"] = [family, *rest]
    # Embed TrueType outlines in PDF/PS so the fonts travel with the file.
    rc["pdf.fonttype"] = 42
    rc["ps.fonttype"] = 42
    rc["svg.fonttype"] = "path"
    return family
