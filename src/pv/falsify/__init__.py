"""``pv falsify``: break the code on purpose and show that each falsifier's bound tests go red.

mutant (what a declared mutant is, how it applies), workspace (an isolated copy of the work tree),
probe (the pytest plugin that reports from inside the copy), runner (one mutant, one pytest run),
judge (killed / survived / invalid / timeout), plan (contracts -> jobs), suggest (ast operators under
coverage), codes (PV-MUT-*, PV-FALS-*). docs/falsify.md is the user's view.
"""
