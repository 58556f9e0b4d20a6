"""Platform staff's Wagtail admin for organisations and buyers: staff only, behind MFA, and
every change goes through a service that writes the audit log."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from marketplace.models import AuditEntry, Buyer, Invitation, Organisation
from marketplace.selectors.audit import audit_list_for
from marketplace.services.organisations import (
    organisation_record_official_data,
    organisation_reject,
)
from marketplace.validators import credit_code_make
from tests import factories

Status = Organisation.Status


@pytest.fixture
def staff_client(client, staff, mfa):
    mfa(staff)
    client.force_login(staff)
    return client


@pytest.fixture
def pending_organisation(db):
    return factories.OrganisationFactory(status=Status.PENDING)


def org_url(action, organisation):
    return reverse(f"organisations:{action}", args=[organisation.pk])


def buyer_url(action, buyer=None):
    return reverse(f"buyers:{action}", args=[buyer.pk] if buyer else [])


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def buyer_form_data(**overrides):
    data = {
        "name": "苏州市姑苏区民政局",
        "credit_code": credit_code_make("11", "320508", 9001),
        "level": Buyer.Level.COUNTY,
        "region": str(factories.county().pk),
        "parent": "",
        "address": "苏州市姑苏区三香路",
        "contact_phone": "0512-68000000",
        "description": "",
    }
    data.update(overrides)
    return data


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_without_mfa_is_sent_to_mfa_setup(client, staff):
    """Staff who have not set up TOTP are redirected to the MFA setup page, not the admin."""
    client.force_login(staff)

    response = client.get(reverse("organisations:index"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.fixture(params=["org_admin", "officer", "editor"])
def outsider(request, mfa):
    """Non-staff people, each with MFA: an organisation admin, a buyer officer, and a CMS
    editor who may enter the Wagtail admin but is not platform staff."""
    if request.param == "org_admin":
        user = factories.OrganisationMembershipFactory().user
    elif request.param == "officer":
        user = factories.BuyerMembershipFactory().user
    else:
        user = factories.UserFactory()
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    mfa(user)
    return user


@pytest.mark.django_db
def test_non_staff_are_turned_away_from_every_admin_view(client, outsider, pending_organisation):
    """Non-staff get a redirect (to the login or the admin home) from listing, inspect, edit,
    action and buyer pages, and their POSTs change nothing."""
    buyer = factories.BuyerFactory()
    client.force_login(outsider)
    urls = [
        reverse("organisations:index"),
        org_url("inspect", pending_organisation),
        org_url("edit", pending_organisation),
        org_url("reject", pending_organisation),
        reverse("buyers:index"),
        buyer_url("add"),
        buyer_url("inspect", buyer),
        buyer_url("edit", buyer),
        buyer_url("invite", buyer),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert not response.get("Location", "").startswith(url), url

    client.post(org_url("verify", pending_organisation))
    client.post(org_url("reject", pending_organisation), {"reason": "不符合条件"})
    client.post(buyer_url("add"), buyer_form_data())
    client.post(buyer_url("invite", buyer), {"email": "new@example.cn"})

    pending_organisation.refresh_from_db()
    assert pending_organisation.status == Status.PENDING
    assert not Buyer.objects.filter(name="苏州市姑苏区民政局").exists()
    assert not Invitation.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_menu_shows_the_marketplace_group_to_staff(staff_client):
    """Staff see a "政社通" menu group with organisations and buyers."""
    response = staff_client.get(reverse("wagtailadmin_home"))

    content = response.content.decode()
    assert "政社通" in content
    assert reverse("organisations:index") in content
    assert reverse("buyers:index") in content


# --- Organisations: listing and inspect -----------------------------------------------------


@pytest.mark.django_db
def test_staff_list_organisations_with_filters_and_search(staff_client, pending_organisation):
    """The listing shows name, credit code, status; filters by status and searches by code."""
    verified = factories.OrganisationFactory(name="已认证的机构")

    response = staff_client.get(reverse("organisations:index"))
    assert response.status_code == 200
    content = response.content.decode()
    assert pending_organisation.name in content
    assert pending_organisation.credit_code in content
    assert "待审核" in content

    response = staff_client.get(reverse("organisations:index"), {"status": Status.PENDING})
    assert pending_organisation.name in response.content.decode()
    assert verified.name not in response.content.decode()

    response = staff_client.get(reverse("organisations:index"), {"q": verified.credit_code})
    assert verified.name in response.content.decode()
    assert pending_organisation.name not in response.content.decode()


@pytest.mark.django_db
def test_listing_query_count_does_not_grow_with_rows(staff_client, django_assert_max_num_queries):
    """Ten organisations or buyers cost no more queries than one."""
    factories.OrganisationFactory()
    factories.BuyerFactory()
    with django_assert_max_num_queries(100) as few:
        staff_client.get(reverse("organisations:index"))
        staff_client.get(reverse("buyers:index"))
    baseline = len(few.captured_queries)
    for _ in range(9):
        factories.OrganisationFactory()
        factories.BuyerFactory(parent=Buyer.objects.first())
    with django_assert_max_num_queries(baseline):
        staff_client.get(reverse("organisations:index"))
        staff_client.get(reverse("buyers:index"))


@pytest.mark.django_db
def test_listing_offers_only_the_moves_the_workflow_allows(staff_client, pending_organisation):
    """A pending organisation offers 认证通过 and 驳回; a verified one offers 暂停 only."""
    verified = factories.OrganisationFactory()

    content = staff_client.get(reverse("organisations:index")).content.decode()

    assert org_url("verify", pending_organisation) in content
    assert org_url("reject", pending_organisation) in content
    assert org_url("suspend", pending_organisation) not in content
    assert org_url("suspend", verified) in content
    assert org_url("verify", verified) not in content
    assert org_url("reinstate", verified) not in content
    assert "添加" not in content  # organisations register themselves


@pytest.mark.django_db
def test_inspect_shows_fields_and_the_audit_trail(staff_client, staff, pending_organisation):
    """The inspect page shows the organisation's data and its audit trail: who, what, the
    status change and the reason."""
    organisation_reject(organisation=pending_organisation, by=staff, reason="登记证书已过期")

    response = staff_client.get(org_url("inspect", pending_organisation))

    content = response.content.decode()
    assert response.status_code == 200
    assert pending_organisation.credit_code in content
    assert pending_organisation.registration_authority in content
    assert "审计记录" in content
    assert "登记证书已过期" in content
    assert "待审核 → 已驳回" in content
    assert str(staff) in content


@pytest.mark.django_db
def test_inspect_shows_times_in_local_time(staff_client):
    """Registration time is shown in Asia/Shanghai time, not UTC."""
    registered = datetime.datetime(2024, 1, 1, 20, 0, tzinfo=datetime.UTC)
    organisation = factories.OrganisationFactory(created_at=registered)

    content = staff_client.get(org_url("inspect", organisation)).content.decode()

    assert "2024年1月2日 04:00" in content


@pytest.mark.django_db
def test_no_add_or_delete_for_organisations(staff_client, pending_organisation):
    """Organisations cannot be added or deleted from the admin."""
    add = staff_client.post(reverse("organisations:add"), {})
    delete = staff_client.post(org_url("delete", pending_organisation))

    assert add.status_code == 302
    assert delete.status_code == 302
    assert Organisation.objects.filter(pk=pending_organisation.pk).exists()


# --- Organisations: workflow actions --------------------------------------------------------


@pytest.mark.django_db
def test_verify_changes_status_and_audits_the_actor(staff_client, staff, pending_organisation):
    """POST 认证通过 verifies the organisation, records the staff member in the audit log, shows
    a success message and goes back to where the staff member came from."""
    next_url = reverse("organisations:index")

    response = staff_client.post(org_url("verify", pending_organisation), {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == next_url
    pending_organisation.refresh_from_db()
    assert pending_organisation.status == Status.VERIFIED
    entry = audit_list_for(pending_organisation).get()
    assert (entry.actor, entry.from_status, entry.to_status) == (staff, "pending", "verified")
    assert any("已认证通过" in text for text in message_texts(response))


@pytest.mark.django_db
def test_verify_is_post_only(staff_client, pending_organisation):
    """GET on a move without a reason is refused (405) and changes nothing."""
    response = staff_client.get(org_url("verify", pending_organisation))

    assert response.status_code == 405
    pending_organisation.refresh_from_db()
    assert pending_organisation.status == Status.PENDING


@pytest.mark.django_db
def test_verify_a_verified_organisation_is_refused_with_a_message(staff_client, organisation):
    """A move the workflow does not allow from the current status is refused with the
    service's message, and nothing changes."""
    response = staff_client.post(org_url("verify", organisation))

    assert response.status_code == 302
    assert response["Location"] == org_url("inspect", organisation)
    assert any("不能从“已认证”变更为“已认证”" in text for text in message_texts(response))
    organisation.refresh_from_db()
    assert organisation.status == Status.VERIFIED
    assert not audit_list_for(organisation).exists()


@pytest.mark.django_db
def test_reject_form_is_shown_on_get(staff_client, pending_organisation):
    """GET on 驳回 shows a Wagtail admin form asking for the reason."""
    response = staff_client.get(org_url("reject", pending_organisation))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="reason"' in content
    assert "待审核" in content
    assert "wagtailadmin" in content  # the admin's page furniture


@pytest.mark.django_db
def test_reject_without_reason_shows_an_error_and_changes_nothing(
    staff_client, pending_organisation
):
    """An empty (or blank) reason re-shows the form with an error; the status stays."""
    response = staff_client.post(org_url("reject", pending_organisation), {"reason": "   "})

    assert response.status_code == 200
    assert "请填写理由" in response.content.decode()
    pending_organisation.refresh_from_db()
    assert pending_organisation.status == Status.PENDING
    assert not audit_list_for(pending_organisation).exists()


@pytest.mark.django_db
def test_reject_with_reason_rejects_and_records_the_reason(
    staff_client, staff, pending_organisation
):
    """驳回 with a reason rejects the organisation and keeps the reason in the audit log."""
    response = staff_client.post(
        org_url("reject", pending_organisation), {"reason": "登记证书照片不清晰"}
    )

    assert response.status_code == 302
    assert response["Location"] == org_url("inspect", pending_organisation)
    pending_organisation.refresh_from_db()
    assert pending_organisation.status == Status.REJECTED
    entry = audit_list_for(pending_organisation).get()
    assert (entry.actor, entry.reason) == (staff, "登记证书照片不清晰")


@pytest.mark.django_db
def test_reject_a_verified_organisation_shows_the_service_error(staff_client, organisation):
    """A reason form posted for a move the workflow refuses shows the refusal on the form."""
    response = staff_client.post(org_url("reject", organisation), {"reason": "理由"})

    assert response.status_code == 200
    assert "不能从“已认证”变更为“已驳回”" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.status == Status.VERIFIED


@pytest.mark.django_db
def test_suspend_with_reason_then_reinstate(staff_client, organisation):
    """暂停 needs a reason and takes the organisation off the market; 恢复 brings it back."""
    staff_client.post(org_url("suspend", organisation), {"reason": "已被注销登记"})
    organisation.refresh_from_db()
    assert organisation.status == Status.SUSPENDED

    content = staff_client.get(org_url("inspect", organisation)).content.decode()
    assert org_url("reinstate", organisation) in content
    assert "已被注销登记" in content

    staff_client.post(org_url("reinstate", organisation))
    organisation.refresh_from_db()
    assert organisation.status == Status.VERIFIED
    assert [e.to_status for e in audit_list_for(organisation)] == ["suspended", "verified"]


# --- Organisations: official data -----------------------------------------------------------


@pytest.mark.django_db
def test_official_data_edit_saves_through_the_service_and_audits(staff_client, staff, organisation):
    """Editing rating level, evaluation date and credit status records old and new values."""
    evaluated = timezone.localdate() - datetime.timedelta(days=30)

    response = staff_client.post(
        org_url("edit", organisation),
        {
            "rating_level": "4",
            "rating_evaluated_on": evaluated.isoformat(),
            "credit_status": Organisation.CreditStatus.ABNORMAL,
        },
    )

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.rating_level == 4
    assert organisation.rating_evaluated_on == evaluated
    assert organisation.credit_status == Organisation.CreditStatus.ABNORMAL
    entry = audit_list_for(organisation).get()
    assert entry.action == "official_data"
    assert entry.actor == staff
    assert entry.data == {
        "rating_level": {"from": None, "to": 4},
        "rating_evaluated_on": {"from": None, "to": evaluated.isoformat()},
        "credit_status": {"from": "normal", "to": "abnormal"},
    }
    content = staff_client.get(org_url("inspect", organisation)).content.decode()
    assert "评估等级：— → 4A" in content


@pytest.mark.django_db
def test_official_data_edit_rejects_a_future_date(staff_client, organisation):
    """An evaluation date in the future is shown as an error on the field; nothing changes."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = staff_client.post(
        org_url("edit", organisation),
        {
            "rating_level": "3",
            "rating_evaluated_on": tomorrow.isoformat(),
            "credit_status": Organisation.CreditStatus.NORMAL,
        },
    )

    assert response.status_code == 200
    assert "评估日期不能晚于今天" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.rating_level is None
    assert not audit_list_for(organisation).exists()


@pytest.mark.django_db
def test_official_data_edit_needs_a_date_with_a_rating(staff_client, organisation):
    """A rating level without its evaluation date is refused with a Chinese message."""
    response = staff_client.post(
        org_url("edit", organisation),
        {"rating_level": "5", "rating_evaluated_on": "", "credit_status": "normal"},
    )

    assert response.status_code == 200
    assert "填写评估等级时必须填写评估日期" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.rating_level is None


@pytest.mark.django_db
def test_official_data_service_is_for_staff_only(organisation, org_admin):
    """Organisation admins cannot set their own rating; nothing changes."""
    with pytest.raises(PermissionDenied):
        organisation_record_official_data(
            organisation=organisation,
            by=org_admin,
            rating_level=5,
            rating_evaluated_on=datetime.date(2024, 1, 1),
            credit_status="normal",
        )

    organisation.refresh_from_db()
    assert organisation.rating_level is None
    assert not audit_list_for(organisation).exists()


@pytest.mark.django_db
def test_official_data_service_without_changes_writes_nothing(organisation, staff):
    """Saving the same values again leaves no audit entry."""
    organisation_record_official_data(
        organisation=organisation,
        by=staff,
        rating_level=None,
        rating_evaluated_on=None,
        credit_status=organisation.credit_status,
    )

    assert not audit_list_for(organisation).exists()


# --- Buyers ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_buyer_create_with_a_non_government_credit_code_shows_the_error(staff_client):
    """A credit code of a social organisation (52…) is refused on the field; no buyer."""
    data = buyer_form_data(credit_code=credit_code_make("52", "320508", 9002))

    response = staff_client.post(buyer_url("add"), data)

    assert response.status_code == 200
    assert "以“1”开头" in response.content.decode()
    assert not Buyer.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_buyer_create_saves_through_the_service_and_audits(staff_client, staff):
    """A valid buyer is created, audited as "create" by the staff member, and its inspect
    page opens next."""
    response = staff_client.post(buyer_url("add"), buyer_form_data())

    buyer = Buyer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == buyer_url("inspect", buyer)
    assert buyer.name == "苏州市姑苏区民政局"
    entry = audit_list_for(buyer).get()
    assert (entry.action, entry.actor) == ("create", staff)


@pytest.mark.django_db
def test_buyer_edit_saves_through_the_service_and_audits(staff_client, buyer):
    """Editing a buyer records which fields changed."""
    data = buyer_form_data(
        name=buyer.name,
        credit_code=buyer.credit_code,
        level=buyer.level,
        address="新地址",
    )

    response = staff_client.post(buyer_url("edit", buyer), data)

    assert response.status_code == 302
    buyer.refresh_from_db()
    assert buyer.address == "新地址"
    entry = audit_list_for(buyer).get()
    assert entry.action == "update"
    assert "address" in entry.data["fields"]


@pytest.mark.django_db
def test_buyer_edit_refuses_a_parent_cycle(staff_client, buyer):
    """A buyer cannot be placed under its own child; the error shows, nothing changes."""
    child = factories.BuyerFactory(parent=buyer)
    data = buyer_form_data(
        name=buyer.name, credit_code=buyer.credit_code, level=buyer.level, parent=str(child.pk)
    )

    response = staff_client.post(buyer_url("edit", buyer), data)

    assert response.status_code == 200
    assert "上级单位不能是本单位或其下级" in response.content.decode()
    buyer.refresh_from_db()
    assert buyer.parent is None


@pytest.mark.django_db
def test_staff_list_and_search_buyers(staff_client, buyer):
    """The buyer listing shows name, level and region, and filters by level."""
    county_buyer = factories.BuyerFactory(name="某区民政局", level=Buyer.Level.COUNTY)

    response = staff_client.get(reverse("buyers:index"), {"level": Buyer.Level.STREET})

    content = response.content.decode()
    assert buyer.name in content
    assert buyer.region.name in content
    assert county_buyer.name not in content
    response = staff_client.get(reverse("buyers:index"), {"q": "民政局"})
    assert county_buyer.name in response.content.decode()


@pytest.mark.django_db
def test_invite_officer_sends_email_and_creates_invitation(
    staff_client, buyer, django_capture_on_commit_callbacks
):
    """邀请经办人 emails an invitation link (after commit) and records the invitation and an
    audit entry."""
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(buyer_url("invite", buyer), {"email": "Officer@Example.cn"})

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.buyer, invitation.role) == (
        "officer@example.cn",
        buyer,
        Invitation.Role.BUYER_OFFICER,
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["officer@example.cn"]
    assert f"http://testserver/invitations/{invitation.token}/" in mail.outbox[0].body
    assert audit_list_for(buyer).get().action == "invite"


@pytest.mark.django_db
def test_invite_an_existing_officer_shows_the_error(staff_client, officer, buyer):
    """Inviting someone who is already an officer is refused on the email field."""
    response = staff_client.post(buyer_url("invite", buyer), {"email": officer.email})

    assert response.status_code == 200
    assert "已经是成员" in response.content.decode()
    assert not Invitation.objects.exists()
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_buyer_inspect_lists_officers_and_the_audit_trail(staff_client, officer, buyer):
    """The buyer's inspect page lists its officers and its audit trail."""
    staff_client.post(buyer_url("invite", buyer), {"email": "second@example.cn"})

    response = staff_client.get(buyer_url("inspect", buyer))

    content = response.content.decode()
    assert officer.email in content
    assert "审计记录" in content
    assert "second@example.cn（购买主体经办人）" in content
