"""The exception tree of avenrich (pure).

    AvenrichError
    ├── InputError      missing, unreadable, or neither Markdown nor BibTeX: the CLI exits 2
    ├── OutputError     the outputs cannot be written (disk full, permissions, locked): exit 3
    └── SourceError     a source still fails after retries (carries source, url, status)
        ├── RateLimited       429 after every retry
        └── SourceUnavailable the source is unreachable for the rest of the run (circuit open)

An unresolved link is data, not an error: lookups turn a SourceError into an unresolved Resolution.
"""

from __future__ import annotations


class AvenrichError(Exception):
    """Base of every error avenrich raises on purpose."""


class InputError(AvenrichError):
    """The input cannot be used: missing, unreadable, too large, or neither Markdown nor BibTeX."""


class OutputError(AvenrichError):
    """The outputs cannot be written."""


class SourceError(AvenrichError):
    """A request to a source failed after the retry policy gave up."""

    def __init__(self, source: str, url: str, status: int | None, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.url = url
        self.status = status
        self.message = message

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.source, self.url, self.status, self.message))


class RateLimited(SourceError):
    """The source kept answering 429."""


class SourceUnavailable(SourceError):
    """The source does not answer at all (connection refused, DNS failure): skipped for the run."""
