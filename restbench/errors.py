"""The one user-facing error type.

Raised anywhere in restbench when the message is the whole story for the user (a bad flag, a
missing file, a test set that is not on disk), and caught once, in the command line's ``main``,
which prints it as one line without a traceback (the tox/pytest pattern). It lives in a module of
its own at the bottom of the package so that every layer may raise it without importing the CLI.
"""

from __future__ import annotations


class UserError(Exception):
    """An error whose message is the whole story for the user: printed without a traceback.

    ``exit_code`` is 2 for usage errors (the default) and 1 for work that failed.
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


__all__ = ["UserError"]
