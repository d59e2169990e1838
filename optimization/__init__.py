"""Choose process settings against cost targets: piecewise-linear surrogates of twin KPIs, a MILP
solved with HiGHS through Pyomo, and verification of the candidate by fresh twin replications."""
