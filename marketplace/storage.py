"""Where files that must never be at a public URL live: bid files and tender documents.

They are read only through permission-checked views (views/files.py); the storage has no
URL at all, so a template cannot link to one by mistake.
"""

from django.core.files.storage import FileSystemStorage, storages


class PrivateStorage(FileSystemStorage):
    """A folder outside MEDIA_ROOT (settings.STORAGES["private"]) with no public URL."""

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a checked view.")


def private_storage():
    """The configured private storage, looked up when used (settings are not read at import)."""
    return storages["private"]
