"""Evidence packs: an honest, hash-pinned record of one live run (docs/evidence.md).

``record`` runs a command and writes ``evidence/NAME/``; ``verify`` proves a
pack is intact, its commit exists, and its metrics satisfy the falsifiers'
machine-checkable predictions.
"""
