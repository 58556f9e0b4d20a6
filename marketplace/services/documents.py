"""Checking uploaded documents before anything is written."""

import hashlib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from marketplace.validators import validate_document


def documents_check(uploads, *, limit) -> list[dict]:
    """Validate every upload (type by content, size) and return the fields of each document
    to create: title, file, size and SHA-256. Raises with every problem at once."""
    uploads = list(uploads or [])
    if len(uploads) > limit:
        raise ValidationError(
            {"documents": _("一次最多上传 %(limit)d 个文件。") % {"limit": limit}},
            code="too_many_documents",
        )
    errors, checked = [], []
    for upload in uploads:
        try:
            validate_document(upload)
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        checked.append(
            {
                "title": upload.name[:120],
                "file": upload,
                "size": upload.size,
                "sha256": digest.hexdigest(),
            }
        )
    if errors:
        raise ValidationError({"documents": errors})
    return checked
