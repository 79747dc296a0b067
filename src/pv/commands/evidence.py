"""``pv evidence record|verify|seal``: honest, hash-pinned records of live runs (docs/evidence.md)."""

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
    seal = sub.add_parser("seal", help="print (or --write into the contracts) each pack's seal: "
                          "LIVE: evidence/NAME@sha256:<manifest sha256>",
                          description="Seal intact packs: the sha256 of manifest.json goes into every contract "
                          "reference citing the pack, so a later edit of the manifest is caught (PV-EVID-014). "
                          "A pack that does not verify is not sealed (exit 1).")
    seal.add_argument("packs", nargs="*", metavar="PACK", help="pack directories (default: every pack under evidence/)")
    seal.add_argument("--write", action="store_true",
                      help="rewrite the citing references in the contract files (bump those contracts' versions)")


def run(args: argparse.Namespace) -> int:
    import sys

    from pv import exitcodes

    if args.evidence_command == "record":
        return _record(args)
    if args.evidence_command == "verify":
        return _verify(args)
    if args.evidence_command == "seal":
        return _seal(args)
    sys.stderr.write("pv evidence: name a subcommand: record, verify or seal (see `pv evidence --help`)\n")
    return exitcodes.NOTHING_CHECKED


def _record(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from pv import exitcodes
    from pv.commands.setup import config_for
    from pv.evidence.record import RecordError, record

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    config = config_for("evidence record")
    if config is None:
        return exitcodes.NOTHING_CHECKED
    try:
        evidence_dir = Path(args.evidence_dir) if args.evidence_dir else config.root / "evidence"
        result = record(name=args.name, falsifiers=args.falsifier, command=command, root=config.root,
                        evidence_dir=evidence_dir, metrics_file=Path(args.metrics) if args.metrics else None,
                        artifacts=[Path(a) for a in args.artifact], echo=not args.quiet, force=args.force)
    except RecordError as exc:
        sys.stderr.write(f"pv evidence record: {exc}\n")
        return exitcodes.NOTHING_CHECKED
    m = result.manifest
    verdict = "OK" if m.exit_code == 0 and not m.notes else "FAILED RUN" if m.exit_code else "RECORDED WITH NOTES"
    sys.stderr.write(f"pv evidence record: {verdict}: {result.pack_dir} (exit {m.exit_code}, {m.duration_s:.1f} s, "
                     f"{len(m.metrics)} metric(s), {len(m.files)} file(s))\n")
    from pv.binding.live import reference
    from pv.evidence.manifest import load_manifest

    try:
        pack_rel = result.pack_dir.resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        pack_rel = result.pack_dir.as_posix()
    sys.stderr.write(f"  cite it as: {reference(pack_rel, load_manifest(result.pack_dir).sha256)}\n")
    for note in m.notes:
        sys.stderr.write(f"  note: {note}\n")
    return exitcodes.OK if m.exit_code == 0 and not m.notes else exitcodes.FINDINGS


def _cited_seals(contracts: Iterable, root: object) -> dict[str, list[str | None]]:  # type: ignore[type-arg]
    """Normalized absolute pack path -> the seals contracts cite it with (None: a reference without one)."""
    import os
    from pathlib import Path

    from pv.status.facts import RefKind

    out: dict[str, list[str | None]] = {}
    for contract in contracts:
        for f in contract.falsifiers:
            for ref in f.refs:
                if ref.kind is RefKind.LIVE:
                    out.setdefault(os.path.normpath(Path(str(root)) / ref.pack), []).append(ref.seal or None)
    return out


def _verify(args: argparse.Namespace) -> int:
    import os
    import sys
    from pathlib import Path

    from pv import exitcodes
    from pv.commands.setup import config_for
    from pv.evidence.verify import verify_pack
    from pv.report import RunSummary, render
    from pv.status.collect import collect
    from pv.status.ladder import checks_of

    config = config_for("evidence verify")
    if config is None:
        return exitcodes.NOTHING_CHECKED
    if args.packs:
        packs = [Path(p) for p in args.packs]
    else:
        base = config.root / "evidence"
        packs = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")) if base.is_dir() else []
    if not packs:
        sys.stderr.write("pv evidence verify: no evidence pack found (evidence/ is empty or missing); exit 2\n")
        return exitcodes.NOTHING_CHECKED
    collected = collect(config.contract_paths(), config)
    checks = checks_of(collected.contracts)
    cited = _cited_seals(collected.contracts, config.root)
    diags = []
    lines = []
    for pack in _progress(packs):
        absolute = pack if pack.is_absolute() else Path.cwd() / pack
        seals = cited.get(os.path.normpath(absolute))
        rep = verify_pack(absolute, config.root, checks, seals=seals)
        diags.extend(rep.diagnostics)
        done = sorted(f for f, d in rep.discharges.items() if d.discharged) if seals else []
        state = "OK" if rep.ok else "FAIL"
        shown = absolute.relative_to(config.root) if absolute.is_relative_to(config.root) else pack
        note = f" (discharges {', '.join(done)})" if done else " (cited by no contract)" if rep.ok and not seals else ""
        lines.append(f"{shown}: {state}{note}")
    code = exitcodes.FINDINGS if any(d.severity.name == "ERROR" for d in diags) else exitcodes.OK
    if args.format == "text":
        from pv.diagnostics import printable

        for line in lines:
            sys.stdout.write(printable(line) + "\n")
    summary = RunSummary(command="evidence verify", files_checked=len(packs), unit="pack",
                         contracts=len(collected.contracts),
                         exit_code=code, extra={"packs": len(packs)})
    color = {"auto": None, "always": True, "never": False}[args.color]
    render(diags, args.format, sys.stdout, summary, color=color)
    return code


def _seal(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from pv import exitcodes
    from pv.binding.live import reference
    from pv.commands.setup import config_for
    from pv.evidence.seal import seal_contracts
    from pv.evidence.verify import verify_pack
    from pv.status.collect import collect

    config = config_for("evidence seal")
    if config is None:
        return exitcodes.NOTHING_CHECKED
    base = config.root / "evidence"
    packs = ([Path(p) for p in args.packs] if args.packs else
             sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")) if base.is_dir() else [])
    if not packs:
        sys.stderr.write("pv evidence seal: no evidence pack found; exit 2\n")
        return exitcodes.NOTHING_CHECKED
    contract_files = sorted({config.root / c.path for c in collect(config.contract_paths(), config).contracts})
    code = exitcodes.OK
    for pack in packs:
        absolute = (pack if pack.is_absolute() else Path.cwd() / pack).absolute()
        rep = verify_pack(absolute, config.root)  # integrity only: a broken pack is never sealed
        try:
            rel = absolute.relative_to(config.root.absolute()).as_posix()
        except ValueError:
            rel = absolute.as_posix()
        if rep.manifest is None or not rep.ok:
            first = next((d for d in rep.diagnostics if d.severity.name == "ERROR"), None)
            sys.stdout.write(f"{rel}: NOT SEALED: {first.code + ' ' + first.message if first else 'unreadable'}\n")
            code = exitcodes.FINDINGS
            continue
        sys.stdout.write(f"{rel}: {reference(rel, rep.manifest.sha256)}\n")
        for path, count in seal_contracts(contract_files, rel, rep.manifest.sha256, write=args.write):
            shown = path.relative_to(config.root) if path.is_relative_to(config.root) else path
            verb = "sealed" if args.write else "to seal (pass --write)"
            sys.stdout.write(f"  {shown}: {count} reference(s) {verb}\n")
    return code


def _progress(packs: list) -> Iterable:  # type: ignore[type-arg]
    """Packs to verify, with a transient rich progress bar on a terminal (hashing big artifacts takes time)."""
    import sys

    if not sys.stderr.isatty() or len(packs) < 2:
        return packs
    from rich.progress import track

    return track(packs, description="verifying evidence packs", transient=True)
