"""Sub-commands of the public side (aggregate, publish, dashboard, certify, verify, demo)."""

from __future__ import annotations

import argparse


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the public-side verbs on the collector's CLI."""
