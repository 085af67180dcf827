"""What every verb of the CLI writes with: stdout lines, and the one error a user can fix."""

from __future__ import annotations

import sys


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit status 1."""


def out(*lines: str) -> None:
    """Write lines to stdout (the CLI's only output channel besides errors)."""
    sys.stdout.write("".join(f"{line}\n" for line in lines))
