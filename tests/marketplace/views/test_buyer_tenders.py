"""The buyer officer's tender pages: drafting through the form, publishing, amending,
cancelling, answering questions, opening bids, and keeping other buyers out."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from marketplace.forms.tenders import BEIJING
from marketplace.models import Category, Clarification, Tender, TenderOpening
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, officer, mfa):
    """The officer, with TOTP set up (required under /buyer/), logged in."""
    mfa(officer)
    client.force_login(officer)
    return client


def _local(value: datetime.datetime) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


def _rows(prefix, rows, *, initial=0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": initial}
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value is True:
                data[f"{prefix}-{index}-{key}"] = "on"
            elif value is not False:
                data[f"{prefix}-{index}-{key}"] = str(value)
    return data


def _form_data(*, criteria=None, milestones=None, prefilled=False, **fields) -> dict:
    """POST data of the tender form; `prefilled` when the formsets were rendered from the
    factory tender's 2 criteria and 3 milestones."""
    now = timezone.now().replace(second=0, microsecond=0)
    data = {
        "title": "姑苏区助餐服务项目",
        "description": "为辖区老人提供助餐服务。",
        "category": factories.category("0101").pk,
        "region": factories.county().pk,
        "budget_0": "300000.00",
        "budget_1": "CNY",
        "funding_source": "区级福彩公益金",
        "assistance_item": "",
        "method": Tender.Method.OPEN,
        "min_rating_level": "",
        "min_years_registered": "0",
        "invited": "",
        "contract_months": "12",
        "clarification_deadline": _local(now + datetime.timedelta(days=20)),
        "bid_deadline": _local(now + datetime.timedelta(days=25)),
        "opening_at": _local(now + datetime.timedelta(days=25, hours=1)),
    }
    data.update(fields)
    criteria = factories.criteria() if criteria is None else criteria
    milestones = factories.milestones() if milestones is None else milestones
    data.update(_rows("criteria", criteria, initial=2 if prefilled else 0))
    data.update(_rows("milestones", milestones, initial=3 if prefilled else 0))
    return data


def _pdf(name="招标文件.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 test document", content_type="application/pdf")


def _draft(buyer, **fields):
    return factories.TenderFactory(
        buyer=buyer, status=Tender.Status.DRAFT, version=0, published_at=None, **fields
    )


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def test_create_saves_a_draft_with_criteria_milestones_and_documents(signed_in, buyer):
    """A valid form creates a draft of the officer's buyer with its criteria, milestones,
    documents, the budget in CNY and the deadlines read as Beijing time."""
    data = _form_data(documents=[_pdf("招标文件.pdf"), _pdf("合同范本.pdf")])
    deadline = data["bid_deadline"]

    response = signed_in.post(reverse("buyer_tender_create", args=[buyer.pk]), data)

    tender = Tender.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("buyer_tender_detail", args=[tender.pk])
    assert tender.buyer == buyer
    assert tender.status == Tender.Status.DRAFT
    assert tender.budget == Money(Decimal("300000.00"), "CNY")
    assert tender.bid_deadline.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M") == deadline
    assert [(c.name, c.weight, c.is_price) for c in tender.criteria.all()] == [
        ("服务方案", 70, False),
        ("价格", 30, True),
    ]
    assert [m.percentage for m in tender.milestones.all()] == [30, 40, 30]
    assert sorted(d.title for d in tender.documents.all()) == ["合同范本.pdf", "招标文件.pdf"]


def test_create_resolves_invited_organisations_by_credit_code(signed_in, buyer):
    """Invited organisations are entered as credit codes, one per line; an unknown code is
    shown on the field and nothing is created."""
    organisations = factories.OrganisationFactory.create_batch(3)
    codes = "\n".join(o.credit_code for o in organisations)
    url = reverse("buyer_tender_create", args=[buyer.pk])

    unknown = signed_in.post(
        url, _form_data(method="invited", invited=codes + "\n91320000MA1XXXXX0X")
    )
    assert unknown.status_code == 200
    assert unknown.context["form"].errors["invited"]
    assert not Tender.objects.exists()

    signed_in.post(url, _form_data(method="invited", invited=codes))
    assert set(Tender.objects.get().invited.all()) == set(organisations)


def test_create_with_weights_not_summing_to_100_shows_the_error_and_saves_nothing(signed_in, buyer):
    """Criteria weights of 60 + 30 are refused above the criteria, and no tender is created."""
    criteria = [
        {"name": "服务方案", "weight": 60, "is_price": False},
        {"name": "价格", "weight": 30, "is_price": True},
    ]

    response = signed_in.post(
        reverse("buyer_tender_create", args=[buyer.pk]), _form_data(criteria=criteria)
    )

    assert response.status_code == 200
    assert "评分项权重合计须为100，当前为 90。" in response.context["criteria"].non_form_errors()
    assert "评分项权重合计须为100，当前为 90。" in response.content.decode()
    assert not Tender.objects.exists()


def test_create_in_a_prohibited_category_is_refused_with_the_reason(signed_in, buyer):
    """A category on the negative list can be chosen, and the service's refusal, with the
    negative-list item's reason, is shown on the category field."""
    category = Category.objects.filter(prohibited_item__isnull=False).first()

    response = signed_in.post(
        reverse("buyer_tender_create", args=[buyer.pk]), _form_data(category=category.pk)
    )

    assert response.status_code == 200
    [error] = response.context["form"].errors["category"]
    assert category.prohibited_item.name in error
    assert category.prohibited_item.reason in error
    assert not Tender.objects.exists()


def test_edit_changes_a_draft(signed_in, buyer):
    """Editing a draft through the prefilled form saves the changes and the new criteria."""
    tender = _draft(buyer)
    url = reverse("buyer_tender_edit", args=[tender.pk])
    assert signed_in.get(url).context["form"].initial["title"] == tender.title
    criteria = factories.criteria(price_weight=40)

    response = signed_in.post(url, _form_data(title="新的名称", criteria=criteria, prefilled=True))

    assert response.status_code == 302
    tender.refresh_from_db()
    assert tender.title == "新的名称"
    assert [c.weight for c in tender.criteria.all()] == [60, 40]


def test_publish_with_too_early_deadline_shows_the_earliest_date(signed_in, buyer):
    """Publishing an open tender 5 days before its deadline is refused with a message
    naming the earliest allowed deadline (20 days out); the tender stays a draft."""
    now = timezone.now()
    tender = _draft(
        buyer,
        clarification_deadline=now + datetime.timedelta(days=4),
        bid_deadline=now + datetime.timedelta(days=5),
    )

    response = signed_in.post(reverse("buyer_tender_publish", args=[tender.pk]), follow=True)

    earliest = {
        timezone.localtime(moment + datetime.timedelta(days=20)).strftime("%Y-%m-%d")
        for moment in (now, timezone.now())
    }
    text = _messages(response)
    assert "投标截止时间最早可设为" in text
    assert any(day in text for day in earliest)
    tender.refresh_from_db()
    assert tender.status == Tender.Status.DRAFT
    assert tender.version == 0


def test_publish_a_valid_draft(signed_in, buyer):
    """A draft with a long enough period is published as version 1."""
    tender = _draft(buyer)

    signed_in.post(reverse("buyer_tender_publish", args=[tender.pk]))

    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED
    assert tender.version == 1


def _amend_data(tender, **fields):
    data = _form_data(
        title=tender.title,
        description=tender.description,
        note="预算调整",
        bid_deadline=_local(tender.bid_deadline),
        clarification_deadline=_local(tender.clarification_deadline),
        opening_at=_local(tender.opening_at),
        prefilled=True,
    )
    data.pop("method")  # disabled: the method cannot change
    data.update(fields)
    return data


def test_amend_creates_version_2_and_asks_bidders_to_reconfirm(signed_in, buyer):
    """An amendment through the prefilled page publishes version 2 with its note and marks
    every live bid for re-confirmation."""
    tender = factories.TenderFactory(buyer=buyer)
    bid = factories.BidFactory(tender=tender)
    url = reverse("buyer_tender_amend", args=[tender.pk])
    form = signed_in.get(url).context["form"]
    assert form.initial["title"] == tender.title
    assert form.fields["method"].disabled

    response = signed_in.post(url, _amend_data(tender, budget_0="320000.00"))

    assert response.status_code == 302
    tender.refresh_from_db()
    bid.refresh_from_db()
    assert tender.version == 2
    assert tender.budget == Money(Decimal("320000.00"), "CNY")
    assert tender.versions.get(number=2).note == "预算调整"
    assert bid.needs_reconfirmation


def test_amend_requirements_without_moving_the_deadline_shows_the_earliest_date(signed_in, buyer):
    """Changing a requirement 10 days before the deadline is refused on the deadline field
    with the earliest allowed date, and nothing changes."""
    now = timezone.now()
    tender = factories.TenderFactory(
        buyer=buyer,
        clarification_deadline=now + datetime.timedelta(days=9),
        bid_deadline=now + datetime.timedelta(days=10),
    )
    url = reverse("buyer_tender_amend", args=[tender.pk])

    response = signed_in.post(url, _amend_data(tender, budget_0="320000.00"))

    assert response.status_code == 200
    [error] = response.context["form"].errors["bid_deadline"]
    assert "投标截止时间最早可设为" in error
    tender.refresh_from_db()
    assert tender.version == 1
    assert tender.budget == Money(Decimal("300000.00"), "CNY")


def test_amend_needs_a_note(signed_in, buyer):
    """An amendment without a 变更说明 is refused on the note field."""
    tender = factories.TenderFactory(buyer=buyer)

    response = signed_in.post(
        reverse("buyer_tender_amend", args=[tender.pk]), _amend_data(tender, note="")
    )

    assert response.context["form"].errors["note"]
    tender.refresh_from_db()
    assert tender.version == 1


def test_cancel_needs_a_reason_and_shows_it(signed_in, buyer):
    """Cancelling without a reason changes nothing; with one the tender is cancelled and
    the reason shown on its page."""
    tender = factories.TenderFactory(buyer=buyer)
    url = reverse("buyer_tender_cancel", args=[tender.pk])

    signed_in.post(url, {"reason": ""})
    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED

    response = signed_in.post(url, {"reason": "上级部门调整预算安排"}, follow=True)
    tender.refresh_from_db()
    assert tender.status == Tender.Status.CANCELLED
    assert "上级部门调整预算安排" in response.content.decode()


def test_a_tender_in_evaluation_may_be_declared_failed_with_a_public_reason(signed_in, buyer):
    """Once the bids are opened the officer may end the tender as failed (流标) instead of
    cancelled: the form offers the choice, a reason is required, and the reason is public.
    A published tender is not offered it, and a forged request to fail it changes nothing."""
    tender = factories.TenderFactory(
        buyer=buyer,
        status=Tender.Status.EVALUATING,
        clarification_deadline=timezone.now() - datetime.timedelta(days=3),
        bid_deadline=timezone.now() - datetime.timedelta(days=2),
    )
    detail = signed_in.get(reverse("buyer_tender_detail", args=[tender.pk])).content.decode()
    assert 'name="outcome"' in detail
    url = reverse("buyer_tender_cancel", args=[tender.pk])

    signed_in.post(url, {"outcome": "failed", "reason": ""})
    tender.refresh_from_db()
    assert tender.status == Tender.Status.EVALUATING

    signed_in.post(url, {"outcome": "failed", "reason": "三家投标均被评审小组认定为无效投标。"})
    tender.refresh_from_db()
    assert tender.status == Tender.Status.FAILED
    page = signed_in.get(tender.get_absolute_url()).content.decode()
    assert "三家投标均被评审小组认定为无效投标。" in page

    published = factories.TenderFactory(buyer=buyer)
    page = signed_in.get(reverse("buyer_tender_detail", args=[published.pk])).content.decode()
    assert 'name="outcome"' not in page
    signed_in.post(
        reverse("buyer_tender_cancel", args=[published.pk]),
        {"outcome": "failed", "reason": "试图流标"},
    )
    published.refresh_from_db()
    assert published.status == Tender.Status.PUBLISHED


def test_answer_a_question(signed_in, buyer):
    """Unanswered questions come first, each with an answer form; posting an answer
    publishes it."""
    tender = factories.TenderFactory(buyer=buyer)
    factories.ClarificationFactory(tender=tender, answer="已答", answered_at=timezone.now())
    question = factories.ClarificationFactory(tender=tender)
    detail = signed_in.get(reverse("buyer_tender_detail", args=[tender.pk]))
    [(first, form), (_answered, no_form)] = detail.context["questions"]
    assert first == question and form is not None and no_form is None
    assert reverse("clarification_answer", args=[question.pk]) in detail.content.decode()

    response = signed_in.post(
        reverse("clarification_answer", args=[question.pk]),
        {"answer": "名单由街道提供。"},
        follow=True,
    )

    question.refresh_from_db()
    assert question.answer == "名单由街道提供。"
    assert question.answered_by is not None
    assert "名单由街道提供。" in response.content.decode()


def test_open_before_the_deadline_is_refused(signed_in, buyer):
    """Opening before the bid deadline shows why and records nothing."""
    tender = factories.TenderFactory(buyer=buyer)

    response = signed_in.post(reverse("buyer_tender_open", args=[tender.pk]), follow=True)

    assert "投标截止前不能开标" in _messages(response)
    assert not TenderOpening.objects.exists()


def test_open_after_the_deadline_shows_the_bids(signed_in, buyer):
    """Bids are sealed on the detail page until opening; opening after the deadline lists
    every live bid with its organisation and amount."""
    now = timezone.now()
    tender = factories.TenderFactory(buyer=buyer)
    bids = [
        factories.BidFactory(tender=tender, submitted_at=now - datetime.timedelta(days=2))
        for _ in range(3)
    ]
    Tender.objects.filter(pk=tender.pk).update(
        clarification_deadline=now - datetime.timedelta(days=3),
        bid_deadline=now - datetime.timedelta(days=1),
        opening_at=now - datetime.timedelta(hours=1),
    )
    detail = reverse("buyer_tender_detail", args=[tender.pk])
    sealed = signed_in.get(detail).content.decode()
    assert bids[0].organisation.name not in sealed

    response = signed_in.post(reverse("buyer_tender_open", args=[tender.pk]), follow=True)

    tender.refresh_from_db()
    assert tender.status == Tender.Status.OPENED
    assert len(TenderOpening.objects.get(tender=tender).record) == 3
    page = response.content.decode()
    for bid in bids:
        assert bid.organisation.name in page
    assert "¥280,000.00" in page


def _other_officer_client(client, mfa):
    outsider = factories.BuyerMembershipFactory().user
    mfa(outsider)
    client.force_login(outsider)
    return client


@pytest.mark.parametrize(
    ("name", "method", "data"),
    [
        ("buyer_tender_detail", "get", None),
        ("buyer_tender_edit", "get", None),
        ("buyer_tender_edit", "post", {"title": "x"}),
        ("buyer_tender_amend", "get", None),
        ("buyer_tender_amend", "post", {"note": "x"}),
        ("buyer_tender_publish", "post", None),
        ("buyer_tender_cancel", "post", {"reason": "x"}),
        ("buyer_tender_open", "post", None),
    ],
)
def test_another_buyers_officer_cannot_reach_a_tender(client, mfa, buyer, name, method, data):
    """An officer of a different buyer gets 404 on every page and action of the tender,
    and nothing changes."""
    tender = _draft(buyer)
    _other_officer_client(client, mfa)

    response = getattr(client, method)(reverse(name, args=[tender.pk]), data)

    assert response.status_code == 404
    tender.refresh_from_db()
    assert tender.status == Tender.Status.DRAFT
    assert tender.title != "x"


def test_another_buyers_officer_cannot_create_answer_or_list(client, mfa, buyer):
    """Creating for a buyer one is not an officer of is forbidden, answering another
    buyer's question is 404, and the list shows only one's own buyers' tenders."""
    tender = factories.TenderFactory(buyer=buyer)
    question = factories.ClarificationFactory(tender=tender)
    _other_officer_client(client, mfa)

    create = client.post(reverse("buyer_tender_create", args=[buyer.pk]), _form_data())
    answer = client.post(reverse("clarification_answer", args=[question.pk]), {"answer": "x"})
    listing = client.get(reverse("buyer_tender_list"))

    assert create.status_code == 403
    assert answer.status_code == 404
    assert tender.title not in listing.content.decode()
    assert not Tender.objects.exclude(pk=tender.pk).exists()
    assert Clarification.objects.get().answered_at is None


def test_list_requires_being_an_officer(client, user):
    """A signed-in user who is no buyer's officer may not see the tender list."""
    client.force_login(user)

    assert client.get(reverse("buyer_tender_list")).status_code == 403


def test_list_filters_by_status(signed_in, buyer):
    """?status=draft lists only drafts."""
    draft = _draft(buyer)
    factories.TenderFactory(buyer=buyer)

    response = signed_in.get(reverse("buyer_tender_list"), {"status": "draft"})

    assert list(response.context["page"]) == [draft]


def _make_tenders(buyer, count):
    for _ in range(count):
        tender = factories.TenderFactory(buyer=buyer)
        factories.ClarificationFactory(tender=tender)


def _list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("buyer_tender_list"))
    assert response.status_code == 200
    return len(queries), response


def test_list_query_count_does_not_grow_with_tenders(signed_in, buyer):
    """The list costs the same number of queries for 2 and 12 tenders, and shows each
    tender's unanswered questions and bid deadline."""
    _make_tenders(buyer, 2)
    few, _ = _list_queries(signed_in)

    _make_tenders(buyer, 10)
    many, response = _list_queries(signed_in)

    assert many == few
    assert len(response.context["page"]) == 12
    assert all(tender.unanswered == 1 for tender in response.context["page"])
    tender = response.context["page"][0]
    assert tender.bid_deadline.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") in (
        response.content.decode()
    )
