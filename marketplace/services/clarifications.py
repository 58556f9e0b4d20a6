"""Questions to the buyer (答疑澄清) and following a tender."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace import events, permissions
from marketplace.dates import db_now
from marketplace.models import Clarification, Organisation, Tender, TenderFollow
from marketplace.services.audit import audit_record


def _require_verified_member(by, organisation):
    if not permissions.is_organisation_member(by, organisation):
        raise PermissionDenied(_("只有本组织的成员可以代表组织操作。"))
    if organisation.status != Organisation.Status.VERIFIED:
        raise ValidationError(_("组织通过平台认证后才能提问或关注项目。"), code="not_verified")


@transaction.atomic
def clarification_ask(*, tender, organisation, by, question) -> Clarification:
    """Ask the buyer a question. Rules: a member of a verified organisation; the tender is
    published and the clarification deadline has not passed (database clock)."""
    _require_verified_member(by, organisation)
    question = question.strip()
    if not question:
        raise ValidationError({"question": _("请填写问题。")})
    if len(question) > 2000:
        raise ValidationError({"question": _("问题不能超过2000字。")})
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    if tender.status != Tender.Status.PUBLISHED or db_now() >= tender.clarification_deadline:
        raise ValidationError(_("答疑已截止，不能再提问。"), code="clarification_closed")
    clarification = Clarification.objects.create(
        tender=tender, organisation=organisation, asked_by=by, question=question
    )
    audit_record(obj=clarification, by=by, action="ask")
    return clarification


@transaction.atomic
def clarification_answer(*, clarification, by, answer) -> Clarification:
    """Answer a question publicly, once; bidders and followers are emailed after commit.
    A later correction is an amendment of the tender, not an edit of the answer."""
    if not permissions.can_manage_tender(by, clarification.tender):
        raise PermissionDenied(_("只有该购买主体的经办人可以答复。"))
    answer = answer.strip()
    if not answer:
        raise ValidationError({"answer": _("请填写答复。")})
    if len(answer) > 4000:
        raise ValidationError({"answer": _("答复不能超过4000字。")})
    clarification = Clarification.objects.select_for_update().get(pk=clarification.pk)
    if clarification.answered_at is not None:
        raise ValidationError(_("该问题已答复；如需更正，请发布变更公告。"), code="answered")
    if clarification.tender.status in (Tender.Status.CANCELLED, Tender.Status.FAILED):
        raise ValidationError(_("项目已结束，不能再答复。"), code="tender_ended")
    clarification.answer = answer
    clarification.answered_by = by
    clarification.answered_at = db_now()
    clarification.save(update_fields=["answer", "answered_by", "answered_at"])
    audit_record(obj=clarification, by=by, action="answer")
    transaction.on_commit(
        lambda: events.clarification_answered.send(sender=Clarification, instance=clarification)
    )
    return clarification


def tender_follow(*, tender, organisation, by) -> TenderFollow:
    """Follow a published tender: the organisation is emailed answers and amendments."""
    _require_verified_member(by, organisation)
    if not tender.is_public:
        raise ValidationError(_("项目尚未发布。"), code="draft")
    follow, _created = TenderFollow.objects.get_or_create(tender=tender, organisation=organisation)
    return follow


def tender_unfollow(*, tender, organisation, by) -> None:
    if not permissions.is_organisation_member(by, organisation):
        raise PermissionDenied(_("只有本组织的成员可以代表组织操作。"))
    TenderFollow.objects.filter(tender=tender, organisation=organisation).delete()
