"""Account protection: officers and staff must set up TOTP; failed logins are rate limited."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

MFA_MESSAGE = "购买主体经办人和平台工作人员必须先启用两步验证"
PASSWORD = "correct horse battery staple"  # UserFactory's password


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("officer", "/buyer/"),
        ("officer", "/admin/"),
        ("staff", "/buyer/"),
        ("staff", "/admin/"),
        ("staff", "/admin/pages/"),
    ],
)
def test_officers_and_staff_without_totp_are_sent_to_totp_setup(client, who, path, request):
    """A buyer officer or staff member without a TOTP authenticator who opens a buyer or staff
    page is redirected to allauth's TOTP setup page with an explanatory message."""
    client.force_login(request.getfixturevalue(who))

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert any(MFA_MESSAGE in message for message in _messages(response))


def test_officer_without_totp_cannot_post_buyer_actions(client, officer, organisation):
    """The MFA gate stops writes too: a delegation post is redirected and creates nothing."""
    from marketplace.models import Delegation

    buyer = officer.buyer_memberships.get().buyer
    client.force_login(officer)

    response = client.post(
        reverse("delegation_create", args=[buyer.pk]), {"operator": organisation.credit_code}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert not Delegation.objects.exists()


def test_officer_with_totp_reaches_the_buyer_workspace(client, officer, mfa):
    """With a TOTP authenticator, the officer's /buyer/ page renders (200) with their buyer."""
    mfa(officer)
    client.force_login(officer)

    response = client.get("/buyer/")

    assert response.status_code == 200
    assert officer.buyer_memberships.get().buyer.name in response.content.decode()


def test_staff_with_totp_reaches_the_admin(client, staff, mfa):
    """With a TOTP authenticator, staff get the Wagtail admin (200), not the setup page."""
    mfa(staff)
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == 200


def test_officer_without_totp_is_told_on_the_dashboard(client, officer):
    """Pages outside the gate still work; the dashboard tells the officer to set up MFA."""
    client.force_login(officer)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "必须先启用两步验证" in page
    assert reverse("mfa_activate_totp") in page


@pytest.mark.parametrize("path", ["/buyer/", "/admin/"])
def test_organisation_admin_is_not_forced_to_set_up_totp(client, org_admin, path):
    """An organisation admin (not officer, not staff) is never sent to the TOTP setup page: they
    simply lack access to buyer and staff pages."""
    client.force_login(org_admin)

    response = client.get(path)

    assert response.get("Location") != reverse("mfa_activate_totp")
    assert not any(MFA_MESSAGE in message for message in _messages(response))
    assert response.status_code in (302, 403)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "必须先启用两步验证" not in dashboard


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_correct_password_logs_in(client, user):
    """The control case: a verified user with the right password is signed in and redirected."""
    response = _login(client, user.email, PASSWORD)

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_repeated_failed_logins_are_rate_limited(client, user):
    """After five failed logins for one account, even the right password is refused with allauth's
    Chinese rate-limit message, and the user stays signed out; other accounts are unaffected."""
    for _attempt in range(5):
        response = _login(client, user.email, "wrong password")
        assert response.status_code == 200
        assert "您提供的电子邮件地址和/或密码不正确。" in response.content.decode()

    response = _login(client, user.email, PASSWORD)

    assert response.status_code == 200
    page = response.content.decode()
    assert "登录失败次数过多，请稍后重试。" in page
    assert "_auth_user_id" not in client.session

    other = factories.UserFactory()
    response = _login(client, other.email, PASSWORD)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(other.pk)
