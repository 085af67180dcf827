"""The colours the views draw with: napari's theme when napari's glue gives it, Qt's otherwise.

The views never ask napari for its theme (``_napari`` does, and hands the colours over as
data). Text drawn in an accent colour (a link, an error) is made readable on the background
first: napari's dark theme has a dark red for errors and a middle blue for "current", both too
dark to read as text on its background.
"""

from __future__ import annotations

from dataclasses import dataclass

from qtpy.QtGui import QPalette
from qtpy.QtWidgets import QApplication

READABLE = 4.5  # WCAG's contrast ratio for normal text


@dataclass(frozen=True)
class Palette:
    """Colours as ``#rrggbb`` strings."""

    text: str
    background: str
    error: str  # the theme's error colour (a banner's edge)
    error_text: str  # an error's words, readable on the background
    link: str  # readable on the background
    muted: str  # secondary text
    dark: bool

    @classmethod
    def from_theme(
        cls, *, text: str, background: str, error: str, current: str, dark: bool
    ) -> Palette:
        """From a napari theme's colours (``napari.utils.theme.Theme``)."""
        return cls(
            text=text,
            background=background,
            error=error,
            error_text=readable(error, background),
            link=readable(current, background),
            muted=mix(text, background, 0.35),
            dark=dark,
        )

    @classmethod
    def from_qt(cls) -> Palette:
        """From the application's Qt palette (a view shown outside napari)."""
        qt = QApplication.palette()
        text = qt.color(QPalette.ColorRole.WindowText).name()
        background = qt.color(QPalette.ColorRole.Window).name()
        dark = luminance(background) < 0.5
        current = qt.color(QPalette.ColorRole.Link).name()
        return cls.from_theme(
            text=text, background=background, error="#d32f2f", current=current, dark=dark
        )


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(255.0, c))):02x}" for c in rgb)


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``, from 0 (black) to 1 (white)."""

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(a: str, b: str, share_of_b: float) -> str:
    """*a* moved *share_of_b* of the way towards *b*."""
    ra, rb = _rgb(a), _rgb(b)
    return _hex(tuple(x + (y - x) * share_of_b for x, y in zip(ra, rb, strict=True)))  # type: ignore[arg-type]


def readable(colour: str, background: str) -> str:
    """*colour*, lightened (on a dark background) or darkened until it reads as text."""
    towards = "#ffffff" if luminance(background) < 0.5 else "#000000"
    step = 0.0
    found = colour
    while contrast(found, background) < READABLE and step < 1.0:
        step += 0.05
        found = mix(colour, towards, step)
    return found
