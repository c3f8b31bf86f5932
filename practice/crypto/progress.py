"""A plain-text progress bar for the key commands (no dependency).

On a terminal it redraws one line; otherwise (cron, logs, tests) it writes a line at every
tenth of the way, so logs stay short.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

_WIDTH = 30
_REDRAW_SECONDS = 0.1


class Progress:
    def __init__(self, stream: TextIO | Any, label: str, total: int) -> None:
        self.stream = stream
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_tenth = -1
        self._closed = False

    def advance(self, count: int = 1) -> None:
        self.done += count
        self._draw()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._draw(final=True)
        if self._tty:
            self._write("\n")

    def _draw(self, *, final: bool = False) -> None:
        total = max(self.total, self.done, 1)
        fraction = min(self.done / total, 1.0)
        if self._tty:
            now = time.monotonic()
            if not final and now - self._last_draw < _REDRAW_SECONDS:
                return
            self._last_draw = now
            filled = int(fraction * _WIDTH)
            bar = "#" * filled + "." * (_WIDTH - filled)
            self._write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
            return
        tenth = int(fraction * 10)
        if tenth == self._last_tenth and not final:
            return
        if final and tenth == self._last_tenth and self.done:
            return
        self._last_tenth = tenth
        self._write(f"{self.label}: {self.done}/{self.total} ({int(fraction * 100)}%)\n")

    def _write(self, text: str) -> None:
        # Django's OutputWrapper appends a newline unless told not to.
        if hasattr(self.stream, "style_func"):
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
