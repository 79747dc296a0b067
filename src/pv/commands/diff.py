"""``pv diff OLD NEW`` / ``pv diff --git REF CONTRACT``: what changed, and the semver bump it needs.

Exit codes: 0 the declared version bump covers the change (or nothing changed);
1 the version bump is too small (or missing) for what changed; 2 wrong usage,
a file that does not parse, or nothing to compare (the file is not in REF).
"""

from __future__ import annotations

import argparse

HELP = "Diff two versions of a contract: added/removed/changed items and the semver bump needed."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="OLD NEW, or with --git one CONTRACT compared against REF")
    parser.add_argument("--git", metavar="REF", help="compare CONTRACT with its version at git revision REF")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from pv import exitcodes
    from pv.analysis import gitrev
    from pv.analysis.diff import diff_raw, render_text
    from pv.analysis.source import TextContract

    def fail(message: str) -> int:
        sys.stderr.write(f"pv diff: {message}\n")
        return exitcodes.NOTHING_CHECKED

    def load(path: str) -> TextContract | None:
        p = Path(path)
        if not p.is_file():
            fail(f"{path}: no such file")
            return None
        try:
            doc = TextContract.from_file(p)
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{path}: cannot read: {exc}")
            return None
        return doc

    if args.git:
        if len(args.files) != 1:
            return fail("--git REF takes exactly one CONTRACT (pv diff --git REF CONTRACT)")
        new = load(args.files[0])
        if new is None:
            return exitcodes.NOTHING_CHECKED
        try:
            root = gitrev.repo_root(Path(args.files[0]).resolve())
            sha = gitrev.resolve(root, args.git)
            rel = gitrev.relative_to_repo(root, Path(args.files[0]))
            if rel is None:
                return fail(f"{args.files[0]} is outside the git repository {root}")
            found = gitrev.read_at(root, sha, [rel])[rel]
        except gitrev.GitError as exc:
            return fail(f"{exc}; nothing to compare")
        if found.text is None:
            return fail(f"{found.reason}; nothing to compare")
        old = TextContract(f"{args.git}:{rel}", found.text)
    else:
        if len(args.files) != 2:
            return fail("give two files (pv diff OLD NEW) or one with --git REF")
        old, new = load(args.files[0]), load(args.files[1])
        if old is None or new is None:
            return exitcodes.NOTHING_CHECKED
    for doc in (old, new):
        if not doc.ok:
            for diag in doc.diagnostics:
                sys.stderr.write(diag.render() + "\n")
            return fail(f"{doc.path} does not parse; fix it first (pv validate {doc.path})")
        if not isinstance(doc.raw, dict):
            return fail(f"{doc.path}: the top level is not a mapping, so it is not a contract")
    result = diff_raw(old.raw, new.raw, str(old.path), str(new.path))
    if args.format == "json":
        sys.stdout.write(json.dumps(result.as_json(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(result))
    return exitcodes.OK if result.sufficient else exitcodes.FINDINGS
