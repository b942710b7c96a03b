"""smtext's canonical columns: the names, units and meanings every reader maps a source onto.

The names are the demo world's (``data/financials.parquet`` and ``data/firms.parquet``), so
a user's CSMAR, CNRDS or Wind export read through a column map lands in the same layout as
the demo world and every measure and study spec runs on it unchanged. A few statement
items that the exports carry but the demo world folds into ``value_added`` (operating cost,
depreciation, taxes and surcharges, operating profit) are canonical too: the recipes in
:mod:`smtext.io.recipes` build the derived inputs from them.

Units: ``yuan`` (RMB yuan), ``share`` (a fraction in [0, 1]), ``persons``, ``year`` (a
four-digit year), ``code`` (an identifier kept as text), ``text``, ``flag`` (0/1) and
``rating`` (an ordered grade kept as text).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Canonical", "CANONICAL", "UNITS", "canonical_table"]

#: canonical unit -> kind of values (how a reader types the column)
UNITS = {"yuan": "float", "share": "float", "persons": "int", "year": "int", "code": "str", "text": "str",
         "flag": "int", "rating": "str", "ratio": "float"}


@dataclass(frozen=True)
class Canonical:
    """One canonical column: its unit, what it means, and the table it belongs to."""

    name: str
    unit: str
    meaning: str
    table: str  # "financials", "firms" or "extra" (statement items the recipes use)

    @property
    def kind(self) -> str:
        """``float``, ``int`` or ``str``: how a reader types the column."""
        return UNITS[self.unit]


_ROWS = [
    # keys
    ("stkcd", "code", "6-digit A-share stock code (证券代码), text with leading zeros", "financials"),
    ("year", "year", "fiscal year (会计年度); A-share fiscal years end on 31 December", "financials"),
    # financial statements (demo world's financials.parquet)
    ("revenue", "yuan", "operating revenue (营业收入)", "financials"),
    ("value_added", "yuan", "value added; exports do not carry it: build it with smtext.io.recipes.value_added",
     "financials"),
    ("employees", "persons", "employees at year end (员工人数)", "financials"),
    ("wage_bill", "yuan", "cash paid to and for employees (支付给职工以及为职工支付的现金)", "financials"),
    ("fixed_assets_net", "yuan", "net fixed assets (固定资产净额)", "financials"),
    ("investment", "yuan", "cash paid for fixed, intangible and other long-term assets "
                           "(购建固定资产、无形资产和其他长期资产支付的现金)", "financials"),
    ("cash_paid_goods", "yuan", "cash paid for goods and services (购买商品、接受劳务支付的现金), "
                                "the materials proxy of LP/ACF", "financials"),
    ("total_assets", "yuan", "total assets (资产总计)", "financials"),
    ("total_liabilities", "yuan", "total liabilities (负债合计)", "financials"),
    ("long_term_debt", "yuan", "long-term borrowings (长期借款)", "financials"),
    ("cash", "yuan", "cash and cash equivalents on the balance sheet (货币资金)", "financials"),
    ("current_assets", "yuan", "total current assets (流动资产合计)", "financials"),
    ("current_liabilities", "yuan", "total current liabilities (流动负债合计)", "financials"),
    ("operating_cash_flow", "yuan", "net cash flow from operating activities (经营活动产生的现金流量净额)",
     "financials"),
    ("net_profit", "yuan", "net profit (净利润)", "financials"),
    ("dividends", "yuan", "cash dividends paid (现金股利)", "financials"),
    ("rd_expense", "yuan", "R&D expense (研发费用) or R&D investment (研发投入金额)", "financials"),
    ("overseas_revenue", "yuan", "revenue from overseas business (海外业务收入)", "financials"),
    ("top5_customer_share", "share", "sales to the top five customers / revenue (前五名客户销售额占比)",
     "financials"),
    ("top5_supplier_share", "share", "purchases from the top five suppliers / purchases (前五名供应商采购额占比)",
     "financials"),
    ("market_value", "yuan", "total market value at year end (年末总市值)", "financials"),
    ("inst_holding", "share", "shares held by institutional investors / total shares (机构投资者持股比例)",
     "financials"),
    ("employees_master", "persons", "employees with a master's degree or above (硕士及以上员工人数)", "financials"),
    ("employees_bachelor", "persons", "employees with a bachelor's degree (本科员工人数)", "financials"),
    ("esg_rating", "rating", "ESG grade C ... AAA (华证 ESG 评级)", "financials"),
    ("is_st", "flag", "1 = under special treatment (ST or *ST) in the year", "financials"),
    # firm table (demo world's firms.parquet)
    ("name", "text", "registered company name (公司全称)", "firms"),
    ("short_name", "text", "security short name (证券简称)", "firms"),
    ("listing_year", "year", "year of listing (上市年份)", "firms"),
    ("industry", "code", "CSRC 2012 industry code, e.g. C26 (证监会行业代码 2012 版)", "firms"),
    ("industry_name", "text", "CSRC 2012 industry name (行业名称)", "firms"),
    ("is_manufacturing", "flag", "1 = CSRC industry section C (制造业)", "firms"),
    ("is_financial", "flag", "1 = CSRC industry section J (金融业)", "firms"),
    ("province", "text", "province of the registered office (省份), without 省/市/自治区", "firms"),
    ("city", "text", "prefecture-level city (城市), without 市", "firms"),
    ("region", "text", "east, central or west (东中西部)", "firms"),
    ("soe", "flag", "1 = state-owned (国有企业)", "firms"),
    ("factor_intensity", "text", "labour, capital or technology intensive (要素密集度)", "firms"),
    ("exporter", "flag", "1 = the firm exports (出口企业)", "firms"),
    # statement items the recipes use (not in the demo world's tables)
    ("operating_cost", "yuan", "operating cost (营业成本)", "extra"),
    ("taxes_surcharges", "yuan", "taxes and surcharges (税金及附加, before 2016 营业税金及附加)", "extra"),
    ("operating_profit", "yuan", "operating profit (营业利润)", "extra"),
    ("depreciation", "yuan", "depreciation of fixed assets, oil and gas assets and productive biological "
                             "assets (固定资产折旧、油气资产折耗、生产性生物资产折旧)", "extra"),
    ("total_equity", "yuan", "total owners' equity (所有者权益合计)", "extra"),
    ("founding_year", "year", "year the company was founded (成立年份)", "extra"),
    ("top1_share", "share", "shares held by the largest shareholder / total shares (第一大股东持股比例)", "extra"),
    # top-5 customer / supplier tables (one row per firm, year and partner)
    ("report_year", "year", "fiscal year of the report a row comes from (from 统计截止日期)", "links"),
    ("partner_name", "text", "a top-5 customer's or supplier's name as disclosed (客户名称 / 供应商名称)", "links"),
    ("partner_amount", "yuan", "sales to the customer / purchases from the supplier (销售额 / 采购额)", "links"),
    ("partner_share", "share", "the amount's share of the firm's sales / purchases (占比)", "links"),
]

#: canonical column name -> :class:`Canonical`
CANONICAL: dict[str, Canonical] = {r[0]: Canonical(*r) for r in _ROWS}


def canonical_table() -> str:
    """The canonical columns as a Markdown table (column, unit, meaning), as in the README."""
    lines = ["| column | unit | meaning |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.unit} | {c.meaning} |" for c in CANONICAL.values()]
    return "\n".join(lines)
