"""Pinned constants that related contracts must agree on (lint gate ``consistency``).

Real contracts pin the same fact in several files, and the seeds show the
copies drifting (tokenizer-bpe says vocab 50000 while llama-370m says 50257;
qwen2.yaml says untied embeddings while arch-polymorphic says Qwen2-0.5B ties
them). This module turns each place such a fact lives into a :class:`Fact`
with a canonical name, and reports two related facts that disagree.

Where facts come from (the mechanism, documented in docs/analysis.md):

1. ``constants:`` - an explicit top-level mapping of name -> scalar. The
   canonical way to pin a constant.
2. Well-known domain blocks - ``tokenizer``, ``architecture`` and
   ``constraints`` - whose keys in :data:`ALIASES` are read as constants
   under their canonical name (``tied_embeddings`` -> ``tie_word_embeddings``,
   ``hidden_dim`` -> ``hidden_size``, ...). Only the keys in the table are
   read: an unlisted key is never guessed at.
3. Model-family descriptors (a top-level ``family: F``) own facts about
   family ``F``: ``constraints`` for the whole family, ``size_variants.V`` and
   ``architecture`` (with ``size_variant: V``) for variant ``F/V``.
4. An equation named after a declared family (``qwen2_0_5b_constructor``:
   family ``qwen2``, variant ``0.5b``) makes claims about it: each formula
   line of the form ``<well-known key>: <literal>`` is such a claim.

Which facts are compared:

* contract-level facts (1 and 2) of two contracts joined by a depends_on,
  parent or peer link (either direction);
* a claim about a family or variant (4, or 3 from a second descriptor)
  against the descriptor that owns it; a variant inherits its family's facts
  unless it overrides them.

Values compare by type: booleans only equal booleans, numbers numerically
(``151_936 == 151936``, ``1e-6 == 0.000001``), strings exactly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pv.analysis import codes
from pv.analysis.graph import ContractGraph, build_graph
from pv.analysis.source import ContractDoc, raw_mapping, read_text
from pv.diagnostics import Diagnostic, Severity

# canonical name <- every spelling seen in the seeds and in HF config.json
_CANONICAL: dict[str, tuple[str, ...]] = {
    "vocab_size": ("vocab_size",),
    "hidden_size": ("hidden_size", "hidden_dim"),
    "num_hidden_layers": ("num_hidden_layers", "num_layers"),
    "num_attention_heads": ("num_attention_heads", "num_heads"),
    "num_key_value_heads": ("num_key_value_heads", "num_kv_heads"),
    "head_dim": ("head_dim",),
    "intermediate_size": ("intermediate_size", "intermediate_dim"),
    "max_position_embeddings": ("max_position_embeddings", "max_pos"),
    "rope_theta": ("rope_theta",),
    "rms_norm_eps": ("rms_norm_eps",),
    "tie_word_embeddings": ("tie_word_embeddings", "tied_embeddings"),
    "attention_bias": ("attention_bias", "has_bias", "use_bias"),
}
ALIASES: dict[str, str] = {alias: canon for canon, spellings in _CANONICAL.items() for alias in spellings}

DOMAIN_BLOCKS: tuple[str, ...] = ("tokenizer", "architecture", "constraints")
CONTRACT_SCOPE = ""


def canonical(name: str) -> str:
    """The canonical constant name (names outside the table are their own canonical name)."""
    return ALIASES.get(name, name)


@dataclass(frozen=True, slots=True)
class Fact:
    """One pinned value: ``name = value`` in ``scope`` at ``path:line:col`` (key ``where``)."""

    name: str
    value: Any
    scope: str  # "" for the contract itself, "F" or "F/V" for a model family / variant
    owner: bool  # True if this contract is the family descriptor that owns the scope
    stem: str
    path: str
    line: int
    col: int
    where: str  # the key path as people write it: "tokenizer.vocab_size"
    scope_label: str = ""  # the scope as written ("qwen2/0.5b"); scope itself is normalised

    def render_value(self) -> str:
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return repr(self.value) if isinstance(self.value, str) else str(self.value)


def _norm_token(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def _scalar(value: Any) -> bool:
    return isinstance(value, bool | int | float | str) and value is not None


def _block_facts(doc: ContractDoc, mapping: Mapping[str, Any], scope: tuple[str, str], owner: bool,
                 key_prefix: tuple[str | int, ...], only_known: bool) -> list[Fact]:
    out: list[Fact] = []
    for key, value in mapping.items():
        if not isinstance(key, str) or not _scalar(value):
            continue
        if only_known and key not in ALIASES:
            continue
        line, col = doc.locate((*key_prefix, key))
        where = ".".join(str(p) for p in (*key_prefix, key))
        out.append(Fact(canonical(key), value, scope[0], owner, doc.stem, str(doc.path), line, col, where, scope[1]))
    return out


def _scope(family: str, variant: Any = None) -> tuple[str, str]:
    """(normalised scope used for matching, label as written for messages)."""
    if variant is None:
        return _norm_token(family), family
    return f"{_norm_token(family)}/{_norm_token(variant)}", f"{family}/{variant}"


def declared_families(docs: Iterable[ContractDoc]) -> dict[str, dict[str, str]]:
    """family -> {normalised variant: variant as written}, from every ``family:`` descriptor."""
    families: dict[str, dict[str, str]] = {}
    for doc in docs:
        raw = raw_mapping(doc)
        family = raw.get("family")
        if not isinstance(family, str) or not family.strip():
            continue
        variants = families.setdefault(_norm_token(family), {"": family})
        sizes = raw.get("size_variants")
        if isinstance(sizes, Mapping):
            variants.update({_norm_token(v): str(v) for v in sizes})
        if isinstance(raw.get("size_variant"), str | int | float):
            variants[_norm_token(raw["size_variant"])] = str(raw["size_variant"])
    return families


def contract_facts(doc: ContractDoc) -> list[Fact]:
    """Facts from sources 1-3 of the module docstring for one contract."""
    raw = raw_mapping(doc)
    out: list[Fact] = []
    own = (CONTRACT_SCOPE, "")
    constants = raw.get("constants")
    if isinstance(constants, Mapping):
        out += _block_facts(doc, constants, own, False, ("constants",), False)
    family = raw.get("family")
    fam = family if isinstance(family, str) and family.strip() else None
    own_variant = raw.get("size_variant") if isinstance(raw.get("size_variant"), str | int | float) else None
    for block in DOMAIN_BLOCKS:
        mapping = raw.get(block)
        if not isinstance(mapping, Mapping):
            continue
        out += _block_facts(doc, mapping, own, False, (block,), True)
        if fam is not None and block in ("constraints", "architecture"):
            scope = _scope(fam) if block == "constraints" or own_variant is None else _scope(fam, own_variant)
            out += _block_facts(doc, mapping, scope, True, (block,), True)
    sizes = raw.get("size_variants")
    if fam is not None and isinstance(sizes, Mapping):
        for variant, mapping in sizes.items():
            if isinstance(mapping, Mapping):
                out += _block_facts(doc, mapping, _scope(fam, variant), True, ("size_variants", variant), True)
    return out


# `  vocab_size:   151_936   (comment)` / `tie_word_embeddings = true`
_FORMULA_LINE = re.compile(
    r"^(?P<indent>\s*)[-*]?\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*[:=]\s*"
    r"(?P<value>true|false|[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)"
    r"(?![\w.])",
    re.IGNORECASE,
)


def _literal(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    clean = text.replace("_", "")
    if re.fullmatch(r"[+-]?\d+", clean):
        return int(clean)
    return float(clean)


def _equation_scope(name: str, families: Mapping[str, Mapping[str, str]]) -> tuple[str, str] | None:
    token = _norm_token(name)
    for family in sorted(families, key=len, reverse=True):
        if token == family or token.startswith(family + "_"):
            rest = token[len(family) + 1:]
            written = families[family][""]
            for variant in sorted((v for v in families[family] if v), key=len, reverse=True):
                if rest == variant or rest.startswith(variant + "_"):
                    return _scope(written, families[family][variant])
            return _scope(written)
    return None


def equation_claims(doc: ContractDoc, families: Mapping[str, Mapping[str, str]]) -> list[Fact]:
    """Facts from source 4: ``key: literal`` lines in formulas of equations named after a family."""
    equations = raw_mapping(doc).get("equations")
    items: list[tuple[str, tuple[str | int, ...], Any]] = []
    if isinstance(equations, Mapping):
        items = [(str(k), ("equations", k), v) for k, v in equations.items()]
    elif isinstance(equations, list):
        items = [(str(v.get("id", "")), ("equations", i), v) for i, v in enumerate(equations) if isinstance(v, Mapping)]
    out: list[Fact] = []
    text_lines: list[str] | None = None
    for name, key_path, body in items:
        if not isinstance(body, Mapping) or not isinstance(body.get("formula"), str):
            continue
        scope = _equation_scope(name, families)
        if scope is None:
            continue
        if text_lines is None:
            text = read_text(doc)
            text_lines = text.splitlines() if text is not None else []
        start_line, _ = doc.locate((*key_path, "formula"))
        search_from = max(start_line - 1, 0)
        for formula_line in body["formula"].splitlines():
            match = _FORMULA_LINE.match(formula_line)
            if not match or match.group("key") not in ALIASES:
                continue
            line, col = _find_in_text(text_lines, search_from, formula_line.strip(), start_line)
            search_from = max(line - 1, search_from)
            out.append(Fact(
                canonical(match.group("key")), _literal(match.group("value")), scope[0], False,
                doc.stem, str(doc.path), line, col, f"equations.{name}.formula", scope[1],
            ))
    return out


def _find_in_text(lines: list[str], start: int, needle: str, fallback_line: int) -> tuple[int, int]:
    """The 1-based position of the formula line in the file (block scalars keep their text)."""
    for index in range(start, len(lines)):
        col = lines[index].find(needle)
        if col >= 0:
            return index + 1, col + 1
    return fallback_line, 1


def values_agree(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    return a == b


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two facts with the same name and scope that disagree, and why they are compared."""

    first: Fact
    second: Fact
    relation: str  # "peer link", "depends_on", "family qwen2/0.5b", ...


def _conflict_key(c: Conflict) -> tuple[str, int, str, int, str]:
    return (c.first.path, c.first.line, c.second.path, c.second.line, c.first.name)


def compare_facts(docs: Iterable[ContractDoc], graph: ContractGraph | None = None) -> tuple[list[Conflict], int]:
    """(conflicts, number of fact pairs compared): the count lets a gate tell "agree" from "nothing to compare"."""
    docs = sorted(docs, key=lambda d: str(d.path))
    graph = graph if graph is not None else build_graph(docs)
    families = declared_families(docs)
    facts: dict[str, list[Fact]] = {}
    for doc in docs:
        facts[doc.stem] = contract_facts(doc) + equation_claims(doc, families)
    conflicts: list[Conflict] = []
    seen: set[tuple[str, int, str, int]] = set()
    compared = 0

    def add(a: Fact, b: Fact, relation: str) -> None:
        first, second = sorted((a, b), key=lambda f: (f.path, f.line, f.col))
        key = (first.path, first.line, second.path, second.line)
        if key not in seen:
            seen.add(key)
            conflicts.append(Conflict(first, second, relation))

    # contract-level facts across direct links
    stems = [d.stem for d in docs]
    position = {stem: i for i, stem in enumerate(stems)}
    for i, a_stem in enumerate(stems):
        for b_stem in sorted(graph.related(a_stem), key=lambda s: position.get(s, -1)):
            if position.get(b_stem, -1) <= i:
                continue  # each pair once; links to contracts outside the set carry no facts
            edge = graph.link_between(a_stem, b_stem)
            relation = f"{edge.kind} link" if edge else "link"
            for fa in facts[a_stem]:
                if fa.scope != CONTRACT_SCOPE:
                    continue
                for fb in facts[b_stem]:
                    if fb.scope == CONTRACT_SCOPE and fb.name == fa.name:
                        compared += 1
                        if not values_agree(fa.value, fb.value):
                            add(fa, fb, relation)

    # family / variant claims against their owner
    owned: dict[tuple[str, str], list[Fact]] = {}
    for fact_list in facts.values():
        for f in fact_list:
            if f.owner:
                owned.setdefault((f.scope, f.name), []).append(f)
    for fact_list in facts.values():
        for claim in fact_list:
            if claim.scope == CONTRACT_SCOPE:
                continue
            scopes = [claim.scope]
            if "/" in claim.scope:
                scopes.append(claim.scope.split("/", 1)[0])
            for scope in scopes:  # a variant's own value wins over its family's
                owners = [o for o in owned.get((scope, claim.name), []) if o.stem != claim.stem]
                if not owners:
                    continue
                for owner in owners:
                    compared += 1
                    if not values_agree(owner.value, claim.value):
                        add(claim, owner, f"family {claim.scope_label}")
                break
    return sorted(conflicts, key=_conflict_key), compared


def conflict_diagnostics(conflicts: Iterable[Conflict]) -> list[Diagnostic]:
    """PV-CONST-001, at the first file (by path), naming the second file and line."""
    out: list[Diagnostic] = []
    for c in conflicts:
        a, b = c.first, c.second
        out.append(Diagnostic(
            code=codes.CONST_CONFLICT,
            severity=Severity.ERROR,
            message=(
                f"{a.name} = {a.render_value()} here ({a.where}) but {b.render_value()} in "
                f"{b.path}:{b.line}:{b.col} ({b.where}); related by {c.relation}"
            ),
            path=a.path,
            line=a.line,
            col=a.col,
            hint="make both contracts pin the same value, bumping the version of the one that changes",
            data={"name": a.name, "other_path": b.path, "other_line": str(b.line), "relation": c.relation},
        ))
    return out
