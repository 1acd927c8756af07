"""Statistics of the site tables (Sect. 2.3.3, 3.1, 3.3): methods, stage 020, audit, Figs 5, 8, S1, Tables 7-8."""
