"""pv's pytest plugin: registers the ``falsifies`` marker, nothing else.

A test that binds to a falsifier says so in code::

    @pytest.mark.falsifies("FALSIFY-PRE-003")
    def test_refuses_vocab_mismatch(): ...

Registering the marker here (through the ``pytest11`` entry point ``pv``) lets
projects run with ``--strict-markers``. ``pv lint`` reads the markers
statically (src/pv/testindex) and checks that marker and contract agree in both
directions, so this module stays tiny and never imports pv's heavy parts: it
loads in every pytest session of every project that installs pv.
"""

from __future__ import annotations

from typing import Any

MARKER_LINE = (
    "falsifies(*ids): this test is bound to the named contract falsifier(s) "
    "(FALSIFY-...); checked by `pv lint --strict-test-binding`"
)


def pytest_configure(config: Any) -> None:
    """Register ``@pytest.mark.falsifies`` so ``--strict-markers`` accepts it."""
    config.addinivalue_line("markers", MARKER_LINE)
