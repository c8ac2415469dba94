"""Partial screen updates that write only the changed cells, not the line up to them.

Textual's ``ChopsUpdate`` writes each dirty span starting from the left edge
of the widget that owns it, so repainting the five-character "Local" column
of a 120-column table rewrites the whole row. Once a minute, across a screen
of rows, that was most of the dashboard's idle output — which matters over
SSH. ``TightChopsUpdate`` crops each strip to the dirty span itself; the
screen looks the same, the terminal gets a tenth of the bytes.
"""

from __future__ import annotations

from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate


class TightChopsUpdate(ChopsUpdate):
    """A ``ChopsUpdate`` whose output starts at each span's first column."""

    @classmethod
    def of(cls, update: ChopsUpdate) -> TightChopsUpdate:
        return cls(update.chops, update.spans, update.chop_ends)

    def render_segments(self, console: Console) -> str:
        """Cursor moves and styled text for exactly the dirty spans."""
        out: list[str] = []
        last_y = self.spans[-1][0]
        for y, x1, x2 in self.spans:
            for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(), strict=False):
                if strip is None or x >= x2 or end <= x1:
                    continue
                start, stop = max(x, x1), min(end, x2)
                if (start, stop) != (x, end):
                    strip = strip.crop(start - x, stop - x)
                out.append(Control.move_to(start, y).segment.text)
                out.append(strip.render(console))
            if y != last_y:
                out.append("\n")
        return "".join(out)


def tighten(renderable: object) -> object:
    """``renderable`` with a plain ``ChopsUpdate`` replaced by a tight one."""
    if type(renderable) is ChopsUpdate:
        return TightChopsUpdate.of(renderable)
    return renderable
