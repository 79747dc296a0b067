"""The ladder rules, exactly as docs/status.md states them.

Each rung above DRAFT has its own list of *blockers* (one line each, naming
the falsifier). The computed status is the highest rung whose own blockers and
every lower rung's blockers are all empty; the blockers of the next rung up
are the "why not one rung higher" text (``FALSIFY-X-006: LIVE-PENDING: needs a
500-step run``).

- DRAFT: the contract validates (no error-level `pv validate` finding in its
  file); a contract that does not validate has no rung (computed ``None``,
  shown as INVALID).
- PARTIAL_ALGORITHM_LEVEL: every falsifier has at least one reference; none of
  its references is unclassifiable or a test reference that resolves to no
  collected test; each falsifier is bound to an existing test, LIVE-PENDING
  with a reason, or cites LIVE evidence; and at least one falsifier is bound
  to an existing test. (shell:/pv references never bind on their own.)
- FUNCTIONAL: PARTIAL, and every ship-blocking falsifier has no LIVE-PENDING
  reference and is either bound to existing tests every one of which passed in
  a recorded run whose recorded test-file hash still matches (skipped,
  xfailed, xpassed, failed, error, never run and stale all block), or, when it
  cites no test at all, is discharged by its LIVE evidence.
- DISCHARGED: FUNCTIONAL, at least one falsifier cites LIVE evidence, and
  every falsifier that cites LIVE evidence is discharged by each pack it cites
  (the pack verifies, lists the falsifier, exited 0, and the falsifier's
  ``check:`` holds on its metrics).
- Mutants (``[tool.pv] falsify_required``, default DISCHARGED; FUNCTIONAL or off): at that rung,
  every declared mutant of a ship-blocking falsifier bound to tests has a fresh ``pv falsify``
  verdict of *killed* (survived, invalid, timeout, never run and stale all block). A falsifier with
  no declared mutant is not blocked; the "falsifiable" column shows it as 0/0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pv.evidence.predicate import CheckLike
from pv.evidence.seal import mismatch as seal_mismatch
from pv.evidence.verify import PER_FALSIFIER_CODES, PackReport, verify_pack
from pv.ledger import Ledger, freshness
from pv.model.status import Status
from pv.status.facts import ContractFacts, FalsifierFacts, RefKind

RUNGS: tuple[Status, ...] = (
    Status.DRAFT, Status.PARTIAL_ALGORITHM_LEVEL, Status.FUNCTIONAL, Status.DISCHARGED,
)


@dataclass(frozen=True, slots=True)
class TestState:
    """A cited node ID's last recorded result, judged."""

    __test__ = False  # a data class, not a pytest test class

    node_id: str
    outcome: str | None  # None: never recorded
    passed: bool  # passed, and the recorded file hash still matches
    note: str  # "passed" / "failed in the recorded run" / "stale: ..." / "never run"


@dataclass(frozen=True, slots=True)
class MutantState:
    """A declared mutant's last ``pv falsify`` verdict, judged for freshness."""

    label: str  # "GATE-X-001 mutant #1"
    key: str
    where: str  # "contract.yaml:12:9"
    outcome: str | None  # None: never run
    killed: bool  # killed, and fresh
    note: str


# The note of a declared mutant with no recorded verdict (the status gate treats it as unmeasured
# when the ledger holds no falsify result at all, as it does for a missing ledger).
MUTANT_NEVER_RUN_NOTE = "never falsified (run `pv falsify`)"


@dataclass(frozen=True, slots=True)
class PackState:
    pack: str
    discharged: bool
    note: str


@dataclass(slots=True)
class FalsifierStatus:
    facts: FalsifierFacts
    tests: list[TestState] = field(default_factory=list)
    packs: list[PackState] = field(default_factory=list)
    bound: bool = False  # every test reference resolves, and there is at least one
    pending: bool = False
    pending_reason: str = ""
    live: bool = False
    passed: bool = False  # bound and every cited test passed fresh
    discharged: bool = False  # live and every cited pack discharges it
    partial_problems: list[str] = field(default_factory=list)
    mutants: list[MutantState] = field(default_factory=list)

    @property
    def falsifiable(self) -> str:
        """killed (fresh) / declared mutants, e.g. "1/2"; "-" when none is declared."""
        if not self.mutants:
            return "-"
        return f"{sum(m.killed for m in self.mutants)}/{len(self.mutants)}"

    @property
    def id(self) -> str:
        return self.facts.id

    @property
    def state(self) -> str:
        """One word for tables and the HTML trace matrix."""
        if self.partial_problems and not (self.bound or self.pending or self.live):
            return "unbound"
        if self.partial_problems:
            return "dangling"
        if self.live and self.discharged and (self.passed or not self.bound):
            return "discharged"
        if self.bound:
            if self.passed:
                return "passed"
            outcomes = {t.outcome for t in self.tests}
            if outcomes & {"failed", "error"}:
                return "failed"
            if any(t.note.startswith("stale") for t in self.tests):
                return "stale"
            if outcomes & {"skipped", "xfailed", "xpassed"}:
                return "skipped"
            return "not run"
        if self.pending:
            return "pending"
        return "undischarged"


@dataclass(slots=True)
class ContractStatus:
    facts: ContractFacts
    computed: Status | None  # None: the contract does not validate (INVALID)
    falsifiers: list[FalsifierStatus]
    blockers: dict[Status, list[str]]  # per rung: what that rung's own rules miss

    @property
    def computed_name(self) -> str:
        return self.computed.name if self.computed is not None else "INVALID"

    @property
    def why_not_higher(self) -> list[str]:
        """Blockers of the rung just above the computed one (empty at DISCHARGED)."""
        if self.computed is None:
            return self.blockers[Status.DRAFT]
        if self.computed is Status.DISCHARGED:
            return []
        return self.blockers[Status(self.computed + 1)]

    @property
    def next_rung(self) -> Status | None:
        """The rung just above the computed one (DRAFT when invalid, None at DISCHARGED)."""
        if self.computed is None:
            return Status.DRAFT
        return None if self.computed is Status.DISCHARGED else Status(self.computed + 1)

    @property
    def overclaims(self) -> bool:
        declared = self.facts.declared
        return declared is not None and (self.computed is None or declared > self.computed)

    def counts(self) -> dict[str, int]:
        fs = self.falsifiers
        return {
            "falsifiers": len(fs),
            "bound": sum(f.bound for f in fs),
            "pending": sum(f.pending for f in fs),
            "passed": sum(f.passed for f in fs),
            "live": sum(f.live for f in fs),
            "discharged": sum(f.discharged for f in fs),
            "mutants": sum(len(f.mutants) for f in fs),
            "killed": sum(m.killed for f in fs for m in f.mutants),
        }


class EvidenceBook:
    """Verifies each cited pack once (packs are cached by path) against all known checks."""

    def __init__(self, root: Path, checks: Mapping[str, CheckLike | None],
                 verifier: Callable[..., PackReport] = verify_pack) -> None:
        self.root = root
        self.checks = checks
        self._verifier = verifier
        self._cache: dict[str, PackReport] = {}

    def report(self, pack: str) -> PackReport:
        if pack not in self._cache:
            self._cache[pack] = self._verifier(self.root / pack, self.root, self.checks)
        return self._cache[pack]

    def judge(self, pack: str, falsifier: str, seal: str | None = None) -> PackState:
        """Whether ``pack`` discharges ``falsifier`` for a reference carrying ``seal`` (None/"": unsealed)."""
        rep = self.report(pack)
        if rep.manifest is None:
            first = rep.diagnostics[0].message if rep.diagnostics else "unreadable"
            return PackState(pack, False, first)
        unsealed = seal_mismatch(pack, rep.manifest.sha256, seal or None, self.root, rep.manifest.to_json())
        if unsealed:
            return PackState(pack, False, unsealed)
        if falsifier not in rep.manifest.falsifiers:
            return PackState(pack, False, f"{pack} does not list {falsifier} among its falsifiers")
        if not rep.intact:
            broken = next(d.message for d in rep.diagnostics if d.code not in PER_FALSIFIER_CODES)
            return PackState(pack, False, f"{pack} does not verify: {broken}")
        verdict = rep.discharges.get(falsifier)
        if verdict is None:
            return PackState(pack, False, f"{pack} was not judged for {falsifier}")
        return PackState(pack, verdict.discharged, verdict.reason)



def short(text: str, width: int = 70) -> str:
    """A reference as one short line for messages (contracts hold multi-line prose)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def checks_of(contracts: Iterable[ContractFacts]) -> dict[str, CheckLike | None]:
    """Falsifier ID -> its ``check`` across all contracts (what packs are judged against)."""
    return {f.id: f.check for c in contracts for f in c.falsifiers}


# The note of a bound test with no recorded result. The status gate treats it as
# unmeasurable (not as an overclaim) when no results ledger exists at all.
NEVER_RUN_NOTE = "never run (no recorded result; run `pv run`)"


def _judge_tests(node_ids: Iterable[str], ledger: Ledger, root: Path, cache: dict[str, str | None],
                 ) -> list[TestState]:
    states: list[TestState] = []
    for nid in node_ids:
        results = ledger.lookup(nid)
        if not results:
            states.append(TestState(nid, None, False, NEVER_RUN_NOTE))
            continue
        bad = [r for r in results if not r.passed]
        if bad:
            worst = bad[0]
            what = worst.outcome + (" (not passed)" if worst.outcome in {"skipped", "xfailed", "xpassed"} else "")
            which = "" if worst.node_id == nid else f" of {worst.node_id}"
            states.append(TestState(nid, worst.outcome, False, f"{what} in the recorded run{which}"))
            continue
        stale = [f for f in (freshness(r, root, cache) for r in results) if not f.fresh]
        if stale:
            states.append(TestState(nid, "passed", False, stale[0].reason))
            continue
        states.append(TestState(nid, "passed", True, "passed"))
    return states


def _judge_mutants(f: FalsifierFacts, ledger: Ledger, root: Path,
                   cache: dict[str, str | None]) -> list[MutantState]:
    states: list[MutantState] = []
    for m in f.mutants:
        where = f"{m.contract}:{m.line}:{m.col}"
        rec = ledger.mutants.get(m.key)
        if rec is None:
            states.append(MutantState(m.label, m.key, where, None, False, MUTANT_NEVER_RUN_NOTE))
            continue
        fresh = rec.freshness(root, cache)
        if not fresh.fresh:
            states.append(MutantState(m.label, m.key, where, rec.outcome, False, fresh.reason))
        elif rec.outcome == "killed":
            states.append(MutantState(m.label, m.key, where, rec.outcome, True, "killed"))
        else:
            states.append(MutantState(m.label, m.key, where, rec.outcome, False, f"{rec.outcome}: {rec.detail}"))
    return states


def falsify_rung(setting: str | None) -> Status | None:
    """``[tool.pv] falsify_required`` as a rung (None: off); the default is DISCHARGED (docs/status.md)."""
    if setting == "off":
        return None
    return Status.FUNCTIONAL if setting == "FUNCTIONAL" else Status.DISCHARGED


def judge_falsifier(f: FalsifierFacts, ledger: Ledger, book: EvidenceBook, root: Path,
                    cache: dict[str, str | None]) -> FalsifierStatus:
    st = FalsifierStatus(f)
    st.mutants = _judge_mutants(f, ledger, root, cache)
    tests = [r for r in f.refs if r.kind is RefKind.TEST]
    pendings = [r for r in f.refs if r.kind is RefKind.LIVE_PENDING]
    lives = [r for r in f.refs if r.kind is RefKind.LIVE]
    st.bound = bool(tests) and all(r.resolves for r in tests)
    st.pending = bool(pendings)
    st.pending_reason = "; ".join(r.reason for r in pendings)
    st.live = bool(lives)
    if not f.refs:
        st.partial_problems.append(f"{f.id}: has no test reference")
    for r in f.refs:
        if r.kind is RefKind.TEST and not r.resolves and not r.problem:
            st.partial_problems.append(f"{f.id}: {short(r.text)!r} does not resolve to a collected test")
        elif r.kind is RefKind.INVALID or r.problem:
            st.partial_problems.append(f"{f.id}: {short(r.text)!r}: {short(r.problem, 240) or 'cannot classify it'}")
    if f.refs and all(r.kind in (RefKind.SHELL, RefKind.PV) for r in f.refs):
        st.partial_problems.append(f"{f.id}: cites only shell:/pv commands, which never count as bound tests")
    if st.bound:
        node_ids = list(dict.fromkeys(n for r in tests for n in r.node_ids))
        st.tests = _judge_tests(node_ids, ledger, root, cache)
        st.passed = all(t.passed for t in st.tests)
    if st.live:
        st.packs = [book.judge(r.pack, f.id, r.seal) for r in lives]
        st.discharged = all(p.discharged for p in st.packs)
    return st


def compute(contract: ContractFacts, ledger: Ledger, book: EvidenceBook, root: Path,
            hash_cache: dict[str, str | None] | None = None,
            mutants_rung: Status | None = Status.DISCHARGED) -> ContractStatus:
    """Apply the ladder to one contract (see the module docstring for the rules)."""
    cache = hash_cache if hash_cache is not None else {}
    fss = [judge_falsifier(f, ledger, book, root, cache) for f in contract.falsifiers]

    partial: list[str] = [p for fs in fss for p in fs.partial_problems]
    if not any(fs.bound for fs in fss):
        partial.append("no falsifier is bound to an existing test" if fss else "the contract has no falsifiers")

    functional: list[str] = []
    for fs in fss:
        if not fs.facts.ship_blocking:
            continue
        if fs.pending:
            functional.append(f"{fs.id}: LIVE-PENDING: {fs.pending_reason}")
        if fs.bound:
            functional.extend(f"{fs.id}: {t.node_id}: {t.note}" for t in fs.tests if not t.passed)
        elif fs.live and not any(r.kind is RefKind.TEST for r in fs.facts.refs):
            functional.extend(f"{fs.id}: {p.pack}: {p.note}" for p in fs.packs if not p.discharged)
        elif not fs.pending:
            functional.append(f"{fs.id}: ship-blocking but not bound to an existing test")

    discharged: list[str] = []
    if not any(fs.live for fs in fss):
        discharged.append("no falsifier cites live evidence (LIVE: evidence/<pack>); "
                          "DISCHARGED needs a verified live run")
    for fs in fss:
        discharged.extend(f"{fs.id}: {p.pack}: {p.note}" for p in fs.packs if not p.discharged)

    mutant_blockers = [f"{fs.id}: {m.label} ({m.where}): {m.note}" for fs in fss
                       if fs.facts.ship_blocking and fs.bound for m in fs.mutants if not m.killed]
    if mutants_rung is Status.FUNCTIONAL:
        functional.extend(mutant_blockers)
    elif mutants_rung is Status.DISCHARGED:
        discharged.extend(mutant_blockers)

    blockers = {
        Status.DRAFT: [f"does not validate: {e}" for e in contract.validation_errors],
        Status.PARTIAL_ALGORITHM_LEVEL: partial,
        Status.FUNCTIONAL: functional,
        Status.DISCHARGED: discharged,
    }
    computed: Status | None = None
    for rung in RUNGS:
        if blockers[rung]:
            break
        computed = rung
    return ContractStatus(contract, computed, fss, blockers)


def compute_all(contracts: list[ContractFacts], ledger: Ledger, root: Path,
                file_hashes: Mapping[str, str | None] | None = None,
                mutants_rung: Status | None = Status.DISCHARGED) -> list[ContractStatus]:
    """Compute every contract's status, verifying each cited pack once; ``file_hashes`` (the
    test index's) spares re-hashing test files for result freshness."""
    book = EvidenceBook(root, checks_of(contracts))
    cache: dict[str, str | None] = dict(file_hashes or {})
    return [compute(c, ledger, book, root, cache, mutants_rung) for c in contracts]
