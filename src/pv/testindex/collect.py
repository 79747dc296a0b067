"""``--collect``: ask pytest itself (``pytest --collect-only -q`` in a subprocess) for the node IDs.

The static index is fast and exact for what the source states; pytest's real
collection also sees conftest hooks, plugins and run-time parametrization.
With ``--collect`` pytest's answer is the authority for existence, and every
disagreement with the static index is reported (PV-BIND-025) so the index's
blind spots are visible instead of silently papered over.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pv.diagnostics import Diagnostic, Severity
from pv.testindex import codes
from pv.testindex.index import TestIndex

TIMEOUT_S = 600
_NODE_ID_LINE = re.compile(r"^[^\s:]+\.py::\S")
MAX_REPORTED = 50  # disagreements listed one by one; the rest are counted


@dataclass(slots=True)
class Collection:
    node_ids: set[str] | None  # None when pytest could not collect
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _command(index: TestIndex) -> list[str]:
    return [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
            "--rootdir", str(index.root)]


def parse_collect_output(stdout: str) -> tuple[set[str], list[str]]:
    """Node IDs (lines before the first blank line that name a test) and ERROR lines."""
    ids: set[str] = set()
    errors: list[str] = []
    for line in stdout.splitlines():
        text = line.rstrip()
        if text.startswith("ERROR "):
            errors.append(text)
        elif _NODE_ID_LINE.match(text):
            ids.add(text)
    return ids, errors


def run_collection(index: TestIndex) -> Collection:
    """Run pytest's collection in the project root; never raises."""
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cfg_path = str(index.root / "pyproject.toml")
    try:
        proc = subprocess.run(_command(index), cwd=index.root, capture_output=True, text=True,
                              timeout=TIMEOUT_S, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Collection(None, [Diagnostic(codes.COLLECT_FAILED, Severity.ERROR,
                                            f"could not run pytest --collect-only: {exc}", cfg_path)])
    ids, errors = parse_collect_output(proc.stdout)
    diags: list[Diagnostic] = []
    if proc.returncode not in (0, 5) or errors:
        tail = "; ".join(errors[:5]) or (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        diags.append(Diagnostic(codes.COLLECT_FAILED, Severity.ERROR,
                                f"pytest --collect-only exited {proc.returncode}: {tail}", cfg_path))
    return Collection(ids if (ids or proc.returncode in (0, 5)) else None, diags)


def compare(index: TestIndex, collected: set[str]) -> list[Diagnostic]:
    """PV-BIND-025 for every node ID one side has and the other lacks (undecidable tests excluded)."""
    static = index.item_ids()
    undecidable = {f.base_nodeid for f in index.functions() if f.params_undecidable is not None}

    def base(nid: str) -> str:
        return nid.split("[", 1)[0] if nid.endswith("]") else nid

    only_pytest = sorted(n for n in collected - static if base(n) not in undecidable)
    only_static = sorted(n for n in static - collected)
    diags: list[Diagnostic] = []
    for nid in only_pytest[:MAX_REPORTED]:
        diags.append(Diagnostic(codes.COLLECT_DISAGREES, Severity.WARNING,
                                f"pytest collects {nid} but the static index does not", nid.split("::", 1)[0]))
    for nid in only_static[:MAX_REPORTED]:
        func = index.function(base(nid))
        line, col = (func.line, func.col) if func else (1, 1)
        diags.append(Diagnostic(codes.COLLECT_DISAGREES, Severity.WARNING,
                                f"the static index lists {nid} but pytest does not collect it",
                                nid.split("::", 1)[0], line, col))
    hidden = len(only_pytest) + len(only_static) - len(diags)
    if hidden > 0:
        diags.append(Diagnostic(codes.COLLECT_DISAGREES, Severity.WARNING,
                                f"{hidden} more disagreements between the static index and pytest",
                                str(index.root / "pyproject.toml")))
    return diags


# ---- the exact fallback (strict mode): pytest collects just the files static analysis cannot decide ----

FALLBACK_CACHE = "collect.json"


def project_python(root: Path) -> str:
    """The interpreter whose pytest, plugins and packages the project uses: ``$PV_PYTHON``, else the
    project's ``.venv``/``venv``, else the one running pv."""
    env = os.environ.get("PV_PYTHON")
    if env:
        return env
    for name in (".venv", "venv"):
        candidate = root / name / "bin" / "python"
        if candidate.is_file():
            return str(candidate)
    return sys.executable


def _config_digest(root: Path) -> str:
    h = hashlib.sha256()
    for name in ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"):
        with contextlib.suppress(OSError):
            h.update(name.encode() + b"\0" + (root / name).read_bytes())
    return h.hexdigest()


def file_key(index: TestIndex, rel: str, python: str) -> str:
    """Content hash of the file, its conftest chain, the pytest config and the interpreter."""
    from pv.testindex.conftests import chain

    h = hashlib.sha256(f"{python}\0{_config_digest(index.root)}\0{rel}\0".encode())
    scan = index.file(rel)
    if scan is not None:
        h.update(scan.sha256.encode())
    else:
        with contextlib.suppress(OSError):
            h.update(hashlib.sha256((index.root / rel).read_bytes()).digest())
    for conf in chain(rel, index.conftests):
        h.update(f"{conf.path}:{conf.sha256}".encode())
    return h.hexdigest()


@dataclass(slots=True)
class FileCollection:
    """pytest's answer for the files the static index could not decide."""

    node_ids: dict[str, list[str]] = field(default_factory=dict)  # rel -> node IDs pytest lists there
    errors: dict[str, str] = field(default_factory=dict)  # rel -> pytest's collection error
    reasons: dict[str, str] = field(default_factory=dict)  # rel -> why it needed real collection
    ran: int = 0  # files collected by pytest in this run (the rest came from the cache)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _load_cache(root: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    try:
        raw = json.loads((root / ".pv" / "cache" / FALLBACK_CACHE).read_bytes())
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def collect_files(index: TestIndex, reasons: dict[str, str], *, use_cache: bool = True) -> FileCollection:
    """Run ``pytest --collect-only -q`` once on the files in ``reasons`` whose cache entry is stale.

    ``-m ''`` and ``-k ''`` come last on the command line, so addopts' own ``-m``/``-k`` do not hide
    deselected tests (those exist; binding reports them as deselected, not missing)."""
    python = project_python(index.root)
    out = FileCollection(reasons=dict(reasons))
    cached = _load_cache(index.root) if use_cache else {}
    keys = {rel: file_key(index, rel, python) for rel in reasons}
    todo = []
    for rel, key in keys.items():
        hit = cached.get(rel)
        if isinstance(hit, dict) and hit.get("key") == key:
            out.node_ids[rel] = list(hit.get("ids", []))
            if hit.get("error"):
                out.errors[rel] = str(hit["error"])
        else:
            todo.append(rel)
    if todo:
        out.ran = len(todo)
        ids, errors, failure = _run_files(index, python, todo)
        if failure is not None:
            out.diagnostics.append(Diagnostic(codes.COLLECT_FAILED, Severity.ERROR, failure,
                                              str(index.root / todo[0])))
        for rel in todo:
            if failure is not None:
                continue  # no answer: those citations stay undecidable (an error under strict)
            out.node_ids[rel] = sorted(n for n in ids if n.split("::", 1)[0] == rel)
            if rel in errors:
                out.errors[rel] = errors[rel]
            if failure is None:
                cached[rel] = {"key": keys[rel], "ids": out.node_ids[rel], "error": errors.get(rel)}
        if use_cache and failure is None:
            from pv.atomic import write_json

            with contextlib.suppress(OSError):
                (index.root / ".pv" / "cache").mkdir(parents=True, exist_ok=True)
                write_json(index.root / ".pv" / "cache" / FALLBACK_CACHE, cached)
    return out  # per-file errors become findings on the citations (resolve.Resolver._exact_node)


_SECTION = re.compile(r"^_+ ERROR collecting (\S+) _+$")
_ERROR_LINE = re.compile(r"^ERROR (\S+?)(?:::\S*)?(?: - (.*))?$")


def _run_files(index: TestIndex, python: str, files: list[str]) -> tuple[set[str], dict[str, str], str | None]:
    """(node IDs, per-file errors, why the run itself failed). Never raises."""
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", str(index.root),
           "--continue-on-collection-errors", *files, "-m", "", "-k", ""]
    try:
        proc = subprocess.run(cmd, cwd=index.root, capture_output=True, text=True, timeout=TIMEOUT_S, env=env,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return set(), {}, f"could not run {python} -m pytest --collect-only: {exc}"
    ids: set[str] = set()
    errors: dict[str, str] = {}
    details: dict[str, str] = {}  # the last `E   ...` line of each "ERROR collecting <file>" section
    section: str | None = None
    for line in proc.stdout.splitlines():
        text = line.rstrip()
        head = _SECTION.match(text)
        if head:
            section = head.group(1)
            continue
        if section and text.startswith("E   "):
            details[section] = text[4:].strip()
        match = _ERROR_LINE.match(text)
        if match:
            errors[match.group(1)] = (match.group(2) or details.get(match.group(1))
                                      or "collection error (see pytest --collect-only)")
        elif "::" in text and not text.startswith(" ") and text.split("::", 1)[0] in files:
            ids.add(text)
    if proc.returncode not in (0, 1, 2, 5) or (proc.returncode != 0 and not ids and not errors):
        tail = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or ["(no output)"])[-1]
        return set(), {}, f"{python} -m pytest --collect-only exited {proc.returncode}: {tail}"
    return ids, errors, None
