"""The optimizer's error: a search that cannot be set up or continued; the message says why."""

from __future__ import annotations


class OptimizeError(ValueError):
    """A bad search setting (method, objective, executor, storage, study) or a search that
    cannot go on; the message names the option or the parameter at fault."""
