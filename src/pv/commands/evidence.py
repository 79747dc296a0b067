"""``pv evidence record|verify``: honest, hash-pinned records of live runs (docs/evidence.md)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

HELP = "record a live run as an evidence pack, or verify packs (hashes, commit, predictions)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="evidence_command", metavar="SUBCOMMAND", parser_class=type(parser))
    rec = sub.add_parser("record", help="run COMMAND and write evidence/NAME/ (manifest, stdout, stderr, metrics)",
                         description="Run COMMAND (after `--`) and write evidence/NAME/. A failing command is "
                         "recorded as failing; pv then exits 1.")
    rec.add_argument("--name", required=True, help="pack name: evidence/NAME/ (letters, digits, . _ -)")
    rec.add_argument("--falsifier", action="append", default=[], required=True, metavar="ID",
                     help="falsifier this run is evidence for (repeatable)")
    rec.add_argument("--metrics", metavar="FILE",
                     help="JSON file the command writes (e.g. the trainer's run result); default: the command's "
                     "JSON stdout (--json)")
    rec.add_argument("--artifact", action="append", default=[], metavar="PATH",
                     help="file or directory the command produces, copied into the pack (repeatable)")
    rec.add_argument("--evidence-dir", metavar="DIR", help="default: evidence/ under the project root")
    rec.add_argument("--force", action="store_true", help="replace an existing pack of that name")
    rec.add_argument("-q", "--quiet", action="store_true", help="do not echo the command's output live")
    rec.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND", help="the command to run")
    ver = sub.add_parser("verify", help="verify packs: hashes, manifest, commit in history, predictions")
    ver.add_argument("packs", nargs="*", metavar="PACK",
                     help="pack directories (default: every pack under evidence/)")
    ver.add_argument("-f", "--format", choices=("text", "json", "github", "sarif"), default="text")
    ver.add_argument("--color", choices=("auto", "always", "never"), default="auto")


def run(args: argparse.Namespace) -> int:
    import sys

    from pv import exitcodes

    if args.evidence_command == "record":
        return _record(args)
    if args.evidence_command == "verify":
        return _verify(args)
    sys.stderr.write("pv evidence: name a subcommand: record or verify (see `pv evidence --help`)\n")
    return exitcodes.NOTHING_CHECKED


def _record(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from pv import exitcodes
    from pv.config import ConfigError, load_config
    from pv.evidence.record import RecordError, record

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    try:
        config = load_config(Path.cwd())
        evidence_dir = Path(args.evidence_dir) if args.evidence_dir else config.root / "evidence"
        result = record(name=args.name, falsifiers=args.falsifier, command=command, root=config.root,
                        evidence_dir=evidence_dir, metrics_file=Path(args.metrics) if args.metrics else None,
                        artifacts=[Path(a) for a in args.artifact], echo=not args.quiet, force=args.force)
    except (ConfigError, RecordError) as exc:
        sys.stderr.write(f"pv evidence record: {exc}\n")
        return exitcodes.NOTHING_CHECKED
    m = result.manifest
    verdict = "OK" if m.exit_code == 0 and not m.notes else "FAILED RUN" if m.exit_code else "RECORDED WITH NOTES"
    sys.stderr.write(f"pv evidence record: {verdict}: {result.pack_dir} (exit {m.exit_code}, {m.duration_s:.1f} s, "
                     f"{len(m.metrics)} metric(s), {len(m.files)} file(s))\n")
    for note in m.notes:
        sys.stderr.write(f"  note: {note}\n")
    return exitcodes.OK if m.exit_code == 0 and not m.notes else exitcodes.FINDINGS


def _verify(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from pv import exitcodes
    from pv.config import ConfigError, load_config
    from pv.evidence.verify import verify_pack
    from pv.report import RunSummary, render
    from pv.status.collect import collect
    from pv.status.ladder import checks_of
    from pv.status.project import default_paths

    try:
        config = load_config(Path.cwd())
    except ConfigError as exc:
        sys.stderr.write(f"pv evidence verify: {exc}\n")
        return exitcodes.NOTHING_CHECKED
    if args.packs:
        packs = [Path(p) for p in args.packs]
    else:
        base = config.root / "evidence"
        packs = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")) if base.is_dir() else []
    if not packs:
        sys.stderr.write("pv evidence verify: no evidence pack found (evidence/ is empty or missing); exit 2\n")
        return exitcodes.NOTHING_CHECKED
    collected = collect(default_paths([], config), config)
    checks = checks_of(collected.contracts)
    diags = []
    lines = []
    for pack in _progress(packs):
        rep = verify_pack(pack.resolve() if not pack.is_absolute() else pack, config.root, checks)
        diags.extend(rep.diagnostics)
        done = sorted(f for f, d in rep.discharges.items() if d.discharged)
        state = "OK" if rep.ok else "FAIL"
        shown = pack.resolve().relative_to(config.root) if pack.resolve().is_relative_to(config.root) else pack
        lines.append(f"{shown}: {state}" + (f" (discharges {', '.join(done)})" if done else ""))
    code = exitcodes.FINDINGS if any(d.severity.name == "ERROR" for d in diags) else exitcodes.OK
    if args.format == "text":
        for line in lines:
            sys.stdout.write(line + "\n")
    summary = RunSummary(command="evidence verify", files_checked=len(packs), unit="pack",
                         contracts=len(collected.contracts),
                         exit_code=code, extra={"packs": len(packs)})
    color = {"auto": None, "always": True, "never": False}[args.color]
    render(diags, args.format, sys.stdout, summary, color=color)
    return code


def _progress(packs: list) -> Iterable:  # type: ignore[type-arg]
    """Packs to verify, with a transient rich progress bar on a terminal (hashing big artifacts takes time)."""
    import sys

    if not sys.stderr.isatty() or len(packs) < 2:
        return packs
    from rich.progress import track

    return track(packs, description="verifying evidence packs", transient=True)
