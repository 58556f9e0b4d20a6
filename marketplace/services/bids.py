"""Writes about bids: submit (or replace), withdraw, re-confirm after an amendment, and the
opening (开标). The deadline is enforced here, with the tender row locked, by the database
clock: a bid that reaches this code after the deadline is refused however requests race."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace import permissions
from marketplace.dates import db_now
from marketplace.models import Bid, BidDocument, Tender, TenderOpening
from marketplace.selectors.bids import bid_receipt_hash
from marketplace.selectors.tenders import tender_eligibility_failures
from marketplace.services.audit import audit_record
from marketplace.services.documents import documents_check
from marketplace.services.tenders import tender_close
from marketplace.workflows import transition

PROPOSAL_FIELDS = ("service_plan", "team", "outputs", "beneficiaries")


def _amount_error(message, code) -> ValidationError:
    """An error on the amount field that keeps its code (a plain dict would drop it)."""
    return ValidationError({"amount": ValidationError(message, code=code)})


def _check_amount(amount, tender):
    label = _("申请资助金额") if tender.is_venture else _("投标报价")
    if not isinstance(amount, Money):
        raise TypeError("amount must be a Money")
    if str(amount.currency) != "CNY":
        raise _amount_error(_("%(label)s须以人民币（CNY）填写。") % {"label": label}, "currency")
    value = Decimal(amount.amount)
    if value <= 0:
        raise _amount_error(_("%(label)s必须大于0。") % {"label": label}, "not_positive")
    if value != value.quantize(Decimal("0.01")):
        raise _amount_error(
            _("%(label)s最多保留两位小数（分）。") % {"label": label}, "too_many_decimals"
        )
    if tender.is_venture and tender.project_cap is not None and amount > tender.project_cap:
        raise _amount_error(
            _("申请资助金额 %(amount)s 超过单个项目资助上限 %(cap)s。")
            % {"amount": amount, "cap": tender.project_cap},
            "over_cap",
        )
    if amount > tender.budget:
        raise _amount_error(
            _("%(label)s %(amount)s 超过项目预算 %(budget)s。")
            % {"label": label, "amount": amount, "budget": tender.budget},
            "over_budget",
        )


def _lock_open_tender(tender):
    """Lock the tender row and check, by the database clock, that bidding is open."""
    tender = (
        Tender.objects.select_for_update(of=("self",))
        .select_related("category", "region")
        .get(pk=tender.pk)
    )
    now = db_now()
    if tender.status != Tender.Status.PUBLISHED or now >= tender.bid_deadline:
        raise ValidationError(
            _("投标已截止或项目不在投标期，未作任何更改。"), code="bidding_closed"
        )
    return tender, now


@transaction.atomic
def bid_submit(*, tender, organisation, by, amount, documents=(), **proposal) -> Bid:
    """Submit a sealed bid, replacing the organisation's live bid if it has one.

    Rules: the actor acts for the organisation; the organisation meets every eligibility
    rule; the amount is CNY, > 0, at most the budget (公益创投: at most the project cap);
    bidding is open by the database clock with the tender row locked. Returns the bid,
    whose receipt hash covers what was sent.
    """
    if set(proposal) != set(PROPOSAL_FIELDS):
        raise TypeError(f"bid_submit needs exactly {PROPOSAL_FIELDS}")
    if not permissions.is_organisation_member(by, organisation):
        raise PermissionDenied(_("只有本组织的成员可以代表组织投标。"))
    missing = [name for name in PROPOSAL_FIELDS if not str(proposal[name]).strip()]
    if missing:
        raise ValidationError({name: _("此项为必填项。") for name in missing}, code="required")
    checked = documents_check(documents, limit=settings.DOCUMENTS_PER_UPLOAD)
    tender, now = _lock_open_tender(tender)
    _check_amount(amount, tender)
    failures = tender_eligibility_failures(tender, organisation)
    if failures:
        # Each message carries the code: a list of plain strings would drop it.
        raise ValidationError([ValidationError(f, code="not_eligible") for f in failures])
    previous = (
        Bid.objects.select_for_update()
        .filter(Bid.LIVE, tender=tender, organisation=organisation)
        .first()
    )
    if previous is not None:
        transition(previous, Bid.Status.REPLACED, by=by)
    bid = Bid(
        tender=tender,
        organisation=organisation,
        submitted_by=by,
        amount=amount,
        tender_version=tender.version,
        submitted_at=now,
        **{name: str(proposal[name]).strip() for name in PROPOSAL_FIELDS},
    )
    bid.receipt_hash = bid_receipt_hash(bid, checked)
    # Lengths and choices; the amount and the one-live-bid rule were checked above.
    bid.full_clean(exclude=["tender", "organisation", "submitted_by"], validate_constraints=False)
    bid.save()
    for document in checked:
        BidDocument.objects.create(bid=bid, **document)
    audit_record(
        obj=bid,
        by=by,
        action="submit",
        to_status=bid.status,
        data={"receipt": bid.receipt_hash, "replaces": previous.pk if previous else None},
    )
    return bid


@transaction.atomic
def bid_withdraw(*, bid, by) -> Bid:
    """Withdraw a live bid before the deadline; the organisation may bid again."""
    _lock_open_tender(bid.tender)
    return transition(bid, Bid.Status.WITHDRAWN, by=by, expected_from={Bid.Status.SUBMITTED})


@transaction.atomic
def bid_reconfirm(*, bid, by) -> Bid:
    """Confirm that a bid stands against the tender's latest version (after an amendment)."""
    if not permissions.can_act_for_bid(by, bid):
        raise PermissionDenied(_("只有本组织的成员可以确认投标。"))
    tender, now = _lock_open_tender(bid.tender)
    bid = Bid.objects.select_for_update().get(pk=bid.pk)
    if not bid.is_live or not bid.needs_reconfirmation:
        raise ValidationError(_("该投标无需确认。"), code="nothing_to_confirm")
    bid.needs_reconfirmation = False
    bid.reconfirmed_at = now
    # tender_version stays the version the bid was written against: the receipt covers it.
    bid.save(update_fields=["needs_reconfirmation", "reconfirmed_at"])
    audit_record(obj=bid, by=by, action="reconfirm", data={"tender_version": tender.version})
    return bid


def tender_open(*, tender, by) -> TenderOpening:
    """Open the bids (开标) after the deadline, at or after the announced opening time.

    Closes bidding first if the clock has passed the deadline but no job has yet; if too few
    bids arrived the tender fails (流标), which stands, and nothing is opened. The opening
    record lists every live bid: bidder, amount, submission time, and whether it was
    re-confirmed after the last amendment.
    """
    if not permissions.can_manage_tender(by, tender):
        raise PermissionDenied(_("只有该购买主体的经办人可以开标。"))
    tender = tender_close(tender=tender)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        now = db_now()
        if tender.status == Tender.Status.PUBLISHED:
            raise ValidationError(_("投标截止前不能开标。"), code="too_early")
        if tender.status == Tender.Status.FAILED:
            raise ValidationError(_("有效投标家数不足，项目已流标，无需开标。"), code="failed")
        if now < tender.opening_at:
            raise ValidationError(_("尚未到公告的开标时间，届时方可开标。"), code="too_early")
        bids = tender.bids.filter(Bid.LIVE, submitted_at__lt=tender.bid_deadline)
        record = [
            {
                "bid": bid.pk,
                "organisation": bid.organisation.name,
                "amount": f"{bid.amount.amount:.2f}",
                "currency": str(bid.amount.currency),
                "submitted_at": bid.submitted_at.isoformat(),
                "reconfirmed": not bid.needs_reconfirmation,
            }
            for bid in bids.select_related("organisation").order_by("submitted_at", "pk")
        ]
        tender = transition(
            tender, Tender.Status.OPENED, by=by, expected_from={Tender.Status.CLOSED}
        )
        return TenderOpening.objects.create(
            tender=tender, opened_by=by, opened_at=now, record=record
        )
