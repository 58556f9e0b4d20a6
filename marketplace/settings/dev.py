"""Local development: SQLite by default, console email, immediate background tasks."""

from .base import *  # noqa: F403
from .base import env

DEBUG = True

# Demo only: any demo officer or staff user may answer the two-step prompt with this code.
# allauth refuses the setting unless DEBUG is on, so it cannot leak into production.
MFA_TOTP_INSECURE_BYPASS_CODE = env("MFA_DEMO_CODE", "000000")

# runserver serves static files from the app folders; no collectstatic in development.
STATIC_ROOT = None

# The immediate task backend logs every task at INFO; in development that is noise.
LOGGING["loggers"] = {"django_tasks": {"level": "WARNING"}}  # noqa: F405
