import io
from collections import Counter

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from marketplace.data import (
    community_lists,
    demo,
    demo_contracts,
    demo_evaluations,
    demo_feedback,
    demo_ratings,
    demo_tenders,
)
from marketplace.demo import FINAL_STATUS, demo_officers
from marketplace.management.commands._seed_tenders import OPENED_STATUSES
from marketplace.models import (
    AuditEntry,
    Award,
    Bid,
    Buyer,
    BuyerMembership,
    Clarification,
    CommunityListItem,
    Contract,
    Delegation,
    Expert,
    LedgerEntry,
    Milestone,
    MilestoneReport,
    Objection,
    Organisation,
    OrganisationMembership,
    PanelMember,
    PresentationSlot,
    Rating,
    RatingAppeal,
    RatingRound,
    Region,
    ResidentFeedback,
    Tender,
    TenderFollow,
    TenderOpening,
    TenderVersion,
    User,
)
from marketplace.selectors.awards import award_signable
from marketplace.selectors.bids import bid_receipt_hash
from marketplace.selectors.ratings import buyer_table_public, rating_visible
from marketplace.selectors.tenders import method_rules, tender_eligibility_failures
from marketplace.services.organisations import CREDIT_CODE_PREFIX_BY_TYPE
from marketplace.validators import validate_credit_code
from tests.marketplace.rating_helpers import summaries_from_scratch, summaries_stored

pytestmark = pytest.mark.django_db

EVALUATION_OUTCOMES = {entry["title"]: entry["outcome"] for entry in demo_evaluations.EVALUATIONS}


def load():
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def row_counts():
    models = [
        *apps.get_app_config("marketplace").get_models(include_auto_created=True),
        EmailAddress,
        Authenticator,
    ]
    return {model._meta.label: model.objects.count() for model in models}


@pytest.fixture(scope="module")
def _loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the whole module inside a transaction rolled back at its end
    (each test runs in a savepoint of it). Tests that need an empty database live in
    test_demo_data_isolated.py."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield load()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def output(_loaded, db):
    return _loaded


def test_loads_forty_organisations_with_valid_credit_codes(output):
    """At least 40 organisations, each with a valid 统一社会信用代码 whose prefix fits its type."""
    organisations = list(Organisation.objects.all())
    assert len(organisations) >= 40
    for organisation in organisations:
        validate_credit_code(organisation.credit_code)
        assert organisation.credit_code.startswith(
            CREDIT_CODE_PREFIX_BY_TYPE[Organisation.Type(organisation.type)]
        )
        assert organisation.districts.exists()
        assert organisation.categories.exists()
    assert {organisation.type for organisation in organisations} == set(Organisation.Type.values)


def test_ratings_are_current_expired_and_missing(output):
    """Some ratings are current, at least one has expired (over five years old), some are unrated."""
    organisations = list(Organisation.objects.all())
    rated = [organisation for organisation in organisations if organisation.rating_level]
    assert any(organisation.rating_is_current for organisation in rated)
    assert any(not organisation.rating_is_current for organisation in rated)
    assert any(organisation.rating_level is None for organisation in organisations)


def test_exactly_one_organisation_is_on_the_abnormal_list(output):
    """One organisation is on the 活动异常名录; nobody is on the serious list."""
    assert (
        Organisation.objects.filter(credit_status=Organisation.CreditStatus.ABNORMAL).count() == 1
    )
    assert not Organisation.objects.filter(credit_status=Organisation.CreditStatus.SERIOUS).exists()


def test_review_outcomes_come_from_audited_transitions(output):
    """Most organisations are verified, a few pending, one rejected, one suspended — and every
    status other than the starting 待审核 was reached through an audited transition."""
    statuses = {
        status: Organisation.objects.filter(status=status).count()
        for status in Organisation.Status.values
    }
    assert statuses[Organisation.Status.VERIFIED] > len(demo.ORGANISATIONS) // 2
    assert statuses[Organisation.Status.PENDING] >= 2
    assert statuses[Organisation.Status.REJECTED] == 1
    assert statuses[Organisation.Status.SUSPENDED] == 1
    for organisation in Organisation.objects.exclude(status=Organisation.Status.PENDING):
        last = AuditEntry.objects.filter(
            object_id=str(organisation.pk), action="transition", content_type__model="organisation"
        ).last()
        assert last.to_status == organisation.status


def test_rejected_organisation_reason_is_in_the_audit_log(output):
    """The rejection was made by staff through the workflow, with its reason recorded."""
    rejected = Organisation.objects.get(status=Organisation.Status.REJECTED)
    entry = AuditEntry.objects.get(
        object_id=str(rejected.pk), content_type__model="organisation", to_status="rejected"
    )
    assert entry.from_status == Organisation.Status.PENDING
    assert entry.actor.email == demo.STAFF["email"]
    assert "登记证书" in entry.reason


def test_buyers_sit_in_real_regions_with_parents(output):
    """Buyers have government credit codes (11…), sensible levels, street regions for street
    offices (9-digit demo codes under their county) and a parent for every street office."""
    assert Buyer.objects.count() == len(demo.BUYERS)
    assert set(Buyer.objects.values_list("level", flat=True)) == set(Buyer.Level.values)
    for buyer in Buyer.objects.select_related("region__parent", "parent"):
        validate_credit_code(buyer.credit_code)
        assert buyer.credit_code.startswith("11")
        if buyer.level == Buyer.Level.STREET:
            assert buyer.region.level == Region.Level.STREET
            assert buyer.region.code.startswith(buyer.region.parent.code)
            assert len(buyer.region.code) == 9
            assert buyer.parent is not None
    taicang = Buyer.objects.get(name="太仓市民政局")
    assert taicang.region.code == "320585"
    assert taicang.parent.name == "太仓市人民政府"


def test_people_have_their_roles(output):
    """Staff, two buyer officers, an admin for every organisation, one member and one expert."""
    staff = User.objects.get(email=demo.STAFF["email"])
    assert staff.is_staff and staff.is_superuser
    for officer in demo.BUYER_OFFICERS:
        assert BuyerMembership.objects.filter(
            user__email=officer["email"], buyer__name=officer["buyer"]
        ).exists()
    assert BuyerMembership.objects.values("buyer").distinct().count() >= 2
    for entry in demo.ORGANISATIONS:
        assert OrganisationMembership.objects.filter(
            organisation__name=entry["name"],
            user__email=entry["contact"][2],
            role=OrganisationMembership.Role.ADMIN,
        ).exists()
    member = demo.ORGANISATION_MEMBERS[0]
    assert OrganisationMembership.objects.get(user__email=member["email"]).role == (
        OrganisationMembership.Role.MEMBER
    )
    expert = Expert.objects.get(user__email=demo.EXPERT["email"])
    assert expert.categories.exists() and expert.regions.exists()


def test_every_demo_user_can_log_in_at_once(output):
    """Every user has a verified primary address and the demo password; staff and buyer officers
    also have a TOTP authenticator, so the second step can be passed with the demo code."""
    users = list(User.objects.all())
    assert len(users) > len(demo.ORGANISATIONS)
    for user in users:
        assert EmailAddress.objects.filter(
            user=user, email=user.email, verified=True, primary=True
        ).exists()
        assert user.check_password(demo.DEMO_PASSWORD)
    needs_mfa = [demo.STAFF["email"], *(officer["email"] for officer in demo_officers())]
    for email in needs_mfa:
        assert Authenticator.objects.filter(
            user__email=email, type=Authenticator.Type.TOTP
        ).exists()


def test_service_centre_runs_the_venture_round_for_taicang(output):
    """太仓市民政局 delegates this year's 公益创投大赛 to the 社会组织服务中心, and it is active today."""
    delegation = Delegation.objects.get()
    assert delegation.buyer.name == demo.DELEGATION["buyer"]
    assert delegation.operator.name == demo.DELEGATION["operator"]
    assert delegation.scope == Delegation.Scope.VENTURE_ROUND
    assert delegation.is_active_on(timezone.localdate())
    assert AuditEntry.objects.filter(action="delegate", object_id=str(delegation.buyer.pk)).exists()


def test_yunlong_and_taicang_publish_their_two_lists(output):
    """云龙区 has 30 duty and 65 assistance items, numbered from 1 without gaps; 太仓市 has a
    shorter pair; assistance items name a department, and every item is audited as created."""
    Kind = CommunityListItem.Kind
    for code, duty, assistance in [("320303", 30, 65), ("320585", 12, 18)]:
        for kind, count in [(Kind.DUTY, duty), (Kind.ASSISTANCE, assistance)]:
            numbers = CommunityListItem.objects.filter(region__code=code, kind=kind).values_list(
                "number", flat=True
            )
            assert sorted(numbers) == list(range(1, count + 1)), (code, kind)
    assistance = CommunityListItem.objects.filter(kind=Kind.ASSISTANCE)
    assert not assistance.filter(responsible_department="").exists()
    assert assistance.filter(category__isnull=False).exists()
    assert assistance.filter(funding_required=False).exists()
    assert AuditEntry.objects.filter(
        action="create", content_type__model="communitylistitem"
    ).count() == sum(len(items) for items in community_lists.ITEMS.values())


def test_prints_the_logins_and_the_mfa_code(output):
    """The output ends with a table of demo logins, the shared password and the MFA note."""
    assert demo.DEMO_PASSWORD in output
    for email in [
        demo.STAFF["email"],
        *(officer["email"] for officer in demo.BUYER_OFFICERS),
        demo.EXPERT["email"],
        demo.ORGANISATION_MEMBERS[0]["email"],
    ]:
        assert email in output
    assert "两步验证码（演示环境）：000000" in output


def test_second_run_changes_nothing(output, django_assert_max_num_queries):
    """Loading again adds no rows and no audit entries, resets no password, in a few queries."""
    before = row_counts()
    staff = User.objects.get(email=demo.STAFF["email"])
    staff.set_password("changed-by-the-demo-user")
    staff.save()
    # One query per loader that finds its data there (the ratings demo: one).
    with django_assert_max_num_queries(26):
        again = load()
    assert row_counts() == before
    assert before["marketplace.CommunityListItem"] == 30 + 65 + 12 + 18
    staff.refresh_from_db()
    assert staff.check_password("changed-by-the-demo-user")
    assert "演示数据已存在" in again
    assert demo.STAFF["email"] in again


# Tenders ----------------------------------------------------------------------------------


def test_sixty_tenders_in_every_method_and_state(output):
    """About sixty tenders, as many per method and per final status as the demo table says,
    with every method and every status represented, each drafted by an officer of a demo
    buyer for the buyer's region."""
    entries = demo_tenders.TENDERS
    assert 55 <= len(entries) == Tender.objects.count()
    methods = Counter(Tender.objects.values_list("method", flat=True))
    assert methods == Counter(entry["method"] for entry in entries)
    assert set(methods) == set(Tender.Method.values)
    statuses = Counter(Tender.objects.values_list("status", flat=True))
    assert statuses == Counter(_final_status(entry) for entry in entries)
    assert set(statuses) == set(Tender.Status.values)
    assert statuses[Tender.Status.PUBLISHED] >= 20
    assert Tender.objects.filter(version=2).count() == sum(
        entry["state"] == "amended" for entry in entries
    )
    # Each was drafted by an officer of its buyer, for the buyer's region or a part of it.
    for tender in Tender.objects.select_related("buyer__region", "region", "created_by"):
        assert tender.region.code.startswith(tender.buyer.region.code), tender.title
        assert BuyerMembership.objects.filter(buyer=tender.buyer, user=tender.created_by).exists()
        assert sum(c.weight for c in tender.criteria.all()) == 100
        assert sum(m.percentage for m in tender.milestones.all()) == 100


def _final_status(entry):
    """Where a demo tender ends: its state, or where its evaluation left it."""
    outcome = EVALUATION_OUTCOMES.get(entry["title"])
    if outcome in ("upheld", "scoring"):
        return Tender.Status.EVALUATING
    if outcome:
        return Tender.Status.AWARDED
    return FINAL_STATUS[entry["state"]]


def test_deadlines_match_each_state(output):
    """Open and amended tenders still take bids; closed, opened and failed ones ended in the
    past; drafts are unpublished; every tender keeps its dates in order."""
    now = timezone.now()
    for tender in Tender.objects.all():
        assert tender.clarification_deadline <= tender.bid_deadline <= tender.opening_at
        if tender.status == Tender.Status.PUBLISHED:
            assert tender.bidding_open, tender.title
            assert tender.published_at < now
        elif tender.status in (Tender.Status.CLOSED, Tender.Status.OPENED, Tender.Status.FAILED):
            assert tender.bid_deadline < now, tender.title
            assert tender.published_at < tender.clarification_deadline
        elif tender.status == Tender.Status.DRAFT:
            assert tender.published_at is None and tender.version == 0


def test_every_demo_bid_is_eligible_sealed_and_on_time(output):
    """Every bid comes from an organisation that meets all of its tender's eligibility rules
    and was submitted before the deadline; every receipt hash, re-confirmed bids included, still
    matches what is stored."""
    bids = Bid.objects.select_related("tender__region", "tender__category", "organisation")
    assert bids.count() == sum(len(entry.get("bids", [])) for entry in demo_tenders.TENDERS)
    for bid in bids:
        assert tender_eligibility_failures(bid.tender, bid.organisation) == [], bid
        assert bid.submitted_at < bid.tender.bid_deadline
        assert bid.receipt_hash == bid_receipt_hash(bid, [])
        assert bid.amount <= bid.tender.budget


def test_ended_tenders_have_an_opening_record_or_a_reason(output):
    """Opened tenders have one opening record listing each live bid; tenders that are still
    sealed (published or closed) have none. Failed tenders (流标) had fewer live bids than
    their method needs and the platform said so; cancelled ones carry the buyer's reason."""
    for tender in Tender.objects.filter(status__in=OPENED_STATUSES):
        opening = TenderOpening.objects.get(tender=tender)
        assert sorted(row["bid"] for row in opening.record) == sorted(
            tender.bids.filter(Bid.LIVE).values_list("pk", flat=True)
        )
        assert opening.opened_at >= tender.opening_at
        assert len(opening.record) >= method_rules(tender.method)["min_bids"]
    sealed = Tender.objects.filter(status__in=[Tender.Status.PUBLISHED, Tender.Status.CLOSED])
    assert not TenderOpening.objects.filter(tender__in=sealed).exists()
    for tender in Tender.objects.filter(status=Tender.Status.FAILED):
        assert tender.bids.filter(Bid.LIVE).count() < method_rules(tender.method)["min_bids"]
        entry = AuditEntry.objects.get(
            object_id=str(tender.pk), content_type__model="tender", to_status="failed"
        )
        assert entry.actor is None and "少于" in entry.reason
    reasons = {e["title"]: e["reason"] for e in demo_tenders.TENDERS if e["state"] == "cancelled"}
    for tender in Tender.objects.filter(status=Tender.Status.CANCELLED):
        entry = AuditEntry.objects.get(
            object_id=str(tender.pk), content_type__model="tender", to_status="cancelled"
        )
        assert entry.reason == reasons[tender.title]
        assert entry.actor.buyer_memberships.filter(buyer=tender.buyer).exists()


def test_amendments_are_second_versions_with_bids_to_reconfirm(output):
    """An amended tender has version 2 with its note and differences; bids made before it
    must be re-confirmed, except those the demo re-confirmed."""
    for tender in Tender.objects.filter(version=2):
        version = TenderVersion.objects.get(tender=tender, number=2)
        assert version.note and version.changes
        for bid in tender.bids.select_related("organisation"):
            entry = next(e for e in demo_tenders.TENDERS if e["title"] == tender.title)
            reconfirmed = bid.organisation.name in entry.get("reconfirmed", [])
            assert bid.needs_reconfirmation is not reconfirmed
    assert TenderVersion.objects.filter(number=2, requirements_changed=True).exists()
    assert TenderVersion.objects.filter(number=2, requirements_changed=False).exists()


def test_assistance_items_are_cited_with_a_funding_source(output):
    """Some tenders buy an item of 云龙区's or 太仓市's assistance list, always with the
    funding source that 费随事转 requires."""
    cited = Tender.objects.filter(assistance_item__isnull=False).select_related(
        "assistance_item__region"
    )
    assert {t.assistance_item.region.code for t in cited} == {"320303", "320585"}
    for tender in cited:
        assert tender.assistance_item.kind == CommunityListItem.Kind.ASSISTANCE
        assert "费随事转" in tender.funding_source


def test_questions_answers_and_follows(output):
    """Would-be bidders asked questions (most answered by the officer, some still open) and
    follow tenders."""
    questions = Clarification.objects.all()
    assert questions.filter(answered_at__isnull=False).count() >= 10
    assert questions.filter(answered_at__isnull=True).exists()
    for question in questions.filter(answered_at__isnull=False):
        assert question.answered_by.buyer_memberships.filter(buyer=question.tender.buyer).exists()
        assert question.asked_at < question.answered_at
    assert TenderFollow.objects.count() == sum(
        len(entry.get("follows", [])) for entry in demo_tenders.TENDERS
    )


def test_evaluations_end_in_awards_objections_and_a_funded_round(output):
    """The demo evaluations ran through the services: panels of at least the method's size
    that declared (one recusal replaced), complete scores, confirmed reports; awards to the
    recommended bid, past their notice period where the demo says so; one objection
    dismissed, one upheld that reopened the evaluation; the demo expert still to declare; and
    the city's ¥4,000,000 公益创投 round funding 20–30 projects within its pool."""
    assert Expert.objects.count() == len(demo_evaluations.EXPERTS) + 1
    tenders = {t.title: t for t in Tender.objects.filter(title__in=EVALUATION_OUTCOMES)}
    now = timezone.now()
    for title, outcome in EVALUATION_OUTCOMES.items():
        tender = tenders[title]
        active = tender.panel.filter(status=PanelMember.Status.ACTIVE).count()
        if outcome != "scoring":
            assert active >= method_rules(tender.method)["panel_min"], title
        awards = list(tender.awards.select_related("report"))
        if outcome in ("awarded", "notice"):
            (award,) = awards
            assert award.bid_id == award.report.recommended_id and award.report.confirmed_at
            assert (award.notice_ends_at < now) == (outcome == "awarded"), title
            assert award_signable(award) == (outcome == "awarded"), title
        if outcome == "notice":
            assert [o.status for o in tender.objections.all()] == [Objection.Status.DISMISSED]
        if outcome == "upheld":
            assert [o.status for o in tender.objections.all()] == [Objection.Status.UPHELD]
            assert [a.status for a in awards] == [Award.Status.REVOKED]
            assert not tender.reports.filter(superseded_at__isnull=True).exists()
        if outcome == "scoring":
            pending = tender.panel.get(status=PanelMember.Status.PENDING)
            assert pending.expert.user.email == demo.EXPERT["email"]
            assert not awards
    assert PanelMember.objects.filter(status=PanelMember.Status.RECUSED).count() == 1

    round_ = tenders["2026年苏州市公益创投大赛项目征集"]
    funded = list(round_.awards.select_related("bid"))
    assert 20 <= len(funded) <= 30
    assert sum(a.amount.amount for a in funded) <= round_.budget.amount == 4_000_000
    lowered = [a for a in funded if a.amount < a.bid.amount]
    assert len(lowered) == 1 and lowered[0].reason
    failed = round_.bids.filter(screening__passed=False).count()
    assert failed == len(demo_evaluations.ROUND_FAILS)
    assert PresentationSlot.objects.filter(bid__tender=round_).count() == (
        round_.bids.filter(screening__passed=True).count()
    )


def test_contracts_in_every_state_with_payments_on_time_late_and_clawed_back(output):
    """The demo contracts went through the services: one awaiting the organisation's
    signature, active ones with reports accepted and returned, a milestone paid within 30
    days of acceptance and one paid later, and one terminated after its mid-term review with
    half of what was paid clawed back; every contract's milestones add up to its amount and
    its balance is the ledger's sum."""
    contracts = list(Contract.objects.prefetch_related("milestones"))
    assert len(contracts) == len(demo_contracts.CONTRACTS) + len(demo_ratings.CONTRACTS)
    assert {c.status for c in contracts} == {
        Contract.Status.DRAFT,
        Contract.Status.ACTIVE,
        Contract.Status.TERMINATED,
        Contract.Status.COMPLETED,  # the ratings demo's
    }
    for contract in contracts:
        assert sum(m.amount.amount for m in contract.milestones.all()) == contract.amount.amount
        assert contract.award.notice_ends_at < (contract.signed_at or timezone.now())
    reports = Counter(MilestoneReport.objects.values_list("status", flat=True))
    assert (
        reports[MilestoneReport.Status.ACCEPTED] >= 3
        and reports[MilestoneReport.Status.RETURNED] == 1
    )
    delays = [
        (m.paid_at - m.accepted_at).days
        for m in Milestone.objects.filter(status=Milestone.Status.PAID)
    ]
    assert min(delays) <= 30 < max(delays)
    terminated = Contract.objects.get(status=Contract.Status.TERMINATED)
    assert terminated.milestones.filter(status=Milestone.Status.CANCELLED).exists()
    refund = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REFUND)
    assert refund.contract == terminated
    assert refund.amount * 2 == terminated.ledger.get(kind=LedgerEntry.Kind.PAYMENT).amount


def test_resident_feedback_on_delivered_contracts_some_awaiting_moderation(output):
    """Residents rated the contracts being delivered: approved comments, comments waiting
    for staff, one rejected (with its reason audited) and bare scores."""
    feedback = list(ResidentFeedback.objects.select_related("contract"))
    assert len(feedback) == len(demo_feedback.FEEDBACK)
    assert {row.contract.status for row in feedback} == {Contract.Status.ACTIVE}
    statuses = Counter(row.status for row in feedback)
    assert statuses[ResidentFeedback.Status.APPROVED] >= 3
    assert statuses[ResidentFeedback.Status.PENDING] >= 2
    assert statuses[ResidentFeedback.Status.REJECTED] == 1
    assert statuses[ResidentFeedback.Status.NO_COMMENT] >= 3
    rejected = ResidentFeedback.objects.get(status=ResidentFeedback.Status.REJECTED)
    entry = AuditEntry.objects.get(
        content_type__model="residentfeedback", object_id=str(rejected.pk), to_status="rejected"
    )
    assert entry.reason and entry.actor.email == demo.STAFF["email"]


def test_evaluations_revealed_sealed_appealed_with_summaries(output):
    """Completed contracts carry completion rounds in every case: revealed by both sides,
    one evaluation excluded after an upheld appeal, one appeal waiting for staff, one round
    sealed with one side in, one revealed by the platform after its window closed; milestone
    rounds on the contracts being delivered. The stored summaries equal a recomputation
    from scratch, and buyers pay on time (苏州市民政局) and late (姑苏区民政局)."""
    completed = Contract.objects.filter(status=Contract.Status.COMPLETED)
    assert completed.count() == len(demo_ratings.CONTRACTS)
    rounds = RatingRound.objects.prefetch_related("ratings")
    assert rounds.filter(kind=RatingRound.Kind.COMPLETION).count() == completed.count()
    assert rounds.filter(kind=RatingRound.Kind.MILESTONE).count() == len(
        demo_ratings.MILESTONE_ROUNDS
    )
    sealed = [r for r in rounds if r.status == RatingRound.Status.OPEN]
    assert len(sealed) == 1 and not rating_visible(sealed[0])
    assert [x.side for x in sealed[0].ratings.all()] == [Rating.Side.BUYER]
    by_platform = AuditEntry.objects.filter(action="rating_reveal", actor__isnull=True)
    assert by_platform.count() == 1
    assert {r.ratings.count() for r in rounds if r.status == RatingRound.Status.REVEALED} == {
        1,
        2,
    }
    appeals = Counter(RatingAppeal.objects.values_list("status", flat=True))
    assert appeals == {RatingAppeal.Status.UPHELD: 1, RatingAppeal.Status.OPEN: 1}
    assert Rating.objects.filter(excluded_at__isnull=False).count() == 1
    assert summaries_stored() == summaries_from_scratch() != {}
    table = {buyer.name: buyer for buyer in buyer_table_public(sort="punctuality")}
    assert table["苏州市民政局"].on_time_share == 1.0
    assert table["苏州市姑苏区民政局"].on_time_share < 0.5
    assert table["苏州市民政局"].rating_count >= 2
    active = Contract.objects.filter(status__in=[Contract.Status.ACTIVE, Contract.Status.COMPLETED])
    assert active.count() >= 3  # for the resident feedback demo


def test_every_award_and_contract_comes_after_its_tender_closed(output):
    """The demo's story is in order: no award is published, nor contract signed, before its
    tender's bid deadline (the 公益创投 round's funded proposals included)."""
    awards = Award.objects.select_related("tender").exclude(published_at=None)
    assert awards.exists()
    early = [a.tender.title for a in awards if a.published_at <= a.tender.bid_deadline]
    assert early == []
    contracts = Contract.objects.select_related("tender").exclude(signed_at=None)
    assert contracts.exists()
    early = [c.tender.title for c in contracts if c.signed_at <= c.tender.bid_deadline]
    assert early == []
