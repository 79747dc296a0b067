"""From computed statuses to jobs: one per declared mutant, with the falsifier's bound node IDs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pv.checks.mutants import Mutant
from pv.falsify.runner import Job
from pv.status.facts import RefKind
from pv.status.ladder import ContractStatus


@dataclass(frozen=True, slots=True)
class Unrunnable:
    """A declared mutant whose falsifier binds no existing test: nothing could kill it."""

    mutant: Mutant
    ship_blocking: bool
    reason: str


def plan(statuses: Sequence[ContractStatus], only: Sequence[str] = ()) -> tuple[list[Job], list[Unrunnable]]:
    jobs: list[Job] = []
    skipped: list[Unrunnable] = []
    wanted = set(only)
    for cs in statuses:
        for fs in cs.falsifiers:
            if wanted and fs.id not in wanted:
                continue
            node_ids = tuple(dict.fromkeys(n for r in fs.facts.refs if r.kind is RefKind.TEST and r.resolves
                                           for n in r.node_ids))
            for m in fs.facts.mutants:
                if not node_ids:
                    skipped.append(Unrunnable(m, fs.facts.ship_blocking,
                                              f"{fs.id} binds no existing test, so no test can kill its mutants"))
                    continue
                jobs.append(Job(m, cs.facts.contract_id, fs.facts.ship_blocking, node_ids))
    return jobs, skipped
