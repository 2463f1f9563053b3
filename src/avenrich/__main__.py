"""`python -m avenrich`: the same as the `avenrich` console script."""

from __future__ import annotations

from avenrich.cli import main

raise SystemExit(main())
