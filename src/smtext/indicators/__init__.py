"""Firm indicators from financial panels.

Modules: ``tfp`` (production functions; also ``smtext.tfp``), ``constraints`` (SA, WW, KZ),
``concentration`` (HHI, CT/PT/ST, Theil), ``composite`` (entropy weights, NQPF),
``shiftshare`` (Bartik, robot penetration, input-output exposure, DVAR).
"""
