"""Build the test index on the second core while the contracts are validated.

``start(root)`` forks a child (Linux only) that builds the index and writes
the content-keyed cache; ``join`` waits for it, after which ``build_index``
reads the cache. Pure speed: if the child fails or fork is unavailable, the
parent simply builds the index itself, and the result is identical.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path


def start(root: Path) -> int | None:
    if sys.platform != "linux" or os.environ.get("PV_NO_PREFETCH"):
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # child: build, write the cache, leave without running the parent's cleanup
        code = 0
        try:
            from pv.testindex.index import build_index

            build_index(root, use_cache=True)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    return pid


def join(pid: int | None) -> None:
    if pid is None:
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
