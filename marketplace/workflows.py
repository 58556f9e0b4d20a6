"""Allowed status changes, as data, and the one function that makes them.

`transition()` is the only code that assigns a `status`: it locks the row, checks the
table and the actor's permission, saves, writes an AuditEntry and sends
`events.status_changed` once the transaction commits.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from marketplace import events, permissions
from marketplace.models import (
    Award,
    Bid,
    Contract,
    Milestone,
    MilestoneReport,
    Objection,
    Organisation,
    PanelMember,
    Payment,
    RatingAppeal,
    RatingRound,
    ResidentFeedback,
    Tender,
)
from marketplace.services.audit import audit_record

OrgStatus = Organisation.Status

ORGANISATION_TRANSITIONS = {
    OrgStatus.PENDING: {OrgStatus.VERIFIED, OrgStatus.REJECTED},
    OrgStatus.REJECTED: {OrgStatus.PENDING},
    OrgStatus.VERIFIED: {OrgStatus.SUSPENDED},
    OrgStatus.SUSPENDED: {OrgStatus.VERIFIED},
}

# Who may move an object into a status: rule(user, obj) -> bool.
ORGANISATION_PERMISSIONS = {
    OrgStatus.VERIFIED: permissions.is_staff,
    OrgStatus.REJECTED: permissions.is_staff,
    OrgStatus.SUSPENDED: permissions.is_staff,
    OrgStatus.PENDING: permissions.is_organisation_admin,
}

ORGANISATION_REASON_REQUIRED = {OrgStatus.REJECTED, OrgStatus.SUSPENDED}

TenderStatus = Tender.Status

TENDER_TRANSITIONS = {
    TenderStatus.DRAFT: {TenderStatus.PUBLISHED, TenderStatus.CANCELLED},
    TenderStatus.PUBLISHED: {TenderStatus.CLOSED, TenderStatus.CANCELLED},
    TenderStatus.CLOSED: {TenderStatus.OPENED, TenderStatus.FAILED, TenderStatus.CANCELLED},
    TenderStatus.OPENED: {TenderStatus.EVALUATING, TenderStatus.FAILED, TenderStatus.CANCELLED},
    TenderStatus.EVALUATING: {TenderStatus.AWARDED, TenderStatus.FAILED, TenderStatus.CANCELLED},
    # An upheld objection sends the tender back to evaluation, or cancels it.
    TenderStatus.AWARDED: {TenderStatus.EVALUATING, TenderStatus.CANCELLED},
    TenderStatus.CANCELLED: set(),
    TenderStatus.FAILED: set(),
}

# Bidding closes by the clock, so only the platform closes it; a tender fails (流标) either at
# the close, by the platform, or later, by the buyer after reviewing the bids.
TENDER_PERMISSIONS = {
    TenderStatus.PUBLISHED: permissions.can_manage_tender,
    TenderStatus.CLOSED: permissions.is_system,
    TenderStatus.OPENED: permissions.can_manage_tender,
    TenderStatus.EVALUATING: permissions.can_run_evaluation,
    TenderStatus.AWARDED: permissions.can_run_evaluation,
    TenderStatus.CANCELLED: permissions.can_run_evaluation,
    TenderStatus.FAILED: lambda user, tender: (
        permissions.is_system(user) or permissions.can_run_evaluation(user, tender)
    ),
}

TENDER_REASON_REQUIRED = {TenderStatus.CANCELLED, TenderStatus.FAILED}

BidStatus = Bid.Status

BID_TRANSITIONS = {
    BidStatus.SUBMITTED: {BidStatus.WITHDRAWN, BidStatus.REPLACED},
    BidStatus.WITHDRAWN: set(),
    BidStatus.REPLACED: set(),
}

BID_PERMISSIONS = {
    BidStatus.WITHDRAWN: permissions.can_act_for_bid,
    BidStatus.REPLACED: permissions.can_act_for_bid,
}

AwardStatus = Award.Status

# A contract follows a standing award (contracts issue); an upheld objection revokes it.
AWARD_TRANSITIONS = {AwardStatus.NOTICE: {AwardStatus.REVOKED}, AwardStatus.REVOKED: set()}
AWARD_PERMISSIONS = {
    AwardStatus.REVOKED: lambda user, award: permissions.can_run_evaluation(user, award.tender)
}

ObjectionStatus = Objection.Status

OBJECTION_TRANSITIONS = {
    ObjectionStatus.OPEN: {ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED},
    ObjectionStatus.UPHELD: set(),
    ObjectionStatus.DISMISSED: set(),
}


def _answers_objection(user, objection) -> bool:
    return permissions.can_run_evaluation(user, objection.tender)


OBJECTION_PERMISSIONS = {
    ObjectionStatus.UPHELD: _answers_objection,
    ObjectionStatus.DISMISSED: _answers_objection,
}

ContractStatus = Contract.Status

# A contract comes into force when the second party signs (either may be last); it ends
# completed once every milestone is paid, or terminated early with a reason.
CONTRACT_TRANSITIONS = {
    ContractStatus.DRAFT: {ContractStatus.ACTIVE, ContractStatus.TERMINATED},
    ContractStatus.ACTIVE: {ContractStatus.COMPLETED, ContractStatus.TERMINATED},
    ContractStatus.COMPLETED: set(),
    ContractStatus.TERMINATED: set(),
}
CONTRACT_PERMISSIONS = {
    ContractStatus.ACTIVE: lambda user, contract: (
        permissions.is_contract_buyer(user, contract)
        or permissions.is_contract_organisation(user, contract)
    ),
    ContractStatus.COMPLETED: lambda user, contract: (
        permissions.is_system(user) or permissions.is_contract_buyer(user, contract)
    ),
    ContractStatus.TERMINATED: permissions.is_contract_buyer,
}

MilestoneStatus = Milestone.Status


def _milestone_buyer(user, milestone) -> bool:
    return permissions.is_contract_buyer(user, milestone.contract)


def _milestone_organisation(user, milestone) -> bool:
    return permissions.can_report_on_contract(user, milestone.contract)


# The organisation reports; the buyer accepts or returns; a settled payment marks it paid
# (the platform on a gateway's webhook, or the officer recording a treasury transfer);
# termination cancels what is not paid.
MILESTONE_TRANSITIONS = {
    MilestoneStatus.PENDING: {MilestoneStatus.SUBMITTED, MilestoneStatus.CANCELLED},
    MilestoneStatus.SUBMITTED: {
        MilestoneStatus.ACCEPTED,
        MilestoneStatus.RETURNED,
        MilestoneStatus.CANCELLED,
    },
    MilestoneStatus.RETURNED: {MilestoneStatus.SUBMITTED, MilestoneStatus.CANCELLED},
    MilestoneStatus.ACCEPTED: {MilestoneStatus.PAID, MilestoneStatus.CANCELLED},
    MilestoneStatus.PAID: set(),
    MilestoneStatus.CANCELLED: set(),
}
MILESTONE_PERMISSIONS = {
    MilestoneStatus.SUBMITTED: _milestone_organisation,
    MilestoneStatus.ACCEPTED: _milestone_buyer,
    MilestoneStatus.RETURNED: _milestone_buyer,
    MilestoneStatus.PAID: lambda user, milestone: (
        permissions.is_system(user) or _milestone_buyer(user, milestone)
    ),
    MilestoneStatus.CANCELLED: _milestone_buyer,
}

SeatStatus = PanelMember.Status

# An expert's declaration settles their seat once: active, or recused for a conflict.
PANEL_MEMBER_TRANSITIONS = {
    SeatStatus.PENDING: {SeatStatus.ACTIVE, SeatStatus.RECUSED},
    SeatStatus.ACTIVE: set(),
    SeatStatus.RECUSED: set(),
}


def _seat_expert(user, seat) -> bool:
    return user is not None and seat.expert.user_id == user.pk


PANEL_MEMBER_PERMISSIONS = {SeatStatus.ACTIVE: _seat_expert, SeatStatus.RECUSED: _seat_expert}

ReportStatus = MilestoneReport.Status


def _report_buyer(user, report) -> bool:
    return permissions.is_contract_buyer(user, report.milestone.contract)


# The buyer decides a milestone report once: accepted, or returned with reasons (a new
# report may follow).
MILESTONE_REPORT_TRANSITIONS = {
    ReportStatus.SUBMITTED: {ReportStatus.ACCEPTED, ReportStatus.RETURNED},
    ReportStatus.ACCEPTED: set(),
    ReportStatus.RETURNED: set(),
}
MILESTONE_REPORT_PERMISSIONS = {
    ReportStatus.ACCEPTED: _report_buyer,
    ReportStatus.RETURNED: _report_buyer,
}

PaymentStatus = Payment.Status


def _payment_buyer(user, payment) -> bool:
    return permissions.is_contract_buyer(user, payment.contract)


def _payment_system_or_buyer(user, payment) -> bool:
    return permissions.is_system(user) or _payment_buyer(user, payment)


# Stripe: pending → processing (charged) → succeeded or failed (webhook), failed → processing
# (retry). Treasury: pending → succeeded when the officer records the transfer. A settled
# payment may be refunded (clawback after termination).
PAYMENT_TRANSITIONS = {
    PaymentStatus.PENDING: {PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED},
    PaymentStatus.PROCESSING: {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED},
    PaymentStatus.FAILED: {PaymentStatus.PROCESSING},
    PaymentStatus.SUCCEEDED: {PaymentStatus.REFUNDED},
    PaymentStatus.REFUNDED: set(),
}
PAYMENT_PERMISSIONS = {
    PaymentStatus.PROCESSING: _payment_buyer,
    PaymentStatus.SUCCEEDED: _payment_system_or_buyer,
    PaymentStatus.FAILED: _payment_system_or_buyer,
    PaymentStatus.REFUNDED: _payment_system_or_buyer,
}

RoundStatus = RatingRound.Status


def _round_party_or_system(user, rating_round) -> bool:
    contract = rating_round.contract
    return (
        permissions.is_system(user)
        or permissions.is_contract_buyer(user, contract)
        or permissions.is_organisation_member(user, contract.organisation_id)
    )


# Revealed when the second side submits (by that side) or when the window closes (by the
# platform); a revealed round is final.
RATING_ROUND_TRANSITIONS = {RoundStatus.OPEN: {RoundStatus.REVEALED}, RoundStatus.REVEALED: set()}
RATING_ROUND_PERMISSIONS = {RoundStatus.REVEALED: _round_party_or_system}

AppealStatus = RatingAppeal.Status

RATING_APPEAL_TRANSITIONS = {
    AppealStatus.OPEN: {AppealStatus.UPHELD, AppealStatus.DISMISSED},
    AppealStatus.UPHELD: set(),
    AppealStatus.DISMISSED: set(),
}
RATING_APPEAL_PERMISSIONS = {
    AppealStatus.UPHELD: permissions.is_staff,
    AppealStatus.DISMISSED: permissions.is_staff,
}

FeedbackStatus = ResidentFeedback.Status

# Only a comment is moderated; a bare score has nothing to review (status "none").
RESIDENT_FEEDBACK_TRANSITIONS = {
    FeedbackStatus.NO_COMMENT: set(),
    FeedbackStatus.PENDING: {FeedbackStatus.APPROVED, FeedbackStatus.REJECTED},
    FeedbackStatus.APPROVED: {FeedbackStatus.REJECTED},
    FeedbackStatus.REJECTED: {FeedbackStatus.APPROVED},
}
RESIDENT_FEEDBACK_PERMISSIONS = {
    FeedbackStatus.APPROVED: permissions.is_staff,
    FeedbackStatus.REJECTED: permissions.is_staff,
}

WORKFLOWS = {
    Organisation: (
        ORGANISATION_TRANSITIONS,
        ORGANISATION_PERMISSIONS,
        ORGANISATION_REASON_REQUIRED,
    ),
    Tender: (TENDER_TRANSITIONS, TENDER_PERMISSIONS, TENDER_REASON_REQUIRED),
    Bid: (BID_TRANSITIONS, BID_PERMISSIONS, set()),
    Award: (AWARD_TRANSITIONS, AWARD_PERMISSIONS, {AwardStatus.REVOKED}),
    # The reason of an objection's move is the buyer's answer, published with it.
    Objection: (
        OBJECTION_TRANSITIONS,
        OBJECTION_PERMISSIONS,
        {ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED},
    ),
    Contract: (CONTRACT_TRANSITIONS, CONTRACT_PERMISSIONS, {ContractStatus.TERMINATED}),
    Milestone: (
        MILESTONE_TRANSITIONS,
        MILESTONE_PERMISSIONS,
        {MilestoneStatus.RETURNED, MilestoneStatus.CANCELLED},
    ),
    PanelMember: (PANEL_MEMBER_TRANSITIONS, PANEL_MEMBER_PERMISSIONS, set()),
    MilestoneReport: (
        MILESTONE_REPORT_TRANSITIONS,
        MILESTONE_REPORT_PERMISSIONS,
        {ReportStatus.RETURNED},
    ),
    Payment: (PAYMENT_TRANSITIONS, PAYMENT_PERMISSIONS, {PaymentStatus.REFUNDED}),
    RatingRound: (RATING_ROUND_TRANSITIONS, RATING_ROUND_PERMISSIONS, set()),
    # The reason of an appeal's decision is staff's answer, shown to both sides.
    RatingAppeal: (
        RATING_APPEAL_TRANSITIONS,
        RATING_APPEAL_PERMISSIONS,
        {AppealStatus.UPHELD, AppealStatus.DISMISSED},
    ),
    ResidentFeedback: (
        RESIDENT_FEEDBACK_TRANSITIONS,
        RESIDENT_FEEDBACK_PERMISSIONS,
        {FeedbackStatus.REJECTED},
    ),
}


class TransitionNotAllowed(ValidationError):
    """The table has no move from the object's current status to the requested one."""


@transaction.atomic
def transition(obj, to, *, by, reason="", expected_from=None, action="transition", data=None):
    """Move `obj` to status `to` on behalf of `by`, or raise and change nothing.

    A named service may give the audit entry its own `action` and extra `data` (what was
    declared along with the move).

    `expected_from` lets a named service insist on where the move starts (verifying a
    pending registration is not the same act as lifting a suspension).
    """
    model = type(obj)
    table, rules, reason_required = WORKFLOWS[model]
    to = model.Status(to)  # an unknown status is a programming error: ValueError
    locked = model.objects.select_for_update().get(pk=obj.pk)
    current = locked.status
    if to not in table.get(current, set()) or (
        expected_from is not None and current not in expected_from
    ):
        raise TransitionNotAllowed(
            _("不能从“%(current)s”变更为“%(target)s”。"),
            code="transition_not_allowed",
            params={"current": model.Status(current).label, "target": model.Status(to).label},
        )
    if not rules[to](by, locked):
        raise PermissionDenied(_("您没有权限执行此操作。"))
    reason = reason.strip()
    if to in reason_required and not reason:
        raise ValidationError(_("请填写理由，理由将告知对方。"), code="reason_required")
    locked.status = to
    update_fields = ["status"]
    if hasattr(locked, "updated_at"):
        update_fields.append("updated_at")
    locked.save(update_fields=update_fields)
    audit_record(
        obj=locked,
        by=by,
        action=action,
        from_status=current,
        to_status=to,
        reason=reason,
        data=data,
    )
    obj.status = to
    transaction.on_commit(
        lambda: events.status_changed.send(
            sender=model, instance=locked, from_status=current, to_status=to, by=by, reason=reason
        )
    )
    return locked
