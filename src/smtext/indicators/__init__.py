"""Firm indicators from financial panels.

Modules: ``tfp`` (production functions, a package: ``from smtext.indicators.tfp import estimate``;
OLS/FE in ``tfp.linear``, OP/LP/ACF in ``tfp.proxy``, Wooldridge in ``tfp.wooldridge``, system GMM
in ``tfp.gmm``), ``constraints`` (SA, WW, KZ, FC; KZ and FC return result objects),
``controls`` (ESG 1-9, human-capital share), ``market`` (market volatility),
``productivity`` (N_TFP),
``concentration`` (HHI, CT/PT/ST, Theil), ``composite`` (entropy weights, NQPF),
``shiftshare`` (Bartik, robot penetration, input-output exposure, DVAR),
``robots`` (firm robot exposure and upstream/downstream chain exposure from panels).
"""
