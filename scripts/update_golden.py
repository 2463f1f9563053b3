"""Regenerate the golden output files from the hand-built sample.

    python scripts/update_golden.py        (from the repository root, in the project's environment)

Writes tests/fixtures/golden/sample.{bib,json,csl.json,keys.json} from the sample in
tests/fixtures/golden/sample_records.py. Review `git diff tests/fixtures/golden` before committing:
every change there is a change of what users download.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "golden"


def load_sample() -> object:
    """The sample module, loaded by path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("golden_sample_records", GOLDEN / "sample_records.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {GOLDEN / 'sample_records.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    """Write every golden file; print the ones whose content changed."""
    rendered: dict[str, str] = load_sample().render()  # type: ignore[attr-defined]
    for name, text in rendered.items():
        path = GOLDEN / name
        old = path.read_text(encoding="utf-8") if path.exists() else None
        path.write_text(text, encoding="utf-8", newline="")
        print(f"{'unchanged' if old == text else 'updated  '} {path.relative_to(GOLDEN.parent.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
