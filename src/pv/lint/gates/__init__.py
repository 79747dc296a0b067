"""pv lint's gates: one module each (protocol in pv.lint's docstring)."""
