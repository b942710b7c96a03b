"""Parameters of the demo world: size, seed and every planted effect.

All of these end up in ``truth.json`` so that tests can check estimates
against the truth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class WorldConfig:
    """Size, seed and planted parameters of a synthetic A-share universe.

    Parameters
    ----------
    n_firms : int
        Listed firms. The default keeps the main job to a few minutes on 2 cores;
        4000 firms and years 2010-2023 match the papers' sample sizes.
    first_year, last_year : int
        Inclusive range of fiscal years.
    seed : int
        Master seed; every random draw derives from it.
    """

    n_firms: int = 300
    first_year: int = 2011
    last_year: int = 2023
    seed: int = 20241

    # production function (value added, Cobb-Douglas in logs)
    beta_l: float = 0.60
    beta_k: float = 0.30
    beta_0: float = 8.5
    omega_rho: float = 0.70        # AR(1) persistence of productivity
    omega_sigma: float = 0.10      # innovation s.d.
    eps_sigma: float = 0.08        # measurement error in output
    # the two proxies carry different information (smtext.demo.financials.statements):
    # log investment = -2.3 + k + (exp(a*omega) - 1)/a, convex and strictly increasing in
    # omega (Olley-Pakes proxy); log cash paid for goods = log materials + e_m,
    # e_m ~ N(0, s.d.), the cash-timing gap (payables, inventories) that makes the
    # Levinsohn-Petrin / ACF proxy imperfect; log materials = 11.4 + 0.4k + 0.9omega
    investment_convexity: float = 1.0      # a
    materials_proxy_sigma: float = 0.02    # s.d. of e_m

    # the pilot's effect on log TFP: base + slope * min(years since selection, cap)
    tfp_effect_base: float = 0.10
    tfp_effect_slope: float = 0.02
    tfp_effect_cap: int = 3

    # other planted effects of the pilot (on the treated, from the selection year)
    export_effect: float = 0.25            # log overseas revenue
    master_share_effect: float = 0.015     # share of employees with a master's degree
    esg_effect: float = 0.6                # ESG rating steps (1-9 scale, latent)
    patent_effect: float = 0.20            # log rate of invention applications
    smart_text_effect: float = 1.2         # log rate of smart-manufacturing mentions
    digital_text_effect: float = 0.4       # log rate of digital mentions
    # city spillover (paper 004): key-technology applications of non-pilot firms
    # in a pilot city, from the year after the city's first pilot announcement
    spillover_keytech_effect: float = 0.30
    # paper 003: export DVAR rises with the firm's robot penetration (robots per base-year
    # worker of the industry, data/firm_extras + industry_robots); NQPF sub-indicators respond
    # to the pilot with the deltas in smtext.demo.extras.NQPF_INDICATORS (paper 002)
    dvar_robot_effect: float = 0.01
    robot_scale: float = 1.0
    # paper 002 Aijob: the pilot's effect on the log-odds that a posting is an AI position
    # (smtext.demo.postings, data/postings.parquet)
    ai_job_effect: float = 0.6

    # pilot programme (MIIT 智能制造试点示范), projects per batch
    batch_sizes: tuple = ((2015, 46), (2016, 64), (2017, 97), (2018, 99))
    listed_pilot_share: float = 0.16       # share of listed firms that become pilots

    # documents
    clean_control_share: float = 0.30      # firms that never mention smart manufacturing
    analyst_coverage: float = 0.55         # share of firm-years with analyst reports
    n_broken_each: int = 2                 # encrypted / truncated / image-only files each

    # filler prose: topical sentences from the shipped vocabulary (smtext.demo.vocabulary,
    # built from jieba's dict.txt); False keeps the fixed sentences of generator version 7
    vocabulary_prose: bool = True
    # a user's vocabulary planted into MD&A and business-overview prose: (term, weight, category)
    # rows (smtext.demo.vocabulary.read_plant_file). Mentions per annual report ~ Poisson(
    # plant_rate * exp(plant_firm_sigma * z_i - plant_firm_sigma^2 / 2 + plant_trend * (year - first_year))),
    # z_i ~ N(0, 1) per firm (log-normal firm effect, mean one); each mention is a term drawn with
    # probability proportional to its weight, in a sentence of the topic named by its category
    # (one of smtext.demo.vocabulary.TOPICS; any other category: green)
    plant: tuple = ()
    plant_rate: float = 3.0
    plant_firm_sigma: float = 0.8
    plant_trend: float = 0.05

    def __post_init__(self):
        # plant rows as (term, weight, category): a bare term or (term, weight) is completed
        rows = []
        for row in self.plant:
            row = (row,) if isinstance(row, str) else tuple(row)
            rows.append((str(row[0]), float(row[1]) if len(row) > 1 else 1.0,
                         str(row[2]) if len(row) > 2 else "green"))
        object.__setattr__(self, "plant", tuple(rows))

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["batch_sizes"] = [list(b) for b in self.batch_sizes]
        d["plant"] = [list(p) for p in self.plant]
        return d

    def tfp_effect(self, years_since: int) -> float:
        """Planted effect on log TFP ``years_since`` years after selection (0 = selection year)."""
        if years_since < 0:
            return 0.0
        return self.tfp_effect_base + self.tfp_effect_slope * min(years_since, self.tfp_effect_cap)
