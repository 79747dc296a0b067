"""Status computed from evidence: the ladder rules (docs/status.md), exactly as implemented.

``facts`` is the plain input model (what each falsifier cites and whether it
resolves), ``ladder`` turns facts + the results ledger + evidence packs into a
computed rung with "why not one rung higher", ``predicate`` evaluates a
falsifier's ``check:`` on metrics, and ``collect`` gathers the facts from a
project (contracts, reference classification, the static test index).
"""
