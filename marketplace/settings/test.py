"""Test runs: fast hashing, in-memory email, immediate tasks; DATABASE_URL picks PostgreSQL."""

import tempfile

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="zhengshe-test-media-")
PRIVATE_MEDIA_ROOT = tempfile.mkdtemp(prefix="zhengshe-test-private-")
STORAGES = {
    **STORAGES,  # noqa: F405
    "private": {
        "BACKEND": "marketplace.storage.PrivateStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
}
# Static files come from the finders (no collectstatic in tests); WhiteNoise then has no root.
STATIC_ROOT = None
