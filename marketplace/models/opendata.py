"""Open data: the OCDS releases published for each contracting process (one tender), and
releases imported from other publishers."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OcdsRelease(models.Model):
    """One OCDS 1.1 release: the public state of a contracting process at one event
    (tender published or amended, award, contract signed or changed, milestone met, payment,
    cancellation), stored as published so that it never changes afterwards."""

    ocid = models.CharField(max_length=100)
    release_id = models.CharField(max_length=120)
    date = models.DateTimeField()
    tags = models.JSONField(default=list)
    data = models.JSONField()
    tender = models.ForeignKey(
        "marketplace.Tender",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ocds_releases",
    )
    # Loaded by `manage.py import_ocds` from another publisher's package.
    imported = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("OCDS 发布")
        verbose_name_plural = pgettext_lazy("plural", "OCDS 发布")
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ocid", "release_id"], name="one_ocds_release_id"),
        ]
        indexes = [
            models.Index(fields=["date", "id"], name="ocds_release_date"),
            models.Index(fields=["ocid", "date"], name="ocds_release_ocid"),
        ]

    def __str__(self):
        return f"{self.ocid} {self.release_id}"
