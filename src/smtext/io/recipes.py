"""Derived inputs: what the indicators need but the exports do not carry as one field.

Each recipe is a small function ``recipe(data, ...) -> Derived``: the new column, the
formula that made it (as text, to put in a manifest) and where the definition comes from.
:func:`derive` runs recipes by name, as the ``--derive`` option of ``smtext indicators``
does (``--derive value_added:income --derive age:founding_year``).

Money columns are in yuan (as :func:`smtext.io.read_panel` returns them); ratios are
missing where the denominator is zero, negative where a size must be positive, or missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SMError, require_columns, warn

__all__ = ["Derived", "RECIPES", "derive", "value_added", "firm_age", "leverage", "tobin_q", "capital_intensity",
           "market_to_book", "net_working_capital", "ebit", "size", "roa", "is_manufacturing", "is_financial"]


@dataclass(frozen=True)
class Derived:
    """A derived column with its formula (for the manifest) and the source of the definition."""

    name: str
    values: pd.Series
    formula: str
    source: str

    def record(self) -> dict:
        """What a manifest keeps: name, formula, source, and how many values are missing."""
        return {"name": self.name, "formula": self.formula, "source": self.source,
                "missing": int(self.values.isna().sum())}


def _num(data: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(data[col], errors="coerce").astype(float)


def _ratio(num: pd.Series, den: pd.Series, positive: bool = False) -> pd.Series:
    den = den.where(den > 0) if positive else den.where(den != 0)
    return num / den


def value_added(data: pd.DataFrame, *, method: str = "income", wage_bill: str = "wage_bill",
                depreciation: str = "depreciation", taxes: str = "taxes_surcharges",
                operating_profit: str = "operating_profit", revenue: str = "revenue",
                operating_cost: str = "operating_cost") -> Derived:
    """Firm value added from statement items.

    ``method="income"`` (default) is the income approach of the National Bureau of
    Statistics (增加值 = 劳动者报酬 + 生产税净额 + 固定资产折旧 + 营业盈余, 《中国统计年鉴》主要统计指标解释),
    with listed-firm proxies: 支付给职工以及为职工支付的现金 (labour compensation), 税金及附加
    (net taxes on production), 固定资产折旧 (FS_Comscfi D000103000) and 营业利润 (operating
    surplus). ``method="cost"`` is the shortcut 营业收入 - 营业成本 + 支付给职工的现金 + 折旧 (gross
    margin standing in for operating surplus plus taxes); it double counts the wages and
    depreciation already inside 营业成本 and is offered for comparison with studies that use it.
    """
    if method == "income":
        cols = [wage_bill, taxes, depreciation, operating_profit]
        require_columns(data, cols, "panel (value added, income approach)")
        v = sum(_num(data, c) for c in cols)
        formula = f"{wage_bill} + {taxes} + {depreciation} + {operating_profit}"
        src = "NBS income approach: labour compensation + net production taxes + depreciation + operating surplus"
    elif method == "cost":
        cols = [revenue, operating_cost, wage_bill, depreciation]
        require_columns(data, cols, "panel (value added, cost shortcut)")
        v = _num(data, revenue) - _num(data, operating_cost) + _num(data, wage_bill) + _num(data, depreciation)
        formula = f"{revenue} - {operating_cost} + {wage_bill} + {depreciation}"
        src = "revenue minus operating cost plus wages and depreciation (listed-firm shortcut)"
    else:
        raise SMError("SM037", f"value_added method={method!r} is not known.", "use 'income' or 'cost'.")
    bad = int((v <= 0).sum())
    if bad:
        warn("SM037", f"{bad} firm-years have non-positive value added ({formula}); their log is missing in TFP.")
    return Derived("value_added", v.rename("value_added"), formula, src)


def firm_age(data: pd.DataFrame, *, start: str = "listing_year", tname: str = "year",
             plus_one: bool = False) -> Derived:
    """Firm age in years: ``year - start`` (``+ 1`` with ``plus_one``, as in ln(1 + age) designs).

    ``start`` is ``listing_year`` (years listed; Hadlock and Pierce 2010 count years on
    Compustat) or ``founding_year`` (years since founding, common in Chinese studies of the
    SA index). Negative ages (a report before the start year) are set missing and counted.
    """
    require_columns(data, [start, tname], "panel (firm age)")
    age = _num(data, tname) - _num(data, start) + (1.0 if plus_one else 0.0)
    neg = int((age < 0).sum())
    if neg:
        warn("SM037", f"{neg} rows have {tname} before {start}; their age is missing.")
    return Derived("age", age.where(age >= 0).rename("age"), f"{tname} - {start}" + (" + 1" if plus_one else ""),
                   f"years since {start.replace('_', ' ')}")


def leverage(data: pd.DataFrame, *, liabilities: str = "total_liabilities", assets: str = "total_assets") -> Derived:
    """Leverage = total liabilities / total assets (资产负债率)."""
    require_columns(data, [liabilities, assets], "panel (leverage)")
    return Derived("leverage", _ratio(_num(data, liabilities), _num(data, assets), True).rename("leverage"),
                   f"{liabilities} / {assets}", "资产负债率")


def tobin_q(data: pd.DataFrame, *, kind: str = "simple", market_value: str = "market_value",
            liabilities: str = "total_liabilities", assets: str = "total_assets") -> Derived:
    """Tobin's Q: ``simple`` = market value / total assets (the study specs' TobinQ);
    ``debt_adjusted`` = (market value of equity + book liabilities) / total assets (CSMAR's 托宾Q值A)."""
    if kind == "simple":
        require_columns(data, [market_value, assets], "panel (Tobin's Q)")
        q, formula = _ratio(_num(data, market_value), _num(data, assets), True), f"{market_value} / {assets}"
    elif kind == "debt_adjusted":
        require_columns(data, [market_value, liabilities, assets], "panel (Tobin's Q)")
        q = _ratio(_num(data, market_value) + _num(data, liabilities), _num(data, assets), True)
        formula = f"({market_value} + {liabilities}) / {assets}"
    else:
        raise SMError("SM037", f"tobin_q kind={kind!r} is not known.", "use 'simple' or 'debt_adjusted'.")
    return Derived("tobin_q", q.rename("tobin_q"), formula, f"Tobin's Q ({kind})")


def capital_intensity(data: pd.DataFrame, *, kind: str = "per_worker", fixed_assets: str = "fixed_assets_net",
                      employees: str = "employees", assets: str = "total_assets", revenue: str = "revenue") -> Derived:
    """Capital intensity: ``per_worker`` = net fixed assets / employees (yuan per worker, 资本密集度);
    ``assets_to_sales`` = total assets / revenue."""
    if kind == "per_worker":
        require_columns(data, [fixed_assets, employees], "panel (capital intensity)")
        v, formula = _ratio(_num(data, fixed_assets), _num(data, employees), True), f"{fixed_assets} / {employees}"
    elif kind == "assets_to_sales":
        require_columns(data, [assets, revenue], "panel (capital intensity)")
        v, formula = _ratio(_num(data, assets), _num(data, revenue), True), f"{assets} / {revenue}"
    else:
        raise SMError("SM037", f"capital_intensity kind={kind!r} is not known.", "use 'per_worker' or 'assets_to_sales'.")
    return Derived("capital_intensity", v.rename("capital_intensity"), formula, f"capital intensity ({kind})")


def market_to_book(data: pd.DataFrame, *, market_value: str = "market_value", liabilities: str = "total_liabilities",
                   assets: str = "total_assets") -> Derived:
    """Market-to-book = market value / (total assets - total liabilities); missing for non-positive book equity."""
    require_columns(data, [market_value, liabilities, assets], "panel (market-to-book)")
    book = _num(data, assets) - _num(data, liabilities)
    return Derived("market_to_book", _ratio(_num(data, market_value), book, True).rename("market_to_book"),
                   f"{market_value} / ({assets} - {liabilities})", "market-to-book of equity")


def net_working_capital(data: pd.DataFrame, *, current_assets: str = "current_assets",
                        current_liabilities: str = "current_liabilities", assets: str = "total_assets") -> Derived:
    """Net working capital / total assets = (current assets - current liabilities) / total assets."""
    require_columns(data, [current_assets, current_liabilities, assets], "panel (net working capital)")
    v = _ratio(_num(data, current_assets) - _num(data, current_liabilities), _num(data, assets), True)
    return Derived("net_working_capital", v.rename("net_working_capital"),
                   f"({current_assets} - {current_liabilities}) / {assets}", "net working capital over assets")


def ebit(data: pd.DataFrame, *, profit: str = "operating_profit", assets: str = "total_assets") -> Derived:
    """EBIT / total assets, with operating profit (营业利润) standing in for EBIT (the exports' nearest line)."""
    require_columns(data, [profit, assets], "panel (EBIT ratio)")
    return Derived("ebit", _ratio(_num(data, profit), _num(data, assets), True).rename("ebit"),
                   f"{profit} / {assets}", "operating profit over assets as the EBIT ratio")


def size(data: pd.DataFrame, *, assets: str = "total_assets") -> Derived:
    """Size = ln(total assets in yuan); missing for non-positive assets."""
    require_columns(data, [assets], "panel (size)")
    a = _num(data, assets)
    return Derived("size", np.log(a.where(a > 0)).rename("size"), f"ln({assets})", "firm size")


def roa(data: pd.DataFrame, *, profit: str = "net_profit", assets: str = "total_assets") -> Derived:
    """ROA = net profit / total assets (end of year; the study's ROA uses the two-year mean of assets)."""
    require_columns(data, [profit, assets], "panel (ROA)")
    return Derived("roa", _ratio(_num(data, profit), _num(data, assets), True).rename("roa"),
                   f"{profit} / {assets}", "return on assets")


def _section(data, industry, letter, name, what):
    require_columns(data, [industry], f"panel ({name})")
    code = data[industry].astype("string").str.strip().str.upper()
    v = code.str.startswith(letter).astype("Int64").where(code.notna())
    return Derived(name, v.rename(name), f"{industry} starts with '{letter}'", f"CSRC 2012 section {letter} ({what})")


def is_manufacturing(data: pd.DataFrame, *, industry: str = "industry") -> Derived:
    """1 when the CSRC 2012 industry code is in section C (制造业)."""
    return _section(data, industry, "C", "is_manufacturing", "制造业")


def is_financial(data: pd.DataFrame, *, industry: str = "industry") -> Derived:
    """1 when the CSRC 2012 industry code is in section J (金融业)."""
    return _section(data, industry, "J", "is_financial", "金融业")


#: recipe name -> (function, the keyword that ``name:option`` sets)
RECIPES = {
    "value_added": (value_added, "method"), "age": (firm_age, "start"), "leverage": (leverage, None),
    "tobin_q": (tobin_q, "kind"), "capital_intensity": (capital_intensity, "kind"),
    "market_to_book": (market_to_book, None), "net_working_capital": (net_working_capital, None),
    "ebit": (ebit, None), "size": (size, None), "roa": (roa, None),
    "is_manufacturing": (is_manufacturing, None), "is_financial": (is_financial, None),
}


def derive(data: pd.DataFrame, names) -> tuple[pd.DataFrame, list[dict]]:
    """Add derived columns by recipe name; ``"value_added:cost"`` passes the recipe's one option.

    Returns a copy of ``data`` with the new columns and one record per recipe (name,
    formula, source, missing count) for the manifest. A recipe whose column already exists
    replaces it, with a coded warning (SM037).
    """
    out, records = data.copy(), []
    for item in names:
        name, _, option = str(item).partition(":")
        if name not in RECIPES:
            raise SMError("SM037", f"no recipe is called {name!r}.", f"use one of {sorted(RECIPES)}.")
        fn, key = RECIPES[name]
        if option and key is None:
            raise SMError("SM037", f"recipe {name!r} takes no option (got {option!r}).", f"write --derive {name}.")
        d = fn(out, **({key: option} if option else {}))
        if d.name in out.columns:
            warn("SM037", f"column {d.name!r} already exists; the recipe {d.formula!r} replaces it.")
        out[d.name] = d.values.to_numpy()
        records.append(d.record())
    return out, records
