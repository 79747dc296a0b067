"""``python -m pv`` entry point."""

from pv.cli import main

raise SystemExit(main())
