"""Command line (edge): placeholder until the CLI lands."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `avenrich` console script."""
    return 0
