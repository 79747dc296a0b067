"""Checks across all contracts given (PV-REF-*): ``pv lint`` shows them as its "references" gate."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pv.checks import codes
from pv.checks.ids import declared_ids
from pv.diagnostics import Diagnostic, Severity
from pv.model.contract import LoadedBinding, LoadedContract
from pv.parse.discover import SUFFIXES


def check_cross(contracts: Sequence[LoadedContract], bindings: Sequence[LoadedBinding],
                search_dirs: Sequence[Path] = (), roots: Sequence[Path] = ()) -> list[Diagnostic]:
    """``roots``: the registry roots (directories given), where a binding's names are looked up second."""
    out: list[Diagnostic] = []
    out += _duplicate_contracts(contracts)
    out += _duplicate_ids(contracts)
    out += _depends_on(contracts, search_dirs)
    out += _falsification_ids(contracts)
    out += _bindings(contracts, bindings, roots)
    return out


def _duplicate_contracts(contracts: Sequence[LoadedContract]) -> list[Diagnostic]:
    """Two files declaring one contract ID. Two files that only share a file name in different folders
    are not (a registry with a folder per crate has ``alimentar/configuration-v1.yaml`` and
    ``trueno-db/configuration-v1.yaml``); a binding naming such a file ambiguously is PV-REF-006."""
    out = []
    first: dict[str, LoadedContract] = {}
    for c in contracts:
        cid = c.contract_id
        if cid in first:
            other = first[cid]
            if not (c.id_is_declared or other.id_is_declared) and _folder(c) != _folder(other):
                continue
            path = ("contract_id",) if "contract_id" in c.raw else ("metadata", "id") if "id" in c.metadata else ()
            line, col = c.locate(path)
            out.append(Diagnostic(codes.REF_DUP_CONTRACT, Severity.ERROR,
                                  f"contract ID '{cid}' is also declared by {other.path}",
                                  c.path, line, col, hint="give each contract its own ID"))
        else:
            first[cid] = c
    return out


def _folder(c: LoadedContract) -> str:
    return Path(c.path).parent.as_posix()


def _duplicate_ids(contracts: Sequence[LoadedContract]) -> list[Diagnostic]:
    out = []
    owner: dict[str, tuple[LoadedContract, int]] = {}
    for c in contracts:
        seen_here: set[str] = set()
        for ident, path in declared_ids(c):
            if ident in seen_here:
                continue  # a duplicate within one contract is PV-ID-001
            seen_here.add(ident)
            if ident in owner and owner[ident][0] is not c:
                other, oline = owner[ident]
                line, col = c.locate(path)
                out.append(Diagnostic(codes.REF_DUP_ID, Severity.ERROR,
                                      f"ID '{ident}' is also declared in {other.path}:{oline}; a test or gate "
                                      "citing it by bare ID could mean either",
                                      c.path, line, col, hint="rename one of them", data={"id": ident}))
            else:
                owner.setdefault(ident, (c, c.locate(path)[0]))
    return out


def _depends_on(contracts: Sequence[LoadedContract], search_dirs: Sequence[Path]) -> list[Diagnostic]:
    names: set[str] = set()
    for c in contracts:
        names.update({c.contract_id, c.stem})
    out = []
    for c in contracts:
        deps = c.metadata.get("depends_on")
        if not isinstance(deps, list):
            continue
        dirs = [*([c.file.parent] if c.file is not None else []), *search_dirs]
        for i, dep in enumerate(deps):
            if not isinstance(dep, str) or not dep.strip():
                continue
            name = dep.strip()
            stem = Path(name).stem if name.endswith(SUFFIXES) else name
            if name in names or stem in names or _exists_on_disk(name, dirs):
                continue
            line, col = c.locate(("metadata", "depends_on", i))
            out.append(Diagnostic(codes.REF_DEPENDS, Severity.ERROR,
                                  f"depends_on names '{name}', which is no contract given nor a file next to this one",
                                  c.path, line, col, hint="fix the name, or validate the contract it names too"))
    return out


def _exists_on_disk(name: str, dirs: Sequence[Path]) -> bool:
    candidates = [name] if name.endswith(SUFFIXES) else [name + s for s in SUFFIXES]
    for d in dirs:
        for cand in candidates:
            if (d / cand).is_file() or (d / Path(cand).name).is_file():
                return True
    return False


def _falsification_ids(contracts: Sequence[LoadedContract]) -> list[Diagnostic]:
    known: set[str] = set()
    for c in contracts:
        known.update(ident for ident, _ in declared_ids(c))
    out = []
    for c in contracts:
        gates = c.raw.get("gates") if c.dialect == "gate" else None
        if not isinstance(gates, list):
            continue
        for i, g in enumerate(gates):
            if not isinstance(g, dict):
                continue
            fid = g.get("falsification_id")
            if isinstance(fid, str) and fid.strip() and fid.strip() not in known:
                line, col = c.locate(("gates", i, "falsification_id"))
                out.append(Diagnostic(codes.REF_FALSIFIER, Severity.WARNING,
                                      f"gate {g.get('id', f'#{i}')} cites falsifier '{fid}', defined in none of "
                                      "the contracts given", c.path, line, col,
                                      hint="validate the whole registry together, or define the falsifier",
                                      data={"id": fid}))
    return out


def _bindings(contracts: Sequence[LoadedContract], bindings: Sequence[LoadedBinding],
              roots: Sequence[Path] = ()) -> list[Diagnostic]:
    if not bindings:
        return []
    resolver = _BindingResolver(contracts, roots)
    out = []
    for b in bindings:
        items = b.raw.get("bindings")
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("contract"), str):
                continue
            name = item["contract"]
            target, matches = resolver.resolve(name, b.file)
            if target is None:
                line, col = b.locate(("bindings", i, "contract"))
                if len(matches) > 1:
                    shown = ", ".join(m.path for m in matches[:4]) + (", ..." if len(matches) > 4 else "")
                    out.append(Diagnostic(codes.REF_BINDING_AMBIGUOUS, Severity.ERROR,
                                          f"binding names contract '{name}', which is neither next to the binding "
                                          f"nor at the registry root, and {len(matches)} files match it: {shown}",
                                          b.path, line, col,
                                          hint="write the path relative to the binding's folder",
                                          data={"contract": name, "matches": [m.path for m in matches]}))
                else:
                    out.append(Diagnostic(codes.REF_BINDING, Severity.ERROR,
                                          f"binding names contract '{name}', which is not among the contracts given",
                                          b.path, line, col,
                                          hint="validate the binding together with its contracts"))
                continue
            eq = item.get("equation")
            eqs = target.raw.get("equations")
            names = set(eqs) if isinstance(eqs, dict) else {
                e.get("id") for e in eqs if isinstance(e, dict)} if isinstance(eqs, list) else set()
            if isinstance(eq, str) and eq not in names:
                line, col = b.locate(("bindings", i, "equation"))
                out.append(Diagnostic(codes.REF_BINDING, Severity.ERROR,
                                      f"binding names equation '{eq}', which {target.path} does not define",
                                      b.path, line, col, hint="fix the equation name"))
    return out


class _BindingResolver:
    """Find the contract a binding entry names, the way a reader of the registry would.

    1. a file of that name (or path) in the binding's own folder;
    2. else at a registry root (the directories given, nearest first);
    3. else any contract whose file name, stem or contract ID is the name, if exactly one is.
    Several matches in step 3 are ambiguous: never pick one silently.
    """

    def __init__(self, contracts: Sequence[LoadedContract], roots: Sequence[Path]) -> None:
        self.by_file: dict[Path, LoadedContract] = {}
        self.by_name: dict[str, list[LoadedContract]] = {}
        for c in contracts:
            if c.file is not None:
                self.by_file.setdefault(_real(c.file), c)
            keys = {c.stem, c.contract_id, *([c.file.name] if c.file is not None else [])}
            for key in keys:
                self.by_name.setdefault(key, []).append(c)
        self.roots = [_real(r) for r in roots]

    def resolve(self, name: str, binding_file: Path | None) -> tuple[LoadedContract | None, list[LoadedContract]]:
        """(the contract, or None; every contract the bare name matches, for the message)."""
        rel = name.strip()
        candidates = [rel] if rel.endswith(SUFFIXES) else [rel + s for s in SUFFIXES]
        for folder in self._folders(binding_file):
            for cand in candidates:
                hit = self.by_file.get(_real(folder / cand))
                if hit is not None:
                    return hit, [hit]
        matches: list[LoadedContract] = []
        for key in dict.fromkeys((rel, Path(rel).name, Path(rel).stem if rel.endswith(SUFFIXES) else rel)):
            for c in self.by_name.get(key, []):
                if c not in matches:
                    matches.append(c)
        if len(matches) == 1:
            return matches[0], matches
        return None, matches

    def _folders(self, binding_file: Path | None) -> list[Path]:
        if binding_file is None:
            return list(self.roots)
        own = _real(binding_file.parent)
        above = [r for r in self.roots if r == own or r in own.parents]
        above.sort(key=lambda r: len(r.parts), reverse=True)  # nearest root first
        return [own, *(r for r in above if r != own)]


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()
