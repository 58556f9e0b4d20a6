"""Staff queue of appeals against two-way evaluations in the Wagtail admin: staff only,
both evaluations and the reason shown, uphold or dismiss with a decision through the
service (audit log, exclusion from the aggregates), bad input changes nothing."""

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import AuditEntry, Rating, RatingAppeal, RatingRound
from tests import factories
from tests.conftest import give_totp

pytestmark = pytest.mark.django_db

INDEX = "rating_appeals:index"
CONTESTED = "被申诉的评语"
COUNTER = "对方的评语"
REASON = "评价与验收记录不符。"


def _appeal(reason=REASON):
    """An open appeal by the organisation's admin against the buyer's revealed evaluation."""
    rating_round = factories.RatingRoundFactory(
        status=RatingRound.Status.REVEALED, revealed_at=timezone.now()
    )
    contested = factories.RatingFactory(
        round=rating_round, side=Rating.Side.BUYER, scores={"quality": 1}
    )
    contested.scores.filter(dimension="quality").update(comment=CONTESTED)
    counter = factories.RatingFactory(round=rating_round, side=Rating.Side.ORGANISATION)
    counter.scores.update(comment=COUNTER)
    admin = factories.OrganisationMembershipFactory(
        organisation=rating_round.contract.organisation
    ).user
    return RatingAppeal.objects.create(rating=contested, filed_by=admin, reason=reason)


def _decide_url(appeal):
    return reverse("rating_appeals:decide", args=[appeal.pk])


@pytest.fixture
def staff_client(client, staff):
    give_totp(staff)
    client.force_login(staff)
    return client


@pytest.fixture(params=["org_admin", "officer", "expert"])
def outsider(request):
    if request.param == "org_admin":
        user = factories.OrganisationMembershipFactory().user
    elif request.param == "officer":
        user = factories.BuyerMembershipFactory().user
    else:
        user = factories.ExpertFactory().user
    give_totp(user)
    return user


def test_non_staff_are_turned_away_and_change_nothing(client, outsider):
    """Organisation admins, buyer officers and experts cannot see the queue or decide."""
    appeal = _appeal()
    client.force_login(outsider)

    for url in (reverse(INDEX), _decide_url(appeal)):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert not response.get("Location", "").startswith(url)
    client.post(_decide_url(appeal), {"uphold": "1", "decision": "成立"})

    appeal.refresh_from_db()
    assert appeal.status == RatingAppeal.Status.OPEN
    assert appeal.rating.excluded_at is None


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse(INDEX))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_queue_lists_open_appeals_with_constant_queries(
    staff_client, django_assert_max_num_queries
):
    """The queue lists open appeals (not decided ones) and its queries do not grow."""
    first = _appeal()
    decided = _appeal(reason="已处理的申诉")
    RatingAppeal.objects.filter(pk=decided.pk).update(status=RatingAppeal.Status.DISMISSED)

    with django_assert_max_num_queries(200) as few:
        response = staff_client.get(reverse(INDEX))
    content = response.content.decode()
    assert REASON in content
    assert "已处理的申诉" not in content
    assert _decide_url(first) in content

    for _index in range(5):
        _appeal()
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(reverse(INDEX))


def test_decide_page_shows_both_evaluations_and_the_reason(staff_client):
    appeal = _appeal()

    content = staff_client.get(_decide_url(appeal)).content.decode()

    assert CONTESTED in content
    assert COUNTER in content
    assert REASON in content


def test_staff_uphold_excludes_the_evaluation_and_is_audited(
    staff_client, staff, django_capture_on_commit_callbacks
):
    """Upholding sets the evaluation's exclusion, records the decision and the audit entry."""
    appeal = _appeal()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            _decide_url(appeal), {"uphold": "1", "decision": "验收记录显示已按期完成。"}
        )

    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == RatingAppeal.Status.UPHELD
    assert appeal.decided_by == staff
    assert appeal.rating.excluded_at is not None
    assert AuditEntry.objects.filter(to_status=RatingAppeal.Status.UPHELD).exists()


def test_staff_dismiss_keeps_the_evaluation(staff_client):
    appeal = _appeal()

    staff_client.post(_decide_url(appeal), {"uphold": "0", "decision": "评价有依据。"})

    appeal.refresh_from_db()
    assert appeal.status == RatingAppeal.Status.DISMISSED
    assert appeal.rating.excluded_at is None


@pytest.mark.parametrize(
    "data",
    [{"uphold": "1", "decision": ""}, {"uphold": "", "decision": "有理由"}, {}],
)
def test_bad_input_shows_an_error_and_changes_nothing(staff_client, data):
    """Missing decision text or result: the form comes back with an error; nothing changes."""
    appeal = _appeal()

    response = staff_client.post(_decide_url(appeal), data)

    assert response.status_code == 200
    assert response.context["form"].errors
    appeal.refresh_from_db()
    assert appeal.status == RatingAppeal.Status.OPEN
    assert appeal.rating.excluded_at is None
    assert not AuditEntry.objects.filter(to_status__in=["upheld", "dismissed"]).exists()


def test_deciding_twice_is_refused(staff_client):
    """A decided appeal cannot be decided again: an error, the first decision stands."""
    appeal = _appeal()
    staff_client.post(_decide_url(appeal), {"uphold": "0", "decision": "驳回。"})

    response = staff_client.post(_decide_url(appeal), {"uphold": "1", "decision": "改判。"})

    assert response.status_code == 200
    appeal.refresh_from_db()
    assert appeal.status == RatingAppeal.Status.DISMISSED
    assert appeal.rating.excluded_at is None
