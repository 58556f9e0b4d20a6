"""Organisation admins hear about verification decisions by email, after commit."""

from django.core import mail

from marketplace.models import Organisation
from marketplace.services.organisations import (
    organisation_reject,
    organisation_resubmit,
    organisation_verify,
)
from tests import factories


def _pending_with_admin():
    organisation = factories.OrganisationFactory(status=Organisation.Status.PENDING)
    admin = factories.OrganisationMembershipFactory(organisation=organisation).user
    factories.OrganisationMembershipFactory(organisation=organisation, role="member")
    return organisation, admin


def test_rejection_emails_the_admins_with_the_reason(staff, django_capture_on_commit_callbacks):
    """The admins (not plain members) get the decision and the reason, once committed."""
    organisation, admin = _pending_with_admin()

    with django_capture_on_commit_callbacks(execute=True):
        organisation_reject(organisation=organisation, by=staff, reason="登记证书副本不清晰")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [admin.email]
    assert organisation.name in message.subject
    assert "登记证书副本不清晰" in message.body
    assert organisation.get_absolute_url() in message.body


def test_no_email_before_commit(staff, django_capture_on_commit_callbacks):
    """A decision whose transaction has not committed sends nothing."""
    organisation, _admin = _pending_with_admin()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        organisation_verify(organisation=organisation, by=staff)

    assert mail.outbox == []
    # Other subscribers (search index, page caches) queue their own after-commit work too.
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1


def test_resubmission_sends_no_email(staff, django_capture_on_commit_callbacks):
    """Moving back to pending is the organisation's own act: nobody is emailed about it."""
    organisation, admin = _pending_with_admin()
    organisation_reject(organisation=organisation, by=staff, reason="材料不全")

    with django_capture_on_commit_callbacks(execute=True):
        organisation_resubmit(organisation=organisation, by=admin)

    assert mail.outbox == []
