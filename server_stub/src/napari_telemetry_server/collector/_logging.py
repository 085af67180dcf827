"""Collector logs: a daily-rotated file kept 14 days, addresses redacted, no access log."""

from __future__ import annotations

import logging
import re
import sys
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path

LOG_DAYS = 14
LOG_NAME = "collector.log"
_H = r"[0-9A-Fa-f]{1,4}"
_ADDRESS = re.compile(
    r"\b(?:\d{1,3}\.){3}\d{1,3}\b"  # IPv4
    rf"|(?<![\w:])(?:(?:{_H}:){{7}}{_H}|(?:{_H}(?::{_H})*)?::(?:{_H}(?::{_H})*)?)(?![\w:])"  # IPv6
)
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactAddresses(logging.Filter):
    """Replace anything shaped like an IP address (e.g. uvicorn's bind line) with ``[address]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _ADDRESS.sub("[address]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def file_handler(log_dir: Path) -> TimedRotatingFileHandler:
    """The log file, rotated at midnight UTC, the last 14 days kept."""
    log_dir.mkdir(parents=True, exist_ok=True)
    return TimedRotatingFileHandler(
        log_dir / LOG_NAME, when="midnight", backupCount=LOG_DAYS, utc=True, encoding="utf-8"
    )


def setup_logging(log_dir: Path, level: int = logging.INFO) -> None:
    """Send the collector's and uvicorn's logs to the rotated file and stderr, redacted."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in (file_handler(log_dir), logging.StreamHandler(sys.stderr)):
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(RedactAddresses())
        root.addHandler(handler)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
