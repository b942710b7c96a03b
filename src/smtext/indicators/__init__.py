"""Firm indicators from financial panels.

Modules: ``tfp`` (production functions; also ``smtext.tfp``; Wooldridge in ``tfp_wrdg``, system GMM in
``tfp_gmm``), ``constraints`` (SA, WW, KZ, FC),
``controls`` (ESG 1-9, human-capital share), ``market`` (market volatility),
``productivity`` (N_TFP),
``concentration`` (HHI, CT/PT/ST, Theil), ``composite`` (entropy weights, NQPF),
``shiftshare`` (Bartik, robot penetration, input-output exposure, DVAR),
``robots`` (firm robot exposure and upstream/downstream chain exposure from panels).
"""
