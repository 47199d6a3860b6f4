"""Errors that reach the user as one line on stderr and an exit code (SPEC section 6)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_INPUT_REJECTED = 3
EXIT_DATABASE_BUSY = 4
EXIT_GIFT_VARIANCE = 5


class MemberkitError(Exception):
    """An error with a message meant for the user and the exit code it maps to."""

    exit_code = EXIT_UNEXPECTED

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(MemberkitError):
    exit_code = EXIT_USAGE


class InputRejected(MemberkitError):
    """A file (or a value the user named, like a store) that memberkit refuses."""

    exit_code = EXIT_INPUT_REJECTED


class DatabaseBusy(MemberkitError):
    exit_code = EXIT_DATABASE_BUSY
