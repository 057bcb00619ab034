"""Logging filters wired up in `settings.LOGGING`."""

from __future__ import annotations

import logging


class ForbiddenInOneLine(logging.Filter):
    """Log a refused request (403) as its one line, without the traceback Django attaches.

    A 403 is the permission system working: the line (who was refused which path) is the
    whole story, and a traceback per refusal buries real errors in the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
