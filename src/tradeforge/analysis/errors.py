"""The error the analyses raise for arguments that cannot be analysed."""

from __future__ import annotations


class AnalysisError(ValueError):
    """Bad analysis settings or data too short for them; the message says which and why."""
