"""Property tests: contracts generated from the schema validate, and single mutations are caught.

Generation is driven by the pydantic models themselves (every field, its type, whether it is
required, its allowed literals), so a field added to the schema is exercised automatically. The
few cross-field rules the schema cannot express (unique IDs, semver versions, a changelog ending
at the version, harness obligations that resolve) are then satisfied by construction.
Expected positions come from PyYAML's pure-Python composer, independent of pv's own loader.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from pv.checks import codes
from pv.config import PvConfig
from pv.model.base import Check
from pv.model.gate import GateContract
from pv.model.provable import ProvableContract
from pv.validate import validate_paths

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz -", min_size=1, max_size=12).filter(
    lambda s: s.strip() != "" and s == s.strip())
KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
SCALARS = st.one_of(st.integers(-5, 5), st.booleans(), WORDS)
SKIP = {"type_invariants", "coq_spec", "beat", "stories", "falsification", "falsification_conditions", "relations",
        "shape", "evidence", "status", "depends_on", "changelog", "version", "obligation", "falsification_id",
        "peer_contracts", "parent_contracts", "check", "kind",
        "mutants"}  # mutants name real files that validate opens: tests/pv/falsify covers them


def for_annotation(ann: Any, depth: int) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return for_annotation(typing.get_args(ann)[0], depth)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return for_model(ann, depth + 1)
    if origin is typing.Literal:
        return st.sampled_from(typing.get_args(ann))
    if origin in (typing.Union, types.UnionType):
        alts = [a for a in typing.get_args(ann) if a is not type(None)]
        return st.one_of(*(for_annotation(a, depth) for a in alts))
    if origin is list:
        (inner,) = typing.get_args(ann)
        return st.lists(for_annotation(inner, depth), max_size=2 if depth < 2 else 0)
    if origin is dict:
        _, inner = typing.get_args(ann)
        return st.dictionaries(KEYS, for_annotation(inner, depth), max_size=2 if depth < 2 else 0)
    if ann is str:
        return WORDS
    if ann is bool:
        return st.booleans()
    if ann is int:
        return st.integers(0, 100)
    if ann is float:
        return st.floats(0, 100, allow_nan=False)
    return st.none()  # free-form blocks: any YAML value is fine; null is one


def for_model(model: type[BaseModel], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    if model is Check:
        return st.builds(lambda m, op, v, t: {"metric": m, "op": op, "value": v, **({"tolerance": t} if op == "within" else {})},
                         WORDS, st.sampled_from(["<", "<=", "==", "!=", ">=", ">", "within"]),
                         st.integers(0, 10), st.integers(0, 3))
    required, optional = {}, {}
    for name, info in model.model_fields.items():
        if name in SKIP:
            continue
        strat = for_annotation(info.annotation, depth)
        lo = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
        hi = next((m.le for m in info.metadata if hasattr(m, "le")), None)
        if lo is not None or hi is not None:  # numeric bounds declared on the field
            strat = st.integers(lo if lo is not None else 0, hi if hi is not None else 100)
        (required if info.is_required() else optional)[name] = strat
    return st.fixed_dictionaries(required, optional=optional)


def fix_semantics(doc: dict[str, Any], version: str) -> dict[str, Any]:
    """Make IDs unique, versions semver, the changelog end at the version, harnesses resolve."""
    counter = iter(range(10_000))
    for section in ("falsification_tests", "proof_obligations", "kani_harnesses", "gates", "invariants",
                    "failure_modes"):
        for item in doc.get(section, []) or []:
            if "id" in item or section in ("falsification_tests", "kani_harnesses", "gates", "invariants",
                                           "failure_modes"):
                item["id"] = f"ID-{next(counter):04d}"
    obligations = doc.get("proof_obligations") or []
    for h in doc.get("kani_harnesses", []) or []:
        h["obligation"] = obligations[0]["property"] if obligations else "nothing"
    if doc.get("kani_harnesses") and not obligations:
        doc["proof_obligations"] = [{"property": "nothing"}]
    if isinstance(doc.get("equations"), list):
        for e in doc["equations"]:
            e["id"] = f"EQ-{next(counter):04d}"
    md = doc.setdefault("metadata", {})
    md["version"] = version
    md["changelog"] = [f"{version} (2026-01-01): generated"]
    if "version" in GateContract.model_fields and doc.get("_gate"):
        doc["version"] = version
    doc.pop("_gate", None)
    return doc


PROVABLE_DOCS = st.builds(fix_semantics, for_model(ProvableContract), st.sampled_from(["1.0.0", "0.3.12"]))
GATE_DOCS = st.builds(fix_semantics, for_model(GateContract).map(lambda d: {**d, "contract_id": "C-GEN",
                                                                             "_gate": True}),
                      st.sampled_from(["2.0.0"]))


def dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def validate_text(tmp: Path, text: str):  # type: ignore[no-untyped-def]
    f = tmp / "gen.yaml"
    f.write_text(text)
    return validate_paths([f], PvConfig(root=tmp))


def node_line(text: str, path: tuple[Any, ...], key: bool = False) -> int:
    """1-based line of the node (or its key) at path, by PyYAML's pure-Python composer."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    key_node = None
    for p in path:
        if isinstance(p, int):
            node = node.value[p]
        else:
            key_node, node = next((k, v) for k, v in node.value if k.value == p)
    target = key_node if key and key_node is not None else node
    return target.start_mark.line + 1


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


@SETTINGS
@given(doc=st.one_of(PROVABLE_DOCS, GATE_DOCS))
def test_any_contract_generated_from_the_schema_validates(tmp_path_factory, doc) -> None:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("gen")
    run = validate_text(tmp, dump(doc))
    assert [d.render() for d in run.diagnostics] == []
    assert len(run.contracts) == 1 and run.contracts[0].model is not None


def _provable_with_falsifiers() -> st.SearchStrategy[dict[str, Any]]:
    return PROVABLE_DOCS.filter(lambda d: len(d.get("falsification_tests") or []) >= 2)


@SETTINGS
@given(doc=_provable_with_falsifiers(), which=st.sampled_from(["id", "prediction"]), data=st.data())
def test_removing_a_required_key_is_caught_at_its_owner(tmp_path_factory, doc, which, data) -> None:  # type: ignore[no-untyped-def]
    i = data.draw(st.integers(0, len(doc["falsification_tests"]) - 1))
    del doc["falsification_tests"][i][which]
    text = dump(doc)
    run = validate_text(tmp_path_factory.mktemp("gen"), text)
    missing = [d for d in run.diagnostics if d.code == codes.SCH_MISSING]
    assert len(missing) == 1, [d.render() for d in run.diagnostics]
    assert missing[0].line == node_line(text, ("falsification_tests", i))
    assert f"'{which}'" in missing[0].message


@SETTINGS
@given(doc=_provable_with_falsifiers(), data=st.data())
def test_a_duplicated_id_is_caught_at_the_second_one(tmp_path_factory, doc, data) -> None:  # type: ignore[no-untyped-def]
    n = len(doc["falsification_tests"])
    i = data.draw(st.integers(0, n - 2))
    j = data.draw(st.integers(i + 1, n - 1))
    doc["falsification_tests"][j]["id"] = doc["falsification_tests"][i]["id"]
    text = dump(doc)
    run = validate_text(tmp_path_factory.mktemp("gen"), text)
    assert [(d.code, d.line) for d in run.diagnostics] == [
        (codes.ID_DUPLICATE, node_line(text, ("falsification_tests", j, "id")))]


def _spellings(models: tuple[type[BaseModel], ...]) -> frozenset[str]:
    """Every key any model reachable from ``models`` accepts (field names and aliases)."""
    from pv.checks.keys import model_keys

    seen: set[type[BaseModel]] = set()
    names: set[str] = set()
    todo = list(models)
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        names |= model_keys(model).known
        for info in model.model_fields.values():
            stack = [info.annotation]
            while stack:
                t = stack.pop()
                if isinstance(t, type) and issubclass(t, BaseModel):
                    todo.append(t)
                stack.extend(typing.get_args(t))
    return frozenset(names)


_ALL_SPELLINGS = _spellings((GateContract, ProvableContract))


def _misspell(key: str, how: int) -> str:
    if how == 0:
        return key.upper()
    if how == 1:
        return key.replace("_", "-") if "_" in key else key + "s"
    return key[:-1] if key.endswith("s") else key + "s"


@SETTINGS
@given(doc=st.one_of(PROVABLE_DOCS, GATE_DOCS), how=st.integers(0, 2), data=st.data())
def test_a_misspelled_key_is_caught_with_a_suggestion(tmp_path_factory, doc, how, data) -> None:  # type: ignore[no-untyped-def]
    # Pick a mapping somewhere in the document (top level, metadata, or a list item) and a key of it.
    places: list[tuple[Any, ...]] = [(), ("metadata",)]
    for section in ("falsification_tests", "gates", "invariants", "kani_harnesses"):
        places += [(section, k) for k in range(len(doc.get(section) or []))]
    place = data.draw(st.sampled_from(places))
    target = doc
    for p in place:
        target = target[p]
    key = data.draw(st.sampled_from(sorted(target)))
    wrong = _misspell(key, how)
    if wrong in target or wrong in _ALL_SPELLINGS:
        return  # not a misspelling: 'architecture' + 's' is the gate dialect's own 'architectures'
    rebuilt = {(wrong if k == key else k): v for k, v in target.items()}
    target.clear()
    target.update(rebuilt)
    text = dump(doc)
    run = validate_text(tmp_path_factory.mktemp("gen"), text)
    unknown = [d for d in run.diagnostics if d.code == codes.SCH_UNKNOWN_KEY]
    assert len(unknown) == 1, [d.render() for d in run.diagnostics]
    assert unknown[0].line == node_line(text, (*place, wrong), key=True)
    assert unknown[0].data["suggestion"] == key
