"""Emails that follow domain events. Connected in MarketplaceConfig.ready()."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace import events, tasks
from marketplace.models import Organisation, OrganisationMembership

ORGANISATION_SUBJECTS = {
    Organisation.Status.VERIFIED: gettext_lazy("“%(name)s”已通过平台认证"),
    Organisation.Status.REJECTED: gettext_lazy("“%(name)s”的登记未通过审核"),
    Organisation.Status.SUSPENDED: gettext_lazy("“%(name)s”已被暂停"),
}


def organisation_status_changed(sender, instance, to_status, reason, **kwargs):
    """Tell the organisation's admins about a verification decision, with the reason."""
    if to_status not in ORGANISATION_SUBJECTS:
        return
    admins = list(
        OrganisationMembership.objects.filter(
            organisation=instance, role=OrganisationMembership.Role.ADMIN
        ).values_list("user__email", flat=True)
    )
    if not admins:
        return
    # Sent in the platform's language: we do not know the admins' own choice.
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(ORGANISATION_SUBJECTS[to_status]) % {"name": instance.name}
        body = _("认证状态：%(status)s") % {"status": instance.get_status_display()}
        if reason:
            body += "\n" + _("理由：%(reason)s") % {"reason": reason}
        body += "\n\n" + _("查看组织资料：%(url)s") % {
            "url": settings.SITE_URL + instance.get_absolute_url()
        }
    tasks.send_email.enqueue(subject=subject, body=body, to=admins)


def connect():
    events.status_changed.connect(
        organisation_status_changed, sender=Organisation, dispatch_uid="organisation_status_mail"
    )
