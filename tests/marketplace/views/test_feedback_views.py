"""Residents' feedback pages: the 居民满意度 section of the public contract page, the form
residents use without an account (CSRF protected, throttled per client per day), and staff's
moderation queue in the Wagtail admin."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.models import AuditEntry, Contract, ResidentFeedback
from marketplace.services.feedback import resident_client_key
from tests import factories

pytestmark = pytest.mark.django_db

Status = ResidentFeedback.Status
ADDRESS = "203.0.113.77"
BROWSER = "Mozilla/5.0 (Linux; Android 14) 居民手机"


def signed_contract(status=Contract.Status.ACTIVE):
    contract = factories.ContractFactory(status=status)
    Contract.objects.filter(pk=contract.pk).update(signed_at=timezone.now())
    contract.refresh_from_db()
    return contract


@pytest.fixture
def contract():
    return signed_contract()


def public_url(contract):
    return reverse("contract_public", args=[contract.pk])


def form_url(contract):
    return reverse("contract_feedback", args=[contract.pk])


def post(client, contract, *, address=ADDRESS, browser=BROWSER, **data):
    return client.post(form_url(contract), data, REMOTE_ADDR=address, HTTP_USER_AGENT=browser)


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- The public page --------------------------------------------------------------------------


def test_public_page_shows_the_resident_figure_apart_with_approved_comments_only(client, contract):
    """Every score counts at once (4 residents, mean 3.5); only the approved comment shows;
    the page links to the form and carries no CSRF token (it stays cacheable)."""
    factories.ResidentFeedbackFactory(
        contract=contract, score=5, comment="已公开的留言", status=Status.APPROVED
    )
    factories.ResidentFeedbackFactory(contract=contract, score=4, comment="等待审核的留言")
    factories.ResidentFeedbackFactory(
        contract=contract, score=2, comment="未通过的留言", status=Status.REJECTED
    )
    factories.ResidentFeedbackFactory(contract=contract, score=3)

    response = client.get(public_url(contract))

    assert response.status_code == 200
    page = response.content.decode()
    assert "居民满意度" in page
    assert "3.5 分（满分5分），共 4 人评价" in page
    assert "已公开的留言" in page
    assert "等待审核的留言" not in page and "未通过的留言" not in page
    assert form_url(contract) in page
    assert "csrfmiddlewaretoken" not in page
    assert response.context["feedback_summary"].count == 4


def test_public_page_of_a_terminated_contract_offers_no_form(client):
    """A terminated contract still shows its figure but no way to rate it."""
    contract = signed_contract(Contract.Status.TERMINATED)

    page = client.get(public_url(contract)).content.decode()

    assert "居民满意度" in page and form_url(contract) not in page


def test_public_page_query_count_does_not_grow_with_feedback(client, contract):
    """One comment or a full page of them, with scores on every step: the same queries."""
    factories.ResidentFeedbackFactory(contract=contract, comment="一", status=Status.APPROVED)
    with CaptureQueriesContext(connection) as few:
        assert client.get(public_url(contract)).status_code == 200
    for score in range(1, 6):
        factories.ResidentFeedbackFactory.create_batch(
            5, contract=contract, score=score, comment="好", status=Status.APPROVED
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(public_url(contract))

    assert len(response.context["feedback_page"]) == 20
    assert len(many) == len(few)


def test_approved_comments_are_paginated(client, contract):
    factories.ResidentFeedbackFactory.create_batch(
        21, contract=contract, comment="好", status=Status.APPROVED
    )

    response = client.get(public_url(contract), {"page": 2})

    assert len(response.context["feedback_page"]) == 1
    assert "第 2 / 2 页，共 21 条" in response.content.decode()


# --- The form ---------------------------------------------------------------------------------


def test_the_form_has_score_radios_in_a_fieldset_and_an_optional_comment(client, contract):
    """Works without JS: five labelled radios under a legend, a textarea capped at 500."""
    page = client.get(form_url(contract)).content.decode()

    assert "<legend>满意度" in page
    assert len(re.findall(r'type="radio" name="score"', page)) == 5
    assert 'maxlength="500"' in page and "csrfmiddlewaretoken" in page


def test_anonymous_resident_rates_with_a_csrf_token(contract):
    """Without a token the post is refused (403); with it the score is stored and the
    resident goes back to the public page with a thank-you."""
    client = Client(enforce_csrf_checks=True)
    assert post(client, contract, score="4").status_code == 403
    assert not ResidentFeedback.objects.exists()

    client.get(form_url(contract))
    token = client.cookies["csrftoken"].value
    response = post(client, contract, score="4", comment="  很好 ", csrfmiddlewaretoken=token)

    assert response.status_code == 302
    assert response["Location"] == f"{public_url(contract)}#resident-feedback"
    assert "感谢您的评价" in message_texts(response)[0]
    feedback = ResidentFeedback.objects.get()
    assert (feedback.score, feedback.comment, feedback.status) == (4, "很好", Status.PENDING)


def test_the_raw_address_is_stored_nowhere(client, contract):
    """The row holds the keyed hash of address and browser, never the address itself."""
    post(client, contract, score="5", comment="谢谢")

    feedback = ResidentFeedback.objects.get()
    assert feedback.client_key == resident_client_key(address=ADDRESS, user_agent=BROWSER)
    row = ResidentFeedback.objects.filter(pk=feedback.pk).values().get()
    assert not any(ADDRESS in str(value) for value in row.values())
    assert not any(
        ADDRESS in str(value) for entry in AuditEntry.objects.values() for value in entry.values()
    )


def test_a_second_post_from_the_same_client_the_same_day_is_refused(client, contract):
    """The second post gets the error on the form and stores nothing; another address, or
    the same client whose earlier feedback was yesterday, is accepted."""
    assert post(client, contract, score="5").status_code == 302

    again = post(client, contract, score="1", comment="再来一次")

    assert again.status_code == 400
    assert "今天已经评价过" in again.content.decode()
    assert ResidentFeedback.objects.count() == 1

    assert post(client, contract, score="3", address="198.51.100.9").status_code == 302
    other = signed_contract()
    factories.ResidentFeedbackFactory(
        contract=other,
        client_key=resident_client_key(address=ADDRESS, user_agent=BROWSER),
        day=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert post(client, other, score="4").status_code == 302
    assert ResidentFeedback.objects.count() == 4


@pytest.mark.parametrize(
    ("proxies", "expected"),
    [(0, "10.0.0.2"), (1, "198.51.100.20"), (2, "203.0.113.5")],
)
def test_behind_trusted_proxies_the_client_is_the_forwarded_address(
    client, contract, settings, proxies, expected
):
    """With no trusted proxy X-Forwarded-For is ignored (anyone can send it); with N trusted
    proxies the Nth address from the right is the resident's."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    client.post(
        form_url(contract),
        {"score": "5"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5, 198.51.100.20",
        HTTP_USER_AGENT=BROWSER,
    )

    feedback = ResidentFeedback.objects.get()
    assert feedback.client_key == resident_client_key(address=expected, user_agent=BROWSER)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "请选择1至5分的满意度。"),
        ({"score": "6"}, "请选择1至5分的满意度。"),
        ({"score": "abc"}, "请选择1至5分的满意度。"),
        ({"score": "4", "comment": "长" * 501}, "留言不能超过500个字"),
    ],
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(client, contract, data, error):
    response = post(client, contract, **data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not ResidentFeedback.objects.exists()


def test_draft_contracts_are_404_and_terminated_ones_refuse(client):
    """A draft is not public (404); a terminated contract sends the resident back with a
    message and stores nothing."""
    draft = factories.ContractFactory()
    assert post(client, draft, score="5").status_code == 404

    terminated = signed_contract(Contract.Status.TERMINATED)
    response = post(client, terminated, score="5")

    assert response.status_code == 302
    assert "实施中或已完成" in message_texts(response)[0]
    assert not ResidentFeedback.objects.exists()


# --- Staff moderation queue -------------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff, mfa):
    mfa(staff)
    client.force_login(staff)
    return client


def queue_url(action="index", feedback=None):
    return reverse(f"resident_feedback:{action}", args=[feedback.pk] if feedback else [])


def test_staff_queue_lists_pending_comments_oldest_first(staff_client):
    """Only pending comments, oldest first, each with 公开 and 不予公开."""
    now = timezone.now()
    newer = factories.ResidentFeedbackFactory(comment="较新的留言")
    older = factories.ResidentFeedbackFactory(
        comment="较早的留言", created_at=now - datetime.timedelta(days=1)
    )
    factories.ResidentFeedbackFactory(comment="已经公开的留言", status=Status.APPROVED)

    response = staff_client.get(queue_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("较早的留言") < page.index("较新的留言")
    assert "已经公开的留言" not in page
    assert queue_url("approve", older) in page and queue_url("reject", newer) in page


def test_staff_queue_query_count_does_not_grow_with_rows(staff_client):
    factories.ResidentFeedbackFactory(comment="一")
    with CaptureQueriesContext(connection) as few:
        staff_client.get(queue_url())
    factories.ResidentFeedbackFactory.create_batch(10, comment="多")
    with CaptureQueriesContext(connection) as many:
        staff_client.get(queue_url())

    assert len(many) == len(few)


def test_staff_approve_from_the_queue(staff_client, staff):
    feedback = factories.ResidentFeedbackFactory(comment="请公开")

    response = staff_client.post(queue_url("approve", feedback))

    assert response.status_code == 302 and response["Location"] == queue_url()
    feedback.refresh_from_db()
    assert feedback.status == Status.APPROVED and feedback.moderated_by == staff


def test_staff_reject_with_a_reason(staff_client):
    """The form requires a reason; with one the comment is rejected and audited."""
    feedback = factories.ResidentFeedbackFactory(comment="含电话号码")
    assert "含电话号码" in staff_client.get(queue_url("reject", feedback)).content.decode()

    empty = staff_client.post(queue_url("reject", feedback), {"reason": ""})
    assert empty.status_code == 200 and "请填写不予公开的理由" in empty.content.decode()
    feedback.refresh_from_db()
    assert feedback.status == Status.PENDING

    response = staff_client.post(queue_url("reject", feedback), {"reason": "含个人信息"})

    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.status == Status.REJECTED
    assert AuditEntry.objects.get().reason == "含个人信息"


def test_non_staff_cannot_moderate(client, mfa):
    """An officer (with MFA) is turned away from the queue and the moves; nothing changes."""
    officer = factories.BuyerMembershipFactory().user
    mfa(officer)
    client.force_login(officer)
    feedback = factories.ResidentFeedbackFactory(comment="待审")

    for url in (queue_url(), queue_url("reject", feedback)):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert not response.get("Location", "").startswith(url)
    client.post(queue_url("approve", feedback))
    client.post(queue_url("reject", feedback), {"reason": "x"})

    feedback.refresh_from_db()
    assert feedback.status == Status.PENDING
    assert not AuditEntry.objects.exists()


def test_the_queue_offers_no_edit_or_delete(staff_client):
    """Residents' words are moderated, never edited or deleted: those pages do not exist."""
    feedback = factories.ResidentFeedbackFactory(comment="原话")

    for path in (f"edit/{feedback.pk}/", f"delete/{feedback.pk}/", "new/"):
        assert staff_client.get(f"{queue_url()}{path}").status_code == 404
