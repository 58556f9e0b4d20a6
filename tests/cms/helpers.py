"""Shared set-up of the portal tests: completed contracts with accepted reports, published
result pages, and a small uploaded Wagtail image."""

import io

from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images.models import Image

from cms.services import result_page_create_draft
from marketplace.models import Contract, Milestone, MilestoneReport
from tests import factories


def completed_contract(**fields):
    """A completed contract whose milestones were accepted and paid, each with a report:
    indicator 服务老人人数 (target 200人) 60 + 70 + 80 = 210, 100 服务人次 each."""
    contract = factories.ContractFactory(status=Contract.Status.COMPLETED, **fields)
    now = timezone.now()
    for number, milestone in enumerate(contract.milestones.order_by("position")):
        MilestoneReport.objects.create(
            milestone=milestone,
            narrative="按计划完成。",
            indicator_values={"服务老人人数": str(60 + 10 * number)},
            beneficiaries=100,
            status=MilestoneReport.Status.ACCEPTED,
            submitted_by=contract.created_by,
            decided_by=contract.created_by,
            decided_at=now,
        )
    Milestone.objects.filter(contract=contract).update(
        status=Milestone.Status.PAID, accepted_at=now, paid_at=now
    )
    return contract


def published_result(contract=None, **fields):
    """The contract's result page, published (a completed contract made if none given)."""
    contract = contract or completed_contract()
    page = result_page_create_draft(contract=contract)
    for name, value in fields.items():
        setattr(page, name, value)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def wagtail_image(title="照片"):
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name="photo.png"))
