"""Numbers read one by one from a text file, each remembering its line, so that a bad value or a
file cut short is reported with the file and line it came from."""

from __future__ import annotations

from pathlib import Path

from twin.errors import InvalidInput


class Tokens:
    """Whitespace- or comma-separated numbers from ``lines`` (1-based line ``first_line``)."""

    def __init__(self, source: str, lines: list[str], first_line: int) -> None:
        self.source = source
        self._items = [(word, first_line + k) for k, line in enumerate(lines)
                       for word in line.replace(",", " ").split()]
        self._next = 0
        self.last_line = first_line + len(lines) - 1

    def number(self, what: str) -> float:
        if self._next >= len(self._items):
            raise InvalidInput(f"file ends before {what}", source=self.source,
                               where=f"line {self.last_line}")
        word, line = self._items[self._next]
        self._next += 1
        try:
            return float(word)
        except ValueError:
            raise InvalidInput(f"{what} must be a number, got '{word}'", source=self.source,
                               where=f"line {line}") from None

    def integer(self, what: str, minimum: int = 0) -> int:
        value = self.number(what)
        if value != int(value) or value < minimum:
            raise InvalidInput(f"{what} must be a whole number ≥ {minimum}, got {value:g}",
                               source=self.source, where=f"line {self.line}")
        return int(value)

    def numbers(self, count: int, what: str) -> list[float]:
        return [self.number(what) for _ in range(count)]

    @property
    def line(self) -> int:
        """The line of the number read last."""
        return self._items[self._next - 1][1] if self._next else 0


def read_lines(path: Path) -> list[str]:
    """The file's lines, decoded as UTF-8 or, failing that, Latin-1 (many photometric files
    come from Windows tools)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.splitlines()
