"""Local development: SQLite by default, console email, immediate background tasks."""

from .base import *  # noqa: F403

DEBUG = True
