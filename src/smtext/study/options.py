"""Options that several table column kinds and figure kinds share, defined once."""

from __future__ import annotations

from .registry import Option

Y = Option("y", "column", "outcome", required=True)
X = Option("x", "column", "regressor of interest (default: the treatment dname)")
CONTROLS = Option("controls", "controls", "a control set name, a list of columns, or none")
FE = Option("fe", "fe", "extra fixed effects besides firm and year (a^b interacts two columns)")
CLUSTER = Option("cluster", "column", "cluster standard errors by this column", default="stkcd")
VCOV = Option("vcov", "choice", "standard errors", choices=("cluster", "hetero", "iid"), default="cluster")
WHERE = Option("where", "where", "rows this entry uses")
RENAME = Option("rename", "mapping", "term -> name in the table (put a variant on the main row)")
VARIABLES = Option("variables", "columns", "extra regressors shown in the table")
UNIT_FE = Option("unit_fe", "bool", "firm fixed effects", default=True)
TIME_FE = Option("time_fe", "bool", "year fixed effects", default=True)
COVARIATES = Option("covariates", "columns", "matching covariates", required=True)
WINDOW = Option("window", "pair", "event window", default=[-4, 4], min=-100, max=100)
TITLE = Option("title", "str", "figure title")
