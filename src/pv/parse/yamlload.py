"""Safe YAML loading that keeps the position of every node.

Why not ``yaml.safe_load``: it silently keeps the last of two duplicate keys, throws away
positions (so every finding would point at line 1), and expands aliases without limit. Here the
C composer (libyaml, ``CSafeLoader``) builds the node graph, which is linear in the file size even
for an alias bomb, and one walk over it:

- builds plain Python values (dict/list/str/int/float/bool/None; timestamps stay text),
- records ``(line, col)`` (1-based) for every value and every mapping key,
- reports duplicate keys, non-scalar keys, recursive aliases and any tag that is not plain data,
- counts visited nodes and stops once aliases expand beyond what the file could hold literally.
"""

from __future__ import annotations

import math
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pv.diagnostics import Diagnostic, Severity
from pv.parse import codes

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_IMPLICIT = {k: tuple(v) for k, v in _BaseLoader.yaml_implicit_resolvers.items() if k is not None}

KeyPath = tuple[str | int, ...]
Pos = tuple[int, int]

_T = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = _T + "str", _T + "int", _T + "float", _T + "bool", _T + "null"
TIMESTAMP, MERGE, MAP, SEQ = _T + "timestamp", _T + "merge", _T + "map", _T + "seq"
_SCALAR_OK = {STR, INT, FLOAT, BOOL, NULL, TIMESTAMP}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_TIMESTAMP_RE = next(r for t, r in _IMPLICIT.get("2", ()) if t == TIMESTAMP)
_NULL_FORMS = frozenset({"", "~", "null", "Null", "NULL"})
# Longest integer accepted: CPython's own str->int limit (sys.get_int_max_str_digits), made a
# finding instead of the ValueError it would raise deep inside a later check.
MAX_INT_DIGITS = 4300


def _short(text: str, width: int = 40) -> str:
    """A scalar's text cut for a message (a 5,000-digit number is not repeated back in full)."""
    return text if len(text) <= width else text[: width - 1] + "…"



class Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """CSafeLoader with the tag resolver trimmed to what the safe schema uses (no path resolvers).

    libyaml calls these three hooks for every node; the stock versions are generic Python methods
    and take about a third of the composing time. Tags resolved are exactly the stock ones.
    """

    descend_resolver = {}.get  # a C builtin: no path resolvers are registered, so nothing to do
    ascend_resolver = {}.clear

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return STR
        return SEQ if kind is SequenceNode else MAP


# Nodes a file may expand to: a literal document needs at least ~2 bytes per node, so anything
# far above that is alias amplification. The floor keeps small files with a few merges working.
_NODE_FLOOR = 20_000
_NODES_PER_BYTE = 4

# Deepest nesting a file may have. Contracts nest a handful of levels; libyaml (PyYAML >= 6.0.4)
# refuses somewhere above 500 levels on its own, and the walk below would hit Python's recursion
# limit near 1,000. One limit well below both makes the refusal the same whichever layer sees it.
MAX_DEPTH = 200
_DEPTH_MESSAGE = f"YAML nests more than {MAX_DEPTH} levels deep; refusing this file"
_DEPTH_HINT = "flatten the structure"


@dataclass(slots=True)
class ParsedYaml:
    """One parsed document: its data and where each node sits."""

    data: Any
    positions: dict[KeyPath, Pos] = field(default_factory=dict)  # value node start
    key_positions: dict[KeyPath, Pos] = field(default_factory=dict)  # mapping key start

    def locate(self, path: KeyPath) -> Pos:
        """Position of the value at ``path``, else of its nearest existing ancestor."""
        return _nearest(self.positions, path)

    def locate_key(self, path: KeyPath) -> Pos:
        """Position of the mapping key that ends ``path`` (falls back to the value)."""
        if path in self.key_positions:
            return self.key_positions[path]
        return _nearest(self.positions, path)


def _nearest(table: dict[KeyPath, Pos], path: KeyPath) -> Pos:
    p = tuple(path)
    while p:
        if p in table:
            return table[p]
        p = p[:-1]
    return table.get((), (1, 1))


class _Refused(Exception):
    def __init__(self, code: str, message: str, pos: Pos, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.pos, self.hint = code, message, pos, hint


def _pos(node: Node) -> Pos:
    m = node.start_mark
    return (m.line + 1, m.column + 1)


class _Builder:
    def __init__(self, budget: int, display: str) -> None:
        self.budget = budget
        self.visited = 0
        self.display = display
        self.positions: dict[KeyPath, Pos] = {}
        self.key_positions: dict[KeyPath, Pos] = {}
        self.diags: list[Diagnostic] = []
        self.stack: set[int] = set()
        self.depth = 0

    def build(self, node: Node, path: KeyPath) -> Any:
        self.visited += 1
        if self.visited > self.budget:
            raise _Refused(codes.YAML_BOMB,
                           f"aliases expand to more than {self.budget:,} nodes; refusing this file "
                           "(a 'billion laughs' alias bomb?)", _pos(node),
                           "inline the repeated content or nest fewer aliases")
        self.positions[path] = _pos(node)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        nid = id(node)
        if nid in self.stack:
            raise _Refused(codes.YAML_RECURSIVE, "an alias refers to a node that contains it", _pos(node),
                           "remove the self-reference")
        self.stack.add(nid)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(codes.YAML_BOMB, _DEPTH_MESSAGE, _pos(node), _DEPTH_HINT)
        try:
            if isinstance(node, SequenceNode):
                if node.tag != SEQ:
                    self._bad_tag(node)
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                if node.tag != MAP:
                    self._bad_tag(node)
                return self._mapping(node, path)
        finally:
            self.stack.discard(nid)
            self.depth -= 1
        raise _Refused(codes.YAML_TAG, f"unsupported YAML node {type(node).__name__}", _pos(node))

    def _bad_tag(self, node: Node) -> None:
        tag = node.tag.replace(_T, "!!")
        raise _Refused(codes.YAML_TAG, f"tag {tag} refused: only plain YAML data is loaded", _pos(node),
                       "remove the tag; contracts hold plain strings, numbers, lists and mappings")

    def _scalar(self, node: ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == STR:
            return value
        try:
            if tag == TIMESTAMP:  # dates stay text: the schema treats them as text
                return value if _TIMESTAMP_RE.match(value) else self._bad_value(node, "a timestamp")
            if tag == INT:
                digits = len(value.lstrip("+-").replace("_", ""))
                if digits > MAX_INT_DIGITS:
                    raise _Refused(codes.YAML_BAD_SCALAR, f"an integer of {digits:,} digits (more than "
                                   f"{MAX_INT_DIGITS:,}); refusing it", _pos(node),
                                   "write a shorter number, or quote it to keep it as text")
                try:
                    return int(value)
                except ValueError:
                    return _CONSTRUCTOR.construct_yaml_int(node)
            if tag == FLOAT:
                number = _CONSTRUCTOR.construct_yaml_float(node)
                if math.isinf(number) and ".inf" not in value.lower():
                    raise _Refused(codes.YAML_BAD_SCALAR, f"the number {_short(value)} overflows a float",
                                   _pos(node), "write `.inf` for infinity, or a smaller number")
                return number
            if tag == BOOL:
                return _CONSTRUCTOR.construct_yaml_bool(node)
            if tag == NULL:
                return None if value in _NULL_FORMS else self._bad_value(node, "null")
        except (ValueError, KeyError, IndexError, OverflowError, TypeError):
            self._bad_value(node, {INT: "an integer", FLOAT: "a float", BOOL: "a boolean"}.get(tag, tag))
        self._bad_tag(node)
        return None  # unreachable

    def _bad_value(self, node: ScalarNode, kind: str) -> Any:
        tag = node.tag.replace(_T, "!!")
        raise _Refused(codes.YAML_BAD_SCALAR, f"{tag} {_short(node.value)!r} is not {kind}", _pos(node),
                       "write the value without the tag, or quote it to keep it as text")

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, Pos] = {}
        merged: dict[str, Any] = {}
        positions, key_positions = self.positions, self.key_positions
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                raise _Refused(codes.YAML_COMPLEX_KEY, "a mapping key must be a plain scalar, not a "
                               f"{'list' if isinstance(key_node, SequenceNode) else 'mapping'}",
                               _pos(key_node), "use a text key")
            ktag = key_node.tag
            if ktag == MERGE:
                merged.update(self._merge_source(value_node, path))
                continue
            if ktag not in _SCALAR_OK:
                self._bad_tag(key_node)
            key = key_node.value  # keys are text as written: `yes:` stays "yes", `7:` stays "7"
            m = key_node.start_mark
            kpos = (m.line + 1, m.column + 1)
            if key in seen:
                first = seen[key]
                self.diags.append(Diagnostic(
                    codes.YAML_DUPKEY, Severity.ERROR,
                    f"duplicate key '{key}' (first at line {first[0]}); YAML would keep only this one",
                    self.display, kpos[0], kpos[1], hint="merge the two entries into one"))
            seen[key] = kpos
            child = (*path, key)
            key_positions[child] = kpos
            if type(value_node) is ScalarNode and value_node.tag == STR:
                # Fast path for the most common node: a plain text value.
                self.visited += 1
                vm = value_node.start_mark
                positions[child] = (vm.line + 1, vm.column + 1)
                out[key] = value_node.value
            else:
                out[key] = self.build(value_node, child)
        if self.visited > self.budget:
            self.build(node, path)  # raises the expansion refusal with a position
        for k, v in merged.items():  # explicit keys win over merged ones (YAML merge semantics)
            out.setdefault(k, v)
        return out

    def _merge_source(self, value_node: Node, path: KeyPath) -> dict[str, Any]:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        merged: dict[str, Any] = {}
        for src in sources:
            if not isinstance(src, MappingNode):
                raise _Refused(codes.YAML_SYNTAX, "'<<' merge needs a mapping or a list of mappings",
                               _pos(src))
            # Merged values are positioned at their source, but never over a position the target
            # mapping already recorded for its own (explicit, winning) keys.
            real_pos, real_keys = self.positions, self.key_positions
            self.positions, self.key_positions = {}, {}
            try:
                value = self.build(src, path)
            finally:
                merged_pos, merged_keys = self.positions, self.key_positions
                self.positions, self.key_positions = real_pos, real_keys
            merged_pos.pop(path, None)
            for k, pos in merged_pos.items():
                real_pos.setdefault(k, pos)
            for k, pos in merged_keys.items():
                real_keys.setdefault(k, pos)
            for k, v in value.items():
                merged.setdefault(k, v)
        return merged


def parse_text(text: str, display: str, size_hint: int | None = None) -> tuple[ParsedYaml | None, list[Diagnostic]]:
    """Parse one YAML document from text. Returns (parsed, diagnostics); parsed is None when refused."""
    size = size_hint if size_hint is not None else len(text)
    budget = _NODE_FLOOR + _NODES_PER_BYTE * size
    loader = Loader(text)
    try:
        try:
            node = loader.get_node() if loader.check_node() else None
            if node is not None and loader.check_node():
                extra = loader.get_node()
                line, col = _pos(extra)
                return None, [Diagnostic(codes.YAML_MULTI_DOC, Severity.ERROR,
                                         "a second YAML document starts here; a contract file holds one",
                                         display, line, col, hint="split the '---' documents into files")]
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            if "nesting depth" in (exc.problem or ""):  # libyaml's own limit (PyYAML >= 6.0.4)
                return None, [Diagnostic(codes.YAML_BOMB, Severity.ERROR, _DEPTH_MESSAGE, display,
                                         line, col, hint=_DEPTH_HINT)]
            what = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
            return None, [Diagnostic(codes.YAML_SYNTAX, Severity.ERROR, f"YAML does not parse: {what}",
                                     display, line, col, hint="fix the YAML syntax here")]
        except yaml.YAMLError as exc:
            return None, [Diagnostic(codes.YAML_SYNTAX, Severity.ERROR, f"YAML does not parse: {exc}",
                                     display, 1, 1)]
    finally:
        loader.dispose()
    if node is None or (isinstance(node, ScalarNode) and node.tag == NULL):
        line, col = _pos(node) if node is not None else (1, 1)
        return None, [Diagnostic(codes.YAML_EMPTY, Severity.ERROR, "empty document: the file holds no YAML data",
                                 display, line, col, hint="write the contract or delete the file")]
    builder = _Builder(budget, display)
    try:
        data = builder.build(node, ())
    except _Refused as ref:
        return None, [*builder.diags, Diagnostic(ref.code, Severity.ERROR, ref.message, display,
                                                 ref.pos[0], ref.pos[1], hint=ref.hint)]
    except RecursionError:  # only reachable when the caller's stack is already deep
        return None, [Diagnostic(codes.YAML_BOMB, Severity.ERROR, _DEPTH_MESSAGE, display, 1, 1,
                                 hint=_DEPTH_HINT)]
    parsed = ParsedYaml(data, builder.positions, builder.key_positions)
    return parsed, builder.diags


def load_file(path: Path, display: str, max_bytes: int) -> tuple[ParsedYaml | None, list[Diagnostic]]:
    """Read and parse one file with every refusal as a diagnostic (size cap before reading it all)."""

    def refuse(code: str, message: str, hint: str | None = None) -> tuple[None, list[Diagnostic]]:
        return None, [Diagnostic(code, Severity.ERROR, message, display, 1, 1, hint=hint)]

    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or device would block or never end
            return refuse(codes.PATH_UNREADABLE, "not a regular file (a pipe, socket or device)",
                          "point pv at contract files")
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        return refuse(codes.PATH_UNREADABLE, f"cannot read file: {exc.strerror or exc}")
    if len(raw) > max_bytes:
        return refuse(codes.YAML_TOO_LARGE, f"file is larger than the {max_bytes:,}-byte cap; not parsed",
                      "split it, or raise --max-file-bytes / [tool.pv] max_file_bytes")
    nul = raw.find(b"\x00")
    if nul >= 0:
        return refuse(codes.YAML_BINARY, f"binary file (NUL byte at offset {nul}); not YAML text",
                      "remove it from the contracts directory")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Diagnostic(codes.YAML_ENCODING, Severity.ERROR,
                                 f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded",
                                 display, line, col, hint="re-save the file as UTF-8")]
    if text.startswith("\ufeff"):
        text = text[1:]
    return parse_text(text, display, size_hint=len(raw))
