"""Firm indicators from financial panels.

Modules: ``tfp`` (production functions; also ``smtext.tfp``), ``constraints`` (SA, WW, KZ, FC),
``controls`` (ESG 1-9, human-capital share), ``market`` (market volatility),
``productivity`` (N_TFP),
``concentration`` (HHI, CT/PT/ST, Theil), ``composite`` (entropy weights, NQPF),
``shiftshare`` (Bartik, robot penetration, input-output exposure, DVAR).
"""
