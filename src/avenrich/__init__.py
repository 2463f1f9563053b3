"""avenrich: turn a hand-kept list of papers into verified BibTeX and a JSON catalogue."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
