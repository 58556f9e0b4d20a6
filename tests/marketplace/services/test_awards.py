"""Award (中标/成交公告), notice period and objections (质疑): services/awards.py."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from djmoney.money import Money

from marketplace.models import (
    AuditEntry,
    Award,
    EvaluationReport,
    Objection,
    ObjectionDocument,
    OrganisationMembership,
    Tender,
)
from marketplace.selectors.awards import award_signable
from marketplace.services.awards import (
    award_make,
    awards_publish,
    objection_answer,
    objection_file,
)
from tests import factories

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")


def _past(days):
    return timezone.now() - datetime.timedelta(days=days)


def _evaluated(*, method=Tender.Method.OPEN, budget="300000.00", amounts=None, confirmed=True):
    """An EVALUATING tender with live bids (each bidder has one member) and a current report
    ranking them in order; the first bid is recommended. Returns (tender, officer, bids)."""
    tender = factories.TenderFactory(
        status=Tender.Status.EVALUATING,
        method=method,
        budget=Money(budget, "CNY"),
        clarification_deadline=_past(10),
        bid_deadline=_past(9),
    )
    officer = factories.BuyerMembershipFactory(buyer=tender.buyer).user
    amounts = amounts or ["250000.00", "260000.00", "270000.00"]
    bids = []
    for amount in amounts:
        bid = factories.BidFactory(tender=tender, amount=Money(amount, "CNY"))
        factories.OrganisationMembershipFactory(organisation=bid.organisation)
        bids.append(bid)
    invalid = factories.BidFactory(tender=tender, amount=Money("200000.00", "CNY"))
    rows = [
        {"bid": bid.pk, "valid": True, "rank": place, "total": str(Decimal("90.125") - place)}
        for place, bid in enumerate(bids, start=1)
    ]
    rows.append({"bid": invalid.pk, "valid": False, "rank": None, "total": None})
    EvaluationReport.objects.create(
        tender=tender,
        number=1,
        results={"bids": rows, "recommended": bids[0].pk},
        recommended=bids[0],
        created_by=officer,
        confirmed_at=timezone.now() if confirmed else None,
    )
    tender.invalid_bid = invalid
    return tender, officer, bids


def _state(tender):
    tender.refresh_from_db()
    return {
        "status": tender.status,
        "awards": list(Award.objects.filter(tender=tender).values_list("pk", "status")),
        "objections": list(
            Objection.objects.filter(tender=tender).values_list("pk", "status", "answer")
        ),
        "reports": list(tender.reports.values_list("pk", "superseded_at")),
        "documents": ObjectionDocument.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def _codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def _refused(call, tender, *, exception=ValidationError):
    """Run `call`, expect `exception`, and assert nothing changed; return the error."""
    before = _state(tender)
    with pytest.raises(exception) as raised:
        call()
    assert _state(tender) == before
    return raised.value


# Awarding ---------------------------------------------------------------------------


def test_award_to_the_recommended_bid_needs_no_reason(django_capture_on_commit_callbacks):
    """Awarding the report's recommended bid at its price creates one standing award with
    the frozen rank and rounded total, and moves the tender to AWARDED."""
    tender, officer, bids = _evaluated()

    with django_capture_on_commit_callbacks(execute=True):
        award = award_make(tender=tender, bid=bids[0], by=officer)

    tender.refresh_from_db()
    assert tender.status == Tender.Status.AWARDED
    assert award.status == Award.Status.NOTICE
    assert (award.amount, award.rank, award.total_score, award.recommended, award.reason) == (
        bids[0].amount,
        1,
        Decimal("89.13"),
        True,
        "",
    )
    assert award.report == tender.reports.get()
    assert AuditEntry.objects.filter(action="award", object_id=str(award.pk)).exists()


def test_award_to_another_bid_needs_a_reason():
    """Awarding a bid the report did not recommend without a reason is refused; with one,
    the award records it and is marked as not recommended."""
    tender, officer, bids = _evaluated()

    error = _refused(lambda: award_make(tender=tender, bid=bids[1], by=officer), tender)
    assert "理由" in " ".join(error.messages)

    award = award_make(tender=tender, bid=bids[1], by=officer, reason="推荐候选人放弃中标。")
    assert (award.rank, award.recommended, award.reason) == (2, False, "推荐候选人放弃中标。")


@pytest.mark.parametrize(
    "status", [Tender.Status.OPENED, Tender.Status.AWARDED, Tender.Status.CANCELLED]
)
def test_award_outside_evaluation_is_refused(status):
    """Only a tender under evaluation can be awarded."""
    tender, officer, bids = _evaluated()
    Tender.objects.filter(pk=tender.pk).update(status=status)

    error = _refused(lambda: award_make(tender=tender, bid=bids[0], by=officer), tender)
    assert "wrong_status" in _codes(error)


def test_award_needs_a_confirmed_current_report():
    """An unconfirmed report, or a superseded one, cannot be awarded on."""
    tender, officer, bids = _evaluated(confirmed=False)
    error = _refused(lambda: award_make(tender=tender, bid=bids[0], by=officer), tender)
    assert "report_unconfirmed" in _codes(error)

    tender.reports.update(confirmed_at=timezone.now(), superseded_at=timezone.now())
    error = _refused(lambda: award_make(tender=tender, bid=bids[0], by=officer), tender)
    assert "report_unconfirmed" in _codes(error)


def test_award_by_an_outsider_is_refused():
    """Another buyer's officer or a bidder cannot award; nothing changes."""
    tender, _officer, bids = _evaluated()
    for actor in (
        factories.BuyerMembershipFactory().user,
        bids[0].organisation.memberships.first().user,
    ):
        _refused(
            lambda actor=actor: award_make(tender=tender, bid=bids[0], by=actor),
            tender,
            exception=PermissionDenied,
        )


def test_award_to_an_invalid_withdrawn_or_foreign_bid_is_refused():
    """A bid the report ranked invalid, a withdrawn bid and another tender's bid cannot win."""
    tender, officer, bids = _evaluated()
    _refused(
        lambda: award_make(tender=tender, bid=tender.invalid_bid, by=officer, reason="理由"),
        tender,
    )
    foreign = factories.BidFactory()
    _refused(lambda: award_make(tender=tender, bid=foreign, by=officer, reason="理由"), tender)
    bids[2].status = "withdrawn"
    bids[2].save()
    _refused(lambda: award_make(tender=tender, bid=bids[2], by=officer, reason="理由"), tender)


def test_award_amount_must_be_the_price_and_one_winner():
    """For a non-公益创投 tender the amount is the bid's price and there is one winner."""
    tender, officer, bids = _evaluated()
    lower = Money("240000.00", "CNY")
    error = _refused(
        lambda: awards_publish(tender=tender, decisions=[(bids[0], lower, "议价")], by=officer),
        tender,
    )
    assert "amount_not_price" in _codes(error)
    error = _refused(
        lambda: awards_publish(
            tender=tender,
            decisions=[(bids[0], bids[0].amount, ""), (bids[1], bids[1].amount, "并列")],
            by=officer,
        ),
        tender,
    )
    assert "one_winner" in _codes(error)
    _refused(lambda: awards_publish(tender=tender, decisions=[], by=officer), tender)


def test_venture_funds_several_proposals_within_the_pool():
    """公益创投: several proposals, a lower amount with a reason, all within the pool."""
    tender, officer, bids = _evaluated(
        method=Tender.Method.VENTURE,
        budget="500000.00",
        amounts=["200000.00", "200000.00", "150000.00"],
    )
    awards = awards_publish(
        tender=tender,
        decisions=[
            (bids[0], bids[0].amount, ""),
            (bids[1], Money("150000.00", "CNY"), "预算调整，按评审意见核减。"),
            (bids[2], bids[2].amount, ""),
        ],
        by=officer,
    )
    assert [a.amount for a in awards] == [
        Money("200000.00", "CNY"),
        Money("150000.00", "CNY"),
        Money("150000.00", "CNY"),
    ]
    assert [a.rank for a in awards] == [1, 2, 3]
    tender.refresh_from_db()
    assert tender.status == Tender.Status.AWARDED


def test_venture_amount_rules_are_enforced():
    """公益创投: more than requested, lower without a reason, over the pool, a bid twice:
    each refused, nothing changed."""
    tender, officer, bids = _evaluated(
        method=Tender.Method.VENTURE,
        budget="400000.00",
        amounts=["200000.00", "200000.00", "150000.00"],
    )
    cases = {
        "over_request": [(bids[0], Money("200000.01", "CNY"), "")],
        "reason_required": [(bids[0], Money("100000.00", "CNY"), " ")],
        "over_pool": [(b, b.amount, "") for b in bids],
        "duplicate": [(bids[0], bids[0].amount, ""), (bids[0], bids[0].amount, "")],
    }
    for code, decisions in cases.items():
        error = _refused(
            lambda decisions=decisions: awards_publish(
                tender=tender, decisions=decisions, by=officer
            ),
            tender,
        )
        assert code in _codes(error)


def test_notice_ends_after_the_working_days_across_a_weekend(monkeypatch, settings):
    """Awarded on Friday 2025-06-06 10:30 Beijing time, 5 working days' notice ends on
    Friday 2025-06-13 at 10:30 (the weekend does not count)."""
    tender, officer, bids = _evaluated()
    moment = datetime.datetime(2025, 6, 6, 10, 30, tzinfo=BEIJING)
    monkeypatch.setattr("marketplace.services.awards.db_now", lambda: moment)
    settings.TENDER_METHOD_RULES = {
        **settings.TENDER_METHOD_RULES,
        "open": {**settings.TENDER_METHOD_RULES["open"], "notice_working_days": 5},
    }

    award = award_make(tender=tender, bid=bids[0], by=officer)

    assert award.published_at == moment
    assert award.notice_ends_at == datetime.datetime(2025, 6, 13, 10, 30, tzinfo=BEIJING)


def test_award_emails_every_bidder(django_capture_on_commit_callbacks):
    """Every member of every live bidder gets one email naming the winner."""
    tender, officer, bids = _evaluated()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        award_make(tender=tender, bid=bids[0], by=officer)

    recipients = {address for message in mail.outbox for address in message.to}
    for bid in [*bids, tender.invalid_bid]:
        for membership in bid.organisation.memberships.all():
            assert membership.user.email in recipients
    assert bids[0].organisation.name in mail.outbox[-1].body


# Objections ---------------------------------------------------------------------------


def _awarded():
    """An awarded tender in its notice period, with the winner and a losing bidder (with a
    member); returns (award, officer, loser, loser_member)."""
    award = factories.AwardFactory()
    officer = factories.BuyerMembershipFactory(buyer=award.tender.buyer).user
    factories.OrganisationMembershipFactory(organisation=award.bid.organisation)
    loser = factories.BidFactory(tender=award.tender)
    member = factories.OrganisationMembershipFactory(organisation=loser.organisation).user
    return award, officer, loser, member


def test_a_bidder_files_an_objection_with_documents(django_capture_on_commit_callbacks):
    """A losing bidder's member files an objection during the notice period: open, answer
    due in 7 working days at the same time of day, documents stored with their hash, audited,
    and the buyer's officers and all bidders are emailed."""
    award, officer, loser, member = _awarded()
    upload = SimpleUploadedFile("证明.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        objection = objection_file(
            tender=award.tender,
            organisation=loser.organisation,
            by=member,
            grounds=" 中标人业绩材料不实。 ",
            files=[upload],
        )

    assert objection.status == Objection.Status.OPEN
    assert (objection.bid, objection.grounds, objection.filed_by) == (
        loser,
        "中标人业绩材料不实。",
        member,
    )
    filed = timezone.localtime(objection.created_at)
    due = timezone.localtime(objection.answer_due_at)
    assert due.time() == filed.time()
    assert due.date() > filed.date() + datetime.timedelta(days=6)
    document = objection.documents.get()
    assert (document.title, len(document.sha256)) == ("证明.pdf", 64)
    assert AuditEntry.objects.filter(action="file", object_id=str(objection.pk)).exists()
    recipients = {address for message in mail.outbox for address in message.to}
    assert officer.email in recipients
    assert member.email in recipients
    assert award.bid.organisation.memberships.first().user.email in recipients
    assert "业绩材料不实" not in mail.outbox[-1].body


def test_objection_after_the_notice_period_is_refused():
    """Once the notice period is over, no objection can be filed; nothing changes."""
    award, _officer, loser, member = _awarded()
    Award.objects.filter(pk=award.pk).update(
        notice_ends_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    error = _refused(
        lambda: objection_file(
            tender=award.tender, organisation=loser.organisation, by=member, grounds="理由"
        ),
        award.tender,
    )
    assert "not_in_notice" in _codes(error)


def test_objection_by_a_non_bidder_is_refused():
    """An organisation without a live bid, or a user acting for an organisation they are not
    a member of, cannot object; nothing changes."""
    award, _officer, loser, _member = _awarded()
    outsider = factories.OrganisationMembershipFactory()
    error = _refused(
        lambda: objection_file(
            tender=award.tender,
            organisation=outsider.organisation,
            by=outsider.user,
            grounds="理由",
        ),
        award.tender,
    )
    assert "not_a_bidder" in _codes(error)
    _refused(
        lambda: objection_file(
            tender=award.tender, organisation=loser.organisation, by=outsider.user, grounds="理由"
        ),
        award.tender,
        exception=PermissionDenied,
    )


def test_objection_needs_grounds_and_valid_documents():
    """Empty grounds or a disguised file are refused; nothing changes."""
    award, _officer, loser, member = _awarded()
    _refused(
        lambda: objection_file(
            tender=award.tender, organisation=loser.organisation, by=member, grounds="  "
        ),
        award.tender,
    )
    fake = SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf")
    _refused(
        lambda: objection_file(
            tender=award.tender,
            organisation=loser.organisation,
            by=member,
            grounds="理由",
            files=[fake],
        ),
        award.tender,
    )


def test_objections_block_signing():
    """An award is not signable during the notice period, nor after it while an objection
    is open; once every objection is answered (dismissed) and the period is over, it is."""
    award, officer, loser, member = _awarded()
    assert not award_signable(award)
    objection = objection_file(
        tender=award.tender, organisation=loser.organisation, by=member, grounds="理由"
    )
    Award.objects.filter(pk=award.pk).update(
        notice_ends_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    award.refresh_from_db()
    assert not award_signable(award)

    objection_answer(objection=objection, by=officer, answer="经核查不成立。", upheld=False)

    assert award_signable(award)


def test_dismissed_objection_keeps_the_award(django_capture_on_commit_callbacks):
    """Dismissal records the answer and who gave it; the award and tender stand; every
    bidder is told."""
    award, officer, loser, member = _awarded()
    objection = factories.ObjectionFactory(tender=award.tender, bid=loser, filed_by=member)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        objection_answer(
            objection=objection, by=officer, answer="经核查不成立。", upheld=False, outcome="cancel"
        )

    objection.refresh_from_db()
    award.refresh_from_db()
    assert (objection.status, objection.answer, objection.answered_by, objection.outcome) == (
        Objection.Status.DISMISSED,
        "经核查不成立。",
        officer,
        "",
    )
    assert objection.answered_at is not None
    assert award.status == Award.Status.NOTICE
    assert award.tender.status == Tender.Status.AWARDED
    recipients = {address for message in mail.outbox for address in message.to}
    assert member.email in recipients
    assert award.bid.organisation.memberships.first().user.email in recipients


def test_upheld_reevaluate_reopens_the_evaluation():
    """Upheld with 重新评审: the award is revoked, the current report superseded, and the
    tender is back under evaluation (with no current report, so scoring reopens)."""
    award, officer, loser, member = _awarded()
    objection = factories.ObjectionFactory(tender=award.tender, bid=loser, filed_by=member)

    objection_answer(
        objection=objection,
        by=officer,
        answer="评分有误，重新评审。",
        upheld=True,
        outcome="reevaluate",
    )

    award.refresh_from_db()
    tender = award.tender
    tender.refresh_from_db()
    assert award.status == Award.Status.REVOKED
    assert tender.status == Tender.Status.EVALUATING
    assert not tender.reports.filter(superseded_at__isnull=True).exists()
    assert objection.outcome == "reevaluate"


def test_upheld_cancel_cancels_the_tender():
    """Upheld with 取消: the award is revoked and the tender cancelled with the answer as
    its public reason."""
    award, officer, loser, member = _awarded()
    objection = factories.ObjectionFactory(tender=award.tender, bid=loser, filed_by=member)

    objection_answer(
        objection=objection, by=officer, answer="采购需求有误。", upheld=True, outcome="cancel"
    )

    award.refresh_from_db()
    award.tender.refresh_from_db()
    assert award.status == Award.Status.REVOKED
    assert award.tender.status == Tender.Status.CANCELLED
    entry = AuditEntry.objects.filter(object_id=str(award.tender.pk), to_status="cancelled").get()
    assert entry.reason == "采购需求有误。"


def test_answer_errors_change_nothing():
    """No answer, upheld without an outcome, an outsider, an already answered objection:
    each refused, nothing changed."""
    award, officer, loser, member = _awarded()
    objection = factories.ObjectionFactory(tender=award.tender, bid=loser, filed_by=member)
    tender = award.tender
    _refused(
        lambda: objection_answer(objection=objection, by=officer, answer=" ", upheld=False), tender
    )
    _refused(
        lambda: objection_answer(objection=objection, by=officer, answer="成立", upheld=True),
        tender,
    )
    _refused(
        lambda: objection_answer(objection=objection, by=member, answer="成立", upheld=False),
        tender,
        exception=PermissionDenied,
    )
    objection_answer(objection=objection, by=officer, answer="不成立", upheld=False)
    _refused(
        lambda: objection_answer(
            objection=objection, by=officer, answer="成立", upheld=True, outcome="cancel"
        ),
        tender,
    )


def test_second_upheld_objection_after_reevaluation_only_records_the_answer():
    """With two objections, upholding the first reopens evaluation; upholding the second
    later only records its answer (the tender is already back in evaluation)."""
    award, officer, loser, member = _awarded()
    first = factories.ObjectionFactory(tender=award.tender, bid=loser, filed_by=member)
    second = factories.ObjectionFactory(tender=award.tender, bid=loser, filed_by=member)
    objection_answer(objection=first, by=officer, answer="成立", upheld=True, outcome="reevaluate")

    objection_answer(objection=second, by=officer, answer="同上", upheld=True, outcome="cancel")

    award.tender.refresh_from_db()
    assert award.tender.status == Tender.Status.EVALUATING
    second.refresh_from_db()
    assert second.status == Objection.Status.UPHELD


def test_a_member_role_may_object():
    """Any member of the bidding organisation (not only its admin) may file."""
    award, _officer, loser, _member = _awarded()
    plain = factories.OrganisationMembershipFactory(
        organisation=loser.organisation, role=OrganisationMembership.Role.MEMBER
    ).user
    objection = objection_file(
        tender=award.tender, organisation=loser.organisation, by=plain, grounds="理由"
    )
    assert objection.filed_by == plain
