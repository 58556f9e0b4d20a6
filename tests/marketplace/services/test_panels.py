"""Expert panels: the random, replayable draw from the matching pool; naming where the method
allows; the conflict declaration with recusal and replacement; the staff-kept pool."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketplace.models import (
    AuditEntry,
    EvaluationReport,
    Expert,
    OrganisationMembership,
    PanelDraw,
    PanelMember,
    Region,
    Tender,
    TenderOpening,
)
from marketplace.selectors.panels import expert_pool_for, panel_draw_replay
from marketplace.services.panels import expert_save, panel_declare, panel_draw, panel_name
from tests import factories

pytestmark = pytest.mark.django_db

Seat = PanelMember.Status
Conflict = PanelMember.Conflict


def opened_tender(**fields) -> Tender:
    """A 姑苏区 居家养老 (0101) tender whose bids have been opened."""
    now = timezone.now()
    fields.setdefault("status", Tender.Status.OPENED)
    tender = factories.TenderFactory(
        clarification_deadline=now - datetime.timedelta(days=3),
        bid_deadline=now - datetime.timedelta(days=2),
        opening_at=now - datetime.timedelta(days=2),
        **fields,
    )
    TenderOpening.objects.create(
        tender=tender, opened_by=tender.created_by, opened_at=now, record=[]
    )
    return tender


def pool_expert(*, categories=("0101",), regions=("320508",), **fields) -> Expert:
    expert = factories.ExpertFactory(**fields)
    expert.categories.set([factories.category(code) for code in categories])
    expert.regions.set([Region.objects.get(code=code) for code in regions])
    return expert


@pytest.fixture
def tender(buyer):
    return opened_tender(buyer=buyer)


def _state(tender):
    """Everything a panel change may touch, to prove a refusal changed nothing."""
    tender.refresh_from_db()
    return (
        tender.status,
        PanelDraw.objects.count(),
        list(PanelMember.objects.order_by("pk").values_list("pk", "status", "declared_at")),
        AuditEntry.objects.count(),
    )


# --- The pool ----------------------------------------------------------------------------------


def test_pool_matches_category_and_region_or_their_ancestors(tender, officer):
    """The pool holds active experts whose fields include the tender's category or a parent
    category, and whose regions include its region or a region above it; nobody else."""
    exact = pool_expert()
    parent_category = pool_expert(categories=("01",))
    city = pool_expert(regions=("320500",))
    province = pool_expert(categories=("01",), regions=("320000",))
    pool_expert(categories=("0102",))  # a sibling category: no
    pool_expert(categories=("02",))  # another field: no
    pool_expert(regions=("320303",))  # another county: no
    pool_expert(regions=("320100",))  # another city: no
    pool_expert(is_active=False)  # out of the pool
    factories.ExpertFactory()  # no fields, no regions

    pool = list(expert_pool_for(tender))

    assert pool == [exact, parent_category, city, province]


def test_pool_leaves_out_bidders_officers_and_seated_experts(tender, officer):
    """A member of an organisation with a live bid, an officer of the buyer and an expert
    already on this panel (even recused) are not candidates; a withdrawn bidder's member is."""
    fine = pool_expert()
    bid = factories.BidFactory(tender=tender)
    bidder = pool_expert()
    factories.OrganisationMembershipFactory(
        organisation=bid.organisation, user=bidder.user, role=OrganisationMembership.Role.MEMBER
    )
    withdrawn = factories.BidFactory(tender=tender, status="withdrawn")
    former_bidder = pool_expert()
    factories.OrganisationMembershipFactory(
        organisation=withdrawn.organisation, user=former_bidder.user
    )
    buyer_officer = pool_expert()
    factories.BuyerMembershipFactory(buyer=tender.buyer, user=buyer_officer.user)
    recused = pool_expert()
    factories.PanelMemberFactory(tender=tender, expert=recused, status=Seat.RECUSED)

    assert list(expert_pool_for(tender)) == [fine, former_bidder]


# --- The draw ----------------------------------------------------------------------------------


def test_draw_picks_matching_experts_and_can_be_replayed(tender, officer):
    """The first draw of an opened 公开招标 tender seats 5 (panel_min) pending experts taken
    from the matching pool, moves the tender to evaluation, and stores seed and candidates so
    that replaying it gives the same experts."""
    matching = [pool_expert() for _ in range(7)]
    outsider = pool_expert(categories=("02",))

    draw = panel_draw(tender=tender, by=officer)

    tender.refresh_from_db()
    assert tender.status == Tender.Status.EVALUATING
    assert draw.candidates == [expert.pk for expert in matching]
    assert len(draw.drawn) == 5 and len(set(draw.drawn)) == 5
    assert set(draw.drawn) <= set(draw.candidates)
    assert outsider.pk not in draw.drawn
    assert panel_draw_replay(draw) == draw.drawn
    seats = PanelMember.objects.filter(tender=tender)
    assert sorted(seats.values_list("expert_id", flat=True)) == sorted(draw.drawn)
    assert set(seats.values_list("status", "source", "draw_id", "added_by_id")) == {
        (Seat.PENDING, PanelMember.Source.DRAWN, draw.pk, officer.pk)
    }
    assert draw.reason == PanelDraw.Reason.INITIAL and draw.drawn_by == officer
    actions = set(AuditEntry.objects.values_list("action", "to_status"))
    assert ("transition", Tender.Status.EVALUATING) in actions
    assert ("panel_draw", "") in actions


def test_replay_detects_a_tampered_draw(tender, officer):
    """Replaying a draw whose stored candidates were altered does not give the stored experts
    back (with overwhelming probability): the record is evidence."""
    for _ in range(30):
        pool_expert()
    draw = panel_draw(tender=tender, by=officer)

    draw.candidates = list(reversed(draw.candidates))

    assert panel_draw_replay(draw) != draw.drawn


def test_second_draw_tops_up_to_the_minimum(tender, officer):
    """After a recusal the default size is what is missing to reach panel_min; pending and
    active seats count, recused ones do not."""
    for _ in range(8):
        pool_expert()
    panel_draw(tender=tender, by=officer, size=3)
    seat = PanelMember.objects.filter(tender=tender).first()
    PanelMember.objects.filter(pk=seat.pk).update(status=Seat.RECUSED)

    draw = panel_draw(tender=tender, by=officer)

    assert len(draw.drawn) == 3
    assert PanelMember.objects.filter(tender=tender).exclude(status=Seat.RECUSED).count() == 5


def test_draw_refused_when_the_pool_is_too_small(tender, officer):
    """With fewer matching experts than needed, the draw is refused with both numbers and
    nothing changes: the tender stays opened, no draw, no seat, no audit entry."""
    for _ in range(3):
        pool_expert()
    before = _state(tender)

    with pytest.raises(ValidationError) as error:
        panel_draw(tender=tender, by=officer)

    assert "5" in error.value.messages[0] and "3" in error.value.messages[0]
    assert _state(tender) == before
    assert before[0] == Tender.Status.OPENED


def test_draw_refused_when_the_panel_is_full(tender, officer):
    """Without a size, a panel already at its minimum refuses another draw."""
    for _ in range(6):
        pool_expert()
    panel_draw(tender=tender, by=officer)
    before = _state(tender)

    with pytest.raises(ValidationError):
        panel_draw(tender=tender, by=officer)

    assert _state(tender) == before


@pytest.mark.parametrize("status", [Tender.Status.PUBLISHED, Tender.Status.AWARDED])
def test_draw_refused_outside_the_evaluation(buyer, officer, status):
    """Before the opening and after the award no panel can be drawn."""
    tender = opened_tender(buyer=buyer, status=status)
    for _ in range(5):
        pool_expert()
    before = _state(tender)

    with pytest.raises(ValidationError):
        panel_draw(tender=tender, by=officer)

    assert _state(tender) == before


def test_draw_refused_once_a_report_exists(buyer, officer):
    """While a current evaluation report exists the panel is frozen."""
    tender = opened_tender(buyer=buyer, status=Tender.Status.EVALUATING)
    EvaluationReport.objects.create(tender=tender, number=1, results={}, created_by=officer)
    for _ in range(5):
        pool_expert()
    before = _state(tender)

    with pytest.raises(ValidationError):
        panel_draw(tender=tender, by=officer)

    assert _state(tender) == before


@pytest.mark.parametrize("who", ["other_officer", "org_admin", "staff", "expert"])
def test_only_the_buyer_draws(tender, who, org_admin, staff):
    """Another buyer's officer, an organisation's admin, staff and an expert may not draw."""
    for _ in range(5):
        pool_expert()
    user = {
        "other_officer": factories.BuyerMembershipFactory().user,
        "org_admin": org_admin,
        "staff": staff,
        "expert": pool_expert().user,
    }[who]
    before = _state(tender)

    with pytest.raises(PermissionDenied):
        panel_draw(tender=tender, by=user)

    assert _state(tender) == before


def test_delegated_operator_draws_for_a_venture_round(buyer):
    """For a 公益创投 round the admin of the operator the buyer delegated it to may draw."""
    tender = opened_tender(buyer=buyer, method=Tender.Method.VENTURE)
    delegation = factories.DelegationFactory(buyer=buyer)
    operator_admin = factories.OrganisationMembershipFactory(organisation=delegation.operator).user
    for _ in range(5):
        pool_expert()

    draw = panel_draw(tender=tender, by=operator_admin)

    assert len(draw.drawn) == 5


# --- Naming ------------------------------------------------------------------------------------


def test_naming_refused_for_open_tendering(tender, officer):
    """公开招标 experts are drawn, never named: the refusal names the method, nothing changes."""
    expert = pool_expert()
    before = _state(tender)

    with pytest.raises(ValidationError) as error:
        panel_name(tender=tender, experts=[expert], by=officer)

    assert "公开招标" in error.value.messages[0]
    assert _state(tender) == before


def test_naming_seats_pending_experts_where_allowed(buyer, officer):
    """For 竞争性磋商 the buyer names experts: pending seats, source named, tender evaluating."""
    tender = opened_tender(buyer=buyer, method=Tender.Method.CONSULTATION)
    experts = [pool_expert(), pool_expert()]

    seats = panel_name(tender=tender, experts=experts, by=officer)

    tender.refresh_from_db()
    assert tender.status == Tender.Status.EVALUATING
    assert [seat.expert for seat in seats] == experts
    assert {(s.status, s.source) for s in seats} == {(Seat.PENDING, PanelMember.Source.NAMED)}
    assert AuditEntry.objects.filter(action="panel_name").exists()


@pytest.mark.parametrize("kind", ["bidder", "officer", "seated", "inactive"])
def test_naming_refuses_excluded_experts(buyer, officer, kind):
    """A bidder's member, the buyer's officer, an expert already seated or out of the pool
    cannot be named; nothing changes, not even for the other experts named with them."""
    tender = opened_tender(buyer=buyer, method=Tender.Method.CONSULTATION)
    fine = pool_expert()
    excluded = pool_expert(is_active=kind != "inactive")
    if kind == "bidder":
        bid = factories.BidFactory(tender=tender)
        factories.OrganisationMembershipFactory(organisation=bid.organisation, user=excluded.user)
    elif kind == "officer":
        factories.BuyerMembershipFactory(buyer=buyer, user=excluded.user)
    elif kind == "seated":
        panel_name(tender=tender, experts=[excluded], by=officer)
    before = _state(tender)

    with pytest.raises(ValidationError) as error:
        panel_name(tender=tender, experts=[fine, excluded], by=officer)

    assert str(excluded) in error.value.messages[0]
    assert _state(tender) == before


# --- Declarations ------------------------------------------------------------------------------


@pytest.fixture
def seat(tender, officer):
    """A pending drawn seat on the tender (which has two bidders), with one spare expert."""
    for _ in range(6):
        pool_expert()
    factories.BidFactory(tender=tender)
    factories.BidFactory(tender=tender)
    panel_draw(tender=tender, by=officer)
    return PanelMember.objects.filter(tender=tender).first()


def test_declaring_no_conflict_activates_the_seat(seat):
    """No conflict: the seat becomes active, the time is recorded, the step is audited."""
    panel_declare(member=seat, by=seat.expert.user, conflicts=[], details="", organisations=[])

    seat.refresh_from_db()
    assert seat.status == Seat.ACTIVE and seat.declared_at is not None
    assert AuditEntry.objects.filter(
        action="panel_declare", object_id=str(seat.pk), to_status=Seat.ACTIVE
    ).exists()


def test_declaring_a_conflict_recuses_and_draws_a_replacement(seat):
    """A conflict recuses the expert, records the organisations, and a replacement is drawn
    at once from the pool (size 1, reason replacement, drawn by the expert), so the panel is
    back at its minimum."""
    organisation = seat.tender.bids.first().organisation

    panel_declare(
        member=seat,
        by=seat.expert.user,
        conflicts=[Conflict.EMPLOYMENT],
        details="",
        organisations=[organisation],
    )

    seat.refresh_from_db()
    assert seat.status == Seat.RECUSED
    assert list(seat.conflicted_with.all()) == [organisation]
    assert seat.conflicts == [Conflict.EMPLOYMENT]
    replacement = PanelDraw.objects.get(reason=PanelDraw.Reason.REPLACEMENT)
    assert len(replacement.drawn) == 1 and replacement.drawn_by == seat.expert.user
    assert seat.expert_id not in replacement.candidates
    assert panel_draw_replay(replacement) == replacement.drawn
    assert PanelMember.objects.filter(tender=seat.tender).exclude(status=Seat.RECUSED).count() == 5


def test_conflict_with_an_empty_pool_leaves_a_shortfall(tender, officer):
    """When nobody is left in the pool the expert is still recused; no draw is made."""
    tender.method = Tender.Method.CONSULTATION
    tender.save()
    expert = pool_expert()
    bid = factories.BidFactory(tender=tender)
    (seat,) = panel_name(tender=tender, experts=[expert], by=officer)

    panel_declare(
        member=seat,
        by=expert.user,
        conflicts=[Conflict.FAMILY],
        details="",
        organisations=[bid.organisation],
    )

    seat.refresh_from_db()
    assert seat.status == Seat.RECUSED
    assert not PanelDraw.objects.exists()


@pytest.mark.parametrize(
    ("conflicts", "details", "with_organisation", "field"),
    [
        ([Conflict.OTHER], "", True, "details"),
        ([Conflict.BOARD], "", False, "organisations"),
        ([], "", True, "conflicts"),
        (["bribery"], "", True, "conflicts"),
    ],
)
def test_bad_declarations_are_refused(seat, conflicts, details, with_organisation, field):
    """ "Other" without details, a conflict without an organisation, an organisation without a
    conflict and an unknown kind are refused on their field; nothing changes."""
    organisations = [seat.tender.bids.first().organisation] if with_organisation else []
    before = _state(seat.tender)

    with pytest.raises(ValidationError) as error:
        panel_declare(
            member=seat,
            by=seat.expert.user,
            conflicts=conflicts,
            details=details,
            organisations=organisations,
        )

    assert field in error.value.message_dict
    assert _state(seat.tender) == before


def test_conflict_only_with_this_tenders_bidders(seat):
    """An organisation that has not bid on this tender cannot be declared against."""
    before = _state(seat.tender)

    with pytest.raises(ValidationError) as error:
        panel_declare(
            member=seat,
            by=seat.expert.user,
            conflicts=[Conflict.EMPLOYMENT],
            organisations=[factories.OrganisationFactory()],
        )

    assert "organisations" in error.value.message_dict
    assert _state(seat.tender) == before


def test_only_the_expert_declares_and_only_once(seat, officer):
    """Somebody else (even the buyer's officer) cannot declare for the expert; a declared
    seat cannot declare again."""
    before = _state(seat.tender)
    with pytest.raises(PermissionDenied):
        panel_declare(member=seat, by=officer, conflicts=[], organisations=[])
    assert _state(seat.tender) == before

    panel_declare(member=seat, by=seat.expert.user, conflicts=[], organisations=[])
    before = _state(seat.tender)
    with pytest.raises(ValidationError):
        panel_declare(member=seat, by=seat.expert.user, conflicts=[], organisations=[])
    assert _state(seat.tender) == before


# --- The pool, kept by staff -------------------------------------------------------------------


def test_staff_add_an_expert_to_the_pool(staff):
    """Staff add an expert with fields and regions; the creation is audited."""
    expert = expert_save(
        expert=Expert(user=factories.UserFactory(), title="教授"),
        by=staff,
        categories=[factories.category("01")],
        regions=[factories.county()],
    )

    assert list(expert.categories.all()) == [factories.category("01")]
    assert AuditEntry.objects.filter(action="create", object_id=str(expert.pk)).exists()


def test_only_staff_keep_the_pool(officer):
    """Anyone else is refused and no expert is created."""
    with pytest.raises(PermissionDenied):
        expert_save(expert=Expert(user=factories.UserFactory()), by=officer)

    assert not Expert.objects.exists()


def test_staff_edit_is_audited_with_the_changed_fields(staff):
    """An edit records which fields (including the M2M ones) changed."""
    expert = pool_expert()
    expert.is_active = False

    expert_save(expert=expert, by=staff, categories=[factories.category("02")])

    entry = AuditEntry.objects.get(action="update", object_id=str(expert.pk))
    assert entry.data["fields"] == ["is_active", "categories"]
