"""Logging a failure without the citizen's words.

An exception's message can carry what was being stored or sent (a database driver quotes the
query's arguments, a platform error echoes the text). Failures are logged with the exception's
type and the stack, never its message: enough to find the bug, nothing a citizen wrote.
"""

from __future__ import annotations

import logging
import traceback

__all__ = ["log_failure"]


def log_failure(logger: logging.Logger, message: str, *args: object, error: BaseException) -> None:
    """Log `message % args` at ERROR with the error's type and stack, not its message."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    logger.error(message + " error=%s\n%s", *args, type(error).__name__, stack.rstrip())
