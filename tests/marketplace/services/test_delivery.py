"""Delivery and acceptance (验收): services/delivery.py — milestone reports submitted by the
organisation, accepted (which creates the milestone's one payment) or returned by the buyer."""

import datetime
import hashlib
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from marketplace.models import (
    AuditEntry,
    Contract,
    Milestone,
    MilestoneReport,
    MilestoneReportDocument,
    OrganisationMembership,
    Payment,
)
from marketplace.selectors.delivery import (
    due_next_for_buyer,
    due_next_for_organisation,
    milestones_overdue,
)
from marketplace.services.delivery import (
    milestone_report_accept,
    milestone_report_return,
    milestone_report_submit,
)
from marketplace.storage import PrivateStorage
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n"
INDICATORS = [
    {"name": "服务老人人数", "target": "200", "unit": "人"},
    {"name": "满意度", "target": "90", "unit": "%"},
]


@pytest.fixture
def contract():
    return factories.ContractFactory(status=Contract.Status.ACTIVE, indicators=INDICATORS)


@pytest.fixture
def member(contract):
    return factories.OrganisationMembershipFactory(
        organisation=contract.organisation, role=OrganisationMembership.Role.MEMBER
    ).user


@pytest.fixture
def officer(contract):
    return factories.BuyerMembershipFactory(buyer=contract.buyer).user


def _first(contract) -> Milestone:
    return contract.milestones.order_by("position").first()


def _pdf(name="服务记录.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _submit(milestone, by, **overrides):
    fields = {
        "narrative": "本阶段上门服务 412 次，建立服务档案 206 份。",
        "indicator_values": {"服务老人人数": "206", "满意度": 96},
        "beneficiaries": 206,
        "files": (),
    }
    fields.update(overrides)
    return milestone_report_submit(milestone=milestone, by=by, **fields)


def _state(contract):
    return {
        "milestones": list(
            Milestone.objects.filter(contract=contract).values_list("pk", "status", "accepted_at")
        ),
        "reports": list(
            MilestoneReport.objects.filter(milestone__contract=contract).values_list(
                "pk", "status", "decision_reason", "decided_by", "decided_at"
            )
        ),
        "documents": MilestoneReportDocument.objects.count(),
        "payments": list(Payment.objects.values_list("pk", "milestone_id", "status")),
        "audit": AuditEntry.objects.count(),
    }


def _refused(call, contract, *, exception=ValidationError):
    """Run `call`, expect `exception`, assert nothing changed; return the error."""
    before = _state(contract)
    with pytest.raises(exception) as raised:
        call()
    assert _state(contract) == before
    return raised.value


def _codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


# Submitting -------------------------------------------------------------------------


def test_member_submits_a_report_with_documents(
    contract, member, officer, django_capture_on_commit_callbacks
):
    """A member of the organisation reports on a pending milestone: the milestone becomes
    SUBMITTED, the report keeps the values as text, the documents are stored privately with
    their SHA-256, the move and the report are audited, and the buyer's officers are emailed."""
    milestone = _first(contract)

    with django_capture_on_commit_callbacks(execute=True):
        report = _submit(milestone, member, files=[_pdf()])

    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.SUBMITTED
    assert report.status == MilestoneReport.Status.SUBMITTED
    assert report.indicator_values == {"服务老人人数": "206", "满意度": "96"}
    assert (report.beneficiaries, report.submitted_by) == (206, member)
    document = report.documents.get()
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.size == len(PDF)
    assert isinstance(document.file.storage, PrivateStorage)
    assert AuditEntry.objects.filter(
        action="transition", object_id=str(milestone.pk), to_status="submitted"
    ).exists()
    assert AuditEntry.objects.filter(object_id=str(report.pk), action="submit").exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [officer.email]
    assert milestone.name in mail.outbox[0].subject


@pytest.mark.parametrize("who", ["outsider", "buyer", "staff", "anonymous"])
def test_only_the_organisations_members_may_submit(contract, officer, who):
    """Another organisation's member, the buyer's officer, staff and anonymous users are
    refused; nothing changes."""
    actor = {
        "outsider": lambda: factories.OrganisationMembershipFactory().user,
        "buyer": lambda: officer,
        "staff": factories.StaffFactory,
        "anonymous": AnonymousUser,
    }[who]()
    milestone = _first(contract)

    _refused(lambda: _submit(milestone, actor), contract, exception=PermissionDenied)


@pytest.mark.parametrize(
    "status",
    [
        Milestone.Status.SUBMITTED,
        Milestone.Status.ACCEPTED,
        Milestone.Status.PAID,
        Milestone.Status.CANCELLED,
    ],
)
def test_submit_needs_a_pending_or_returned_milestone(contract, member, status):
    """A milestone already submitted, accepted, paid or cancelled takes no report."""
    milestone = _first(contract)
    Milestone.objects.filter(pk=milestone.pk).update(status=status)
    milestone.refresh_from_db()

    error = _refused(lambda: _submit(milestone, member), contract)

    assert _codes(error) == {"wrong_status"}


@pytest.mark.parametrize("status", [Contract.Status.DRAFT, Contract.Status.TERMINATED])
def test_submit_needs_a_contract_in_force(member, status):
    """An unsigned or terminated contract takes no report."""
    contract = factories.ContractFactory(status=status, indicators=INDICATORS)
    factories.OrganisationMembershipFactory(organisation=contract.organisation, user=member)
    milestone = _first(contract)

    error = _refused(lambda: _submit(milestone, member), contract)

    assert _codes(error) == {"contract_not_active"}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"narrative": "  \n "}, "required"),
        ({"narrative": "字" * 10001}, "too_long"),
        (
            {"indicator_values": {"服务老人人数": "206", "满意度": "96", "志愿者": "3"}},
            "unknown_indicator",
        ),
        ({"indicator_values": {"服务老人人数": "206"}}, "indicator_required"),
        ({"indicator_values": {"服务老人人数": " ", "满意度": "96"}}, "indicator_required"),
        ({"indicator_values": {"服务老人人数": None, "满意度": "96"}}, "indicator_required"),
        ({"indicator_values": {"服务老人人数": 206.5, "满意度": "96"}}, "indicator_required"),
        ({"indicator_values": ["206", "96"]}, "invalid"),
        ({"beneficiaries": -1}, "invalid"),
        ({"beneficiaries": "12"}, "invalid"),
        ({"files": [SimpleUploadedFile("恶意.exe", b"MZ\x90\x00")]}, "document_type"),
        ({"files": [SimpleUploadedFile("伪装.pdf", b"GIF89a not a pdf")]}, None),
    ],
)
def test_bad_report_input_is_refused(contract, member, overrides, code):
    """Missing narrative, an unknown or missing indicator, a non-text value, negative
    beneficiaries or a bad file: a clear error on the right field, nothing changes."""
    milestone = _first(contract)

    error = _refused(lambda: _submit(milestone, member, **overrides), contract)

    assert error.messages
    if code == "document_type" or code is None:
        assert "documents" in error.error_dict
    else:
        assert code in _codes(error)


def test_zero_beneficiaries_and_numbers_as_values_are_accepted(contract, member):
    """Zero people served is a valid answer (a preparatory milestone); integers are stored
    as their text."""
    report = _submit(
        _first(contract),
        member,
        beneficiaries=0,
        indicator_values={"服务老人人数": 0, "满意度": "—"},
    )

    assert report.beneficiaries == 0
    assert report.indicator_values == {"服务老人人数": "0", "满意度": "—"}


# Accepting --------------------------------------------------------------------------


def test_accept_creates_exactly_one_payment_and_sets_accepted_at(
    contract, member, officer, django_capture_on_commit_callbacks
):
    """The officer accepts: report and milestone ACCEPTED, accepted_at set, one payment for
    exactly the milestone's amount (treasury by default), and the organisation is emailed."""
    milestone = _first(contract)
    report = _submit(milestone, member)
    before = timezone.now()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        milestone_report_accept(report=report, by=officer)

    milestone.refresh_from_db()
    report.refresh_from_db()
    assert report.status == MilestoneReport.Status.ACCEPTED
    assert (report.decided_by, report.decision_reason) == (officer, "")
    assert milestone.status == Milestone.Status.ACCEPTED
    assert milestone.accepted_at is not None
    assert milestone.accepted_at >= before - datetime.timedelta(seconds=5)
    payment = Payment.objects.get()
    assert (payment.milestone, payment.amount) == (milestone, milestone.amount)
    assert payment.idempotency_key == f"milestone-{milestone.pk}"
    assert any(member.email in message.to for message in mail.outbox)


def test_second_accept_is_refused_and_pays_once(contract, member, officer):
    """A double click: the second accept (even with a stale copy of the report, or by
    another officer) is refused with a clear error; one payment, accepted_at unchanged."""
    report = _submit(_first(contract), member)
    stale = MilestoneReport.objects.get(pk=report.pk)
    milestone_report_accept(report=report, by=officer)
    other = factories.BuyerMembershipFactory(buyer=contract.buyer).user

    for actor in (officer, other):
        error = _refused(lambda a=actor: milestone_report_accept(report=stale, by=a), contract)
        assert _codes(error) == {"already_decided"}
        assert "已处理" in error.messages[0]
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("who", ["member", "other_buyer", "staff"])
def test_only_the_buyers_officers_may_decide(contract, member, who):
    """The organisation's own member, another buyer's officer and staff can neither accept
    nor return; nothing changes."""
    report = _submit(_first(contract), member)
    actor = {
        "member": lambda: member,
        "other_buyer": lambda: factories.BuyerMembershipFactory().user,
        "staff": factories.StaffFactory,
    }[who]()

    _refused(
        lambda: milestone_report_accept(report=report, by=actor),
        contract,
        exception=PermissionDenied,
    )
    _refused(
        lambda: milestone_report_return(report=report, by=actor, reason="材料不全"),
        contract,
        exception=PermissionDenied,
    )


def test_no_decision_once_the_contract_is_terminated(contract, member, officer):
    """A report still open when the contract was terminated can no longer be accepted."""
    report = _submit(_first(contract), member)
    Contract.objects.filter(pk=contract.pk).update(status=Contract.Status.TERMINATED)

    error = _refused(lambda: milestone_report_accept(report=report, by=officer), contract)

    assert _codes(error) == {"contract_not_active"}


# Returning --------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "  \n", None])
def test_return_needs_a_reason(contract, member, officer, reason):
    """Returning without a reason is refused on the reason field; nothing changes."""
    report = _submit(_first(contract), member)

    error = _refused(
        lambda: milestone_report_return(report=report, by=officer, reason=reason), contract
    )

    assert "reason" in error.error_dict


def test_return_then_resubmit_then_accept(
    contract, member, officer, django_capture_on_commit_callbacks
):
    """A returned report keeps its reason; the milestone is RETURNED and takes a new report,
    which can then be accepted; the organisation is told the reason."""
    milestone = _first(contract)
    first = _submit(milestone, member)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        milestone_report_return(report=first, by=officer, reason="  缺少服务对象签字确认表。 ")

    first.refresh_from_db()
    milestone.refresh_from_db()
    assert first.status == MilestoneReport.Status.RETURNED
    assert first.decision_reason == "缺少服务对象签字确认表。"
    assert milestone.status == Milestone.Status.RETURNED
    assert Payment.objects.count() == 0
    assert "缺少服务对象签字确认表" in mail.outbox[0].body
    assert mail.outbox[0].to == [member.email] or member.email in mail.outbox[0].to
    # The returned report cannot be decided again.
    assert _codes(
        _refused(lambda: milestone_report_accept(report=first, by=officer), contract)
    ) == {"already_decided"}

    second = _submit(milestone, member, narrative="已补充签字确认表。")
    milestone_report_accept(report=second, by=officer)

    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.ACCEPTED
    assert list(milestone.reports.values_list("status", flat=True)) == ["returned", "accepted"]
    assert Payment.objects.filter(milestone=milestone).count() == 1


# Overdue and due next ---------------------------------------------------------------


def test_overdue_and_due_next(contract, member):
    """A milestone past its due date and not accepted is overdue (while the contract is in
    force); due-next lists what the organisation must report on and what the buyer must
    accept, with overdue flags."""
    first, second, third = contract.milestones.order_by("position")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Milestone.objects.filter(pk=first.pk).update(due_on=yesterday)
    Milestone.objects.filter(pk=second.pk).update(due_on=yesterday)
    second.refresh_from_db()
    report = _submit(second, member)
    other = factories.ContractFactory(status=Contract.Status.DRAFT)
    Milestone.objects.filter(contract=other).update(due_on=yesterday)

    assert list(milestones_overdue()) == [first, second]

    for_org = due_next_for_organisation(contract.organisation)
    assert [m.pk for m in for_org.milestones] == [first.pk, third.pk]
    assert [m.is_overdue for m in for_org.milestones] == [True, False]
    assert [(r.pk, r.is_overdue) for r in for_org.reports] == [(report.pk, True)]
    assert for_org.overdue_count == 2

    for_buyer = due_next_for_buyer([contract.buyer])
    assert [r.pk for r in for_buyer.reports] == [report.pk]
    assert not due_next_for_buyer(other.buyer)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_accepts_accept_and_pay_once(postgres_only):
    """Two officers (or one double click) accept the same report at the same moment, each on
    its own connection: the milestone row lock lets one accept and create the payment, the
    other is refused with already_decided."""
    with transaction.atomic():  # the milestone sum is checked at commit
        contract = factories.ContractFactory(status=Contract.Status.ACTIVE, indicators=INDICATORS)
    member = factories.OrganisationMembershipFactory(organisation=contract.organisation).user
    officers = [factories.BuyerMembershipFactory(buyer=contract.buyer).user for _n in range(2)]
    report = _submit(_first(contract), member)
    barrier = threading.Barrier(2)
    outcomes = []

    def accept(officer):
        barrier.wait()
        try:
            milestone_report_accept(report=MilestoneReport.objects.get(pk=report.pk), by=officer)
            outcomes.append("accepted")
        except ValidationError as error:
            outcomes.append(error.code if hasattr(error, "code") else "error")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(officer,)) for officer in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["accepted", "already_decided"]
    assert Payment.objects.filter(milestone__contract=contract).count() == 1
    accepts = AuditEntry.objects.filter(
        action="transition",
        object_id=str(_first(contract).pk),
        to_status=Milestone.Status.ACCEPTED,
    )
    assert accepts.count() == 1
