"""Cross-contract analysis: diff, graph, coverage, consistency and scaffolds.

These modules sit at the "checks" level of pv's one-way data flow
(parse -> model -> checks -> report): they read contracts that the parser
already loaded and return plain data plus :class:`pv.diagnostics.Diagnostic`
findings. They never print; ``pv.commands.*`` and the lint gates render them.

Every function takes any object shaped like :class:`pv.analysis.source.ContractDoc`
(``path``, ``stem``, ``raw``, ``locate``) so that the same logic serves the
working tree, a file at a git revision and the tests.
"""
