"""Errors that name the problem: the file, the row or feature, the column and the rule broken."""

from __future__ import annotations


class TwinError(Exception):
    """Base of the twin's own errors; the CLI prints them as one line, with detail below."""


class Conflict(TwinError):
    """A change the current state refuses (acknowledging a resolved incident). Nothing written."""


class InvalidInput(TwinError, ValueError):
    """Input the twin refuses. Nothing has been written when this is raised."""

    def __init__(self, rule: str, *, source: str | None = None, where: str | None = None,
                 column: str | None = None) -> None:
        self.rule, self.source, self.where, self.column = rule, source, where, column
        super().__init__(self._text())

    def _text(self) -> str:
        place = ": ".join(p for p in (self.source, self.where,
                                      f"column '{self.column}'" if self.column else None) if p)
        return f"{place}: {self.rule}" if place else self.rule

    def in_source(self, source: str) -> InvalidInput:
        """The same error, naming the file it came from."""
        return InvalidInput(self.rule, source=source, where=self.where, column=self.column)
