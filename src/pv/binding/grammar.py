"""Classify one test-reference string into the classes pv understands.

The grammar (docs/lint.md "Reference grammar")::

    reference   := 'LIVE-PENDING' sep REASON          (sep: ':' or a dash; REASON required)
                 | 'LIVE:' 'evidence/' PACK
                 | 'shell:' COMMAND                   (counted apart, never a bound test)
                 | leg ('&&' leg)*
    leg         := 'pv' ('validate'|'lint') ARGS...   (pv checking itself)
                 | pytest-command                     (pytest / py.test / python -m pytest ...)
                 | target ('+' target)*
    target      := NODE_ID | BARE_NAME
    NODE_ID     := PATH.py ('::' NAME)* ('[' PARAM ']')?
    BARE_NAME   := NAME ('::' NAME)* ('[' PARAM ']')?

Everything else (prose, a slug, ``cargo test``, a comma list) is UNCLASSIFIED,
which is a finding, never a silent skip. Classification is purely lexical;
resolution against the test index is binding/resolve.py's job.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    NODE_ID = "node-id"
    BARE = "bare-name"
    PYTEST = "pytest-command"
    LIVE_PENDING = "live-pending"
    LIVE = "live-evidence"
    PV = "pv-command"
    SHELL = "shell"
    UNCLASSIFIED = "unclassified"


NODE_ID_RE = re.compile(r"^(?P<file>[^\s:\[\]]+\.py)(?P<rest>(?:::[^\s:\[\]]+)*)(?P<param>\[.*\])?$")
BARE_RE = re.compile(r"^(?P<name>[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)(?P<param>\[.*\])?$")
_LIVE_PENDING_RE = re.compile(r"^LIVE-PENDING\s*(?:[:\u2014\u2013]|-(?=\s))?\s*(?P<reason>.*)$", re.DOTALL)
_SHELL_CUT = {"|", "||", ";", ">", ">>", "<", "2>&1", "&>", "2>", "1>"}
_PYTEST_VALUE_OPTS = {
    "-k", "-m", "-p", "-c", "-o", "-n", "-r", "-W", "--keyword", "--rootdir", "--confcutdir", "--basetemp",
    "--junitxml", "--junit-xml", "--maxfail", "--tb", "--durations", "--log-level", "--deselect", "--ignore",
    "--ignore-glob", "--cov", "--cov-report", "--import-mode", "--capture", "--color", "--override-ini",
    "--dist", "--timeout", "--hypothesis-seed", "--log-cli-level", "--log-file", "--count", "--seed",
    "--randomly-seed", "--durations-min", "--maxprocesses", "--pv-record-file",
}  # fmt: skip
_RUNNERS = ({"uv", "run"}, {"poetry", "run"}, {"pipenv", "run"}, {"hatch", "run"})


@dataclass(slots=True)
class Part:
    """One classified piece of a reference; ``offset`` is where it starts in the reference text."""

    kind: Kind
    text: str
    offset: int = 0
    reason: str | None = None  # LIVE-PENDING reason, or why a piece is UNCLASSIFIED / malformed
    target: str | None = None  # LIVE pack path
    args: list[tuple[str, int]] = field(default_factory=list)  # pytest positionals / pv args, with offsets
    k_expr: str | None = None
    m_expr: str | None = None
    problem: str | None = None  # a lexical defect found while classifying (becomes a finding)


def _split_outside(text: str, sep: str) -> list[tuple[str, int]]:
    """Split on ``sep`` outside brackets and quotes, keeping each piece's offset."""
    if sep not in text:
        return [(text, 0)]
    out: list[tuple[str, int]] = []
    depth = 0
    quote: str | None = None
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        elif depth == 0 and text.startswith(sep, i):
            out.append((text[start:i], start))
            i += len(sep)
            start = i
            continue
        i += 1
    out.append((text[start:], start))
    return out


def _stripped(piece: str, offset: int) -> tuple[str, int]:
    lead = len(piece) - len(piece.lstrip())
    return piece.strip(), offset + lead


def _pytest_args(tokens: list[str]) -> list[str] | None:
    """The arguments after the pytest executable, or None when the leg is not a pytest run."""
    toks = list(tokens)
    while toks and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", toks[0]):
        toks.pop(0)  # FOO=bar env assignments
    if len(toks) >= 2 and {toks[0], toks[1]} in _RUNNERS:
        toks = toks[2:]
    if not toks:
        return None
    exe = os.path.basename(toks[0])
    if exe in {"pytest", "py.test"}:
        return toks[1:]
    if re.match(r"^python(\d(\.\d+)?)?$", exe) and toks[1:3] == ["-m", "pytest"]:
        return toks[3:]
    return None


def _parse_pytest(leg: str, offset: int) -> Part | None:
    if "pytest" not in leg and "py.test" not in leg:
        return None
    try:
        lexer = shlex.shlex(leg, posix=True, punctuation_chars=False)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError as exc:
        if re.search(r"(^|\s|/)(pytest|py\.test)(\s|$)", leg):
            return Part(Kind.PYTEST, leg, offset, problem=f"cannot split the command line: {exc}")
        return None
    args = _pytest_args(tokens)
    if args is None:
        return None
    part = Part(Kind.PYTEST, leg, offset)
    search_from = 0
    i = 0
    while i < len(args):
        tok = args[i]
        if tok in _SHELL_CUT or tok.startswith(("|", ">", "2>")):
            break
        value: str | None = None
        opt = tok
        if tok.startswith("--") and "=" in tok:
            opt, value = tok.split("=", 1)
        elif tok[:2] in {"-k", "-m"} and len(tok) > 2:
            opt, value = tok[:2], tok[2:]
        if opt in _PYTEST_VALUE_OPTS:
            if value is None:
                if i + 1 >= len(args):
                    part.problem = f"option {opt} has no value"
                    return part
                value = args[i + 1]
                i += 1
            if opt in {"-k", "--keyword"}:
                part.k_expr = value if part.k_expr is None else f"({part.k_expr}) and ({value})"
            elif opt == "-m":
                part.m_expr = value
            i += 1
            continue
        if tok == "--pyargs":
            part.problem = "--pyargs names packages, not test files; cite node IDs instead"
            return part
        if tok.startswith("-"):
            i += 1
            continue
        pos = leg.find(tok, search_from)
        if pos >= 0:
            search_from = pos + len(tok)
        part.args.append((tok, offset + max(pos, 0)))
        i += 1
    return part


def _classify_target(piece: str, offset: int) -> Part:
    if NODE_ID_RE.match(piece):
        return Part(Kind.NODE_ID, piece, offset)
    if BARE_RE.match(piece):
        return Part(Kind.BARE, piece, offset)
    return Part(Kind.UNCLASSIFIED, piece, offset)


_CLASSIFIED: dict[str, tuple[Part, ...]] = {}  # text -> its parts: a run classifies each reference 2-3 times
_CLASSIFIED_MAX = 200_000


def classify(text: str) -> list[Part]:
    """All parts of one reference string, in order. Never raises. Treat the parts as read-only."""
    parts = _CLASSIFIED.get(text)
    if parts is None:
        if len(_CLASSIFIED) >= _CLASSIFIED_MAX:
            _CLASSIFIED.clear()
        parts = _CLASSIFIED[text] = tuple(_classify(text))
    return list(parts)


def _classify(text: str) -> list[Part]:
    if NODE_ID_RE.match(text) and "&&" not in text and " " not in text and "+" not in text:
        return [Part(Kind.NODE_ID, text, 0)]  # the common case, without the general machinery
    stripped, lead = _stripped(text, 0)
    if not stripped:
        return [Part(Kind.UNCLASSIFIED, text, 0, reason="the reference is empty")]
    if stripped.startswith("LIVE-PENDING"):
        match = _LIVE_PENDING_RE.match(stripped)
        reason = match.group("reason").strip() if match else ""
        part = Part(Kind.LIVE_PENDING, stripped, lead, reason=reason or None)
        if match is None:
            part.problem = "write it as `LIVE-PENDING: <reason>`"
        return [part]
    if stripped.startswith("LIVE:"):
        target = stripped[len("LIVE:") :].strip()
        return [Part(Kind.LIVE, stripped, lead, target=target)]
    if stripped.startswith("shell:"):
        command = stripped[len("shell:") :].strip()
        part = Part(Kind.SHELL, stripped, lead, target=command)
        if not command:
            part.problem = "`shell:` needs a command"
        return [part]
    parts: list[Part] = []
    for raw_leg, leg_offset in _split_outside(text, "&&"):
        leg, off = _stripped(raw_leg, leg_offset)
        if not leg:
            parts.append(Part(Kind.UNCLASSIFIED, raw_leg, leg_offset, reason="an empty command around `&&`"))
            continue
        if leg == "pv" or leg.startswith("pv "):
            words = leg.split()
            part = Part(Kind.PV, leg, off)
            search = 0
            for word in words[1:]:
                pos = leg.find(word, search)
                search = pos + len(word)
                part.args.append((word, off + pos))
            parts.append(part)
            continue
        pytest_part = _parse_pytest(leg, off)
        if pytest_part is not None:
            parts.append(pytest_part)
            continue
        pieces = [_stripped(p, o + off) for p, o in _split_outside(leg, "+")]
        classified = [_classify_target(p, o) for p, o in pieces]
        if len(classified) > 1 and any(c.kind is Kind.UNCLASSIFIED for c in classified):
            parts.append(Part(Kind.UNCLASSIFIED, leg, off))  # prose with a '+' in it: one finding
        else:
            parts.extend(classified)
    return parts
