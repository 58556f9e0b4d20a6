"""Reading expert panels: who may be drawn for a tender (the pool), an expert's own seats,
a tender's panel with its draws, and the replay that proves a draw was random."""

import random
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from marketplace.models import (
    Bid,
    BuyerMembership,
    Category,
    Expert,
    Organisation,
    OrganisationMembership,
    PanelDraw,
    PanelMember,
    Region,
    Tender,
)
from marketplace.selectors.tenders import method_rules

Seat = PanelMember.Status

# A tender's panel may change while it is opened or being evaluated, until a report exists.
PANEL_OPEN_STATUSES = (Tender.Status.OPENED, Tender.Status.EVALUATING)


def opened_q(prefix: str = "") -> Q:
    """Tenders whose bids have been opened (开标): the opening is recorded, or the tender has
    gone on to evaluation or award, which only an opened tender can."""
    return Q(**{f"{prefix}opening__isnull": False}) | Q(
        **{f"{prefix}status__in": [Tender.Status.EVALUATING, Tender.Status.AWARDED]}
    )


def _with_ancestors(model, pk) -> list[int]:
    """`pk` and the pks of its parents up to the root (categories and regions are shallow)."""
    ids = []
    while pk is not None and pk not in ids:
        ids.append(pk)
        pk = model.objects.filter(pk=pk).values_list("parent_id", flat=True).first()
    return ids


def _bidder_organisation_ids(tender):
    return Bid.objects.filter(Bid.LIVE, tender=tender).values("organisation_id")


def _excluded_user_ids(tender):
    """Users who may not sit on the tender's panel: members of a bidding organisation and
    officers of the buyer."""
    bidders = OrganisationMembership.objects.filter(
        organisation_id__in=_bidder_organisation_ids(tender)
    ).values("user_id")
    officers = BuyerMembership.objects.filter(buyer_id=tender.buyer_id).values("user_id")
    return bidders, officers


def expert_pool_for(tender):
    """Experts who may be drawn for `tender`, by pk: in the pool (active), knowing the
    tender's category or one above it, reviewing in its region or one above it, not seated
    on this tender already (in any status), not a member of an organisation with a live bid
    on it, not an officer of its buyer."""
    categories = _with_ancestors(Category, tender.category_id)
    regions = _with_ancestors(Region, tender.region_id)
    bidders, officers = _excluded_user_ids(tender)
    return (
        Expert.objects.filter(
            is_active=True,
            user__is_active=True,
            pk__in=Expert.categories.through.objects.filter(category_id__in=categories).values(
                "expert_id"
            ),
        )
        .filter(
            pk__in=Expert.regions.through.objects.filter(region_id__in=regions).values("expert_id")
        )
        .exclude(pk__in=PanelMember.objects.filter(tender=tender).values("expert_id"))
        .exclude(user_id__in=bidders)
        .exclude(user_id__in=officers)
        .select_related("user")
        .order_by("pk")
    )


def expert_exclusions(tender, experts) -> dict[int, str]:
    """Why each of `experts` may not be put on the tender's panel by name, by expert pk:
    "inactive", "seated", "bidder" or "officer". Experts missing from the result may be named."""
    ids = [expert.pk for expert in experts]
    bidders, officers = _excluded_user_ids(tender)
    reasons = {}
    for pk in Expert.objects.filter(pk__in=ids, user_id__in=officers).values_list("pk", flat=True):
        reasons[pk] = "officer"
    for pk in Expert.objects.filter(pk__in=ids, user_id__in=bidders).values_list("pk", flat=True):
        reasons[pk] = "bidder"
    for pk in PanelMember.objects.filter(tender=tender, expert_id__in=ids).values_list(
        "expert_id", flat=True
    ):
        reasons[pk] = "seated"
    for pk in (
        Expert.objects.filter(pk__in=ids)
        .filter(Q(is_active=False) | Q(user__is_active=False))
        .values_list("pk", flat=True)
    ):
        reasons[pk] = "inactive"
    return reasons


def panel_draw_pick(seed: int, candidates: list[int], size: int) -> list[int]:
    """The draw itself: `size` of the candidate ids, chosen by a generator seeded with `seed`.
    Everything needed to repeat it is stored on the PanelDraw."""
    # The seed comes from `secrets`; a seeded (hence reproducible) generator is the point.
    return random.Random(seed).sample(list(candidates), size)  # noqa: S311


def panel_draw_replay(draw: PanelDraw) -> list[int]:
    """Recompute a stored draw from its seed and candidates; equals `draw.drawn` unless the
    record was tampered with."""
    return panel_draw_pick(draw.seed, draw.candidates, len(draw.drawn))


def panel_seat_count(tender) -> int:
    """Seats that count towards the panel's size: pending or active, not recused."""
    return PanelMember.objects.filter(tender=tender, status__in=[Seat.PENDING, Seat.ACTIVE]).count()


def panel_seats_for_user(user):
    """The expert's seats on tenders that have been opened, newest first (paginated by the
    view). Seats on tenders not yet opened are not shown: the expert learns of them at the
    opening."""
    if not (user and user.is_authenticated):
        return PanelMember.objects.none()
    return (
        PanelMember.objects.filter(opened_q("tender__"), expert__user=user)
        .select_related("tender__buyer", "tender__category", "tender__region")
        .order_by("-created_at", "-pk")
    )


def panel_seat_get_for_user(*, pk, user) -> PanelMember:
    """One seat of the expert's, or 404: not theirs, or the tender has not been opened."""
    try:
        return (
            panel_seats_for_user(user).select_related("expert__user", "tender__opening").get(pk=pk)
        )
    except PanelMember.DoesNotExist as error:
        raise Http404 from error


def panel_bidder_organisations(tender):
    """The organisations with a live bid on the tender, by name: what an expert declares
    conflicts against (names only, nothing of the bids)."""
    return Organisation.objects.filter(pk__in=_bidder_organisation_ids(tender)).order_by(
        "name", "pk"
    )


def panel_is_open(tender) -> bool:
    """Seats may be added: the tender is opened or being evaluated, without a current report."""
    return (
        tender.status in PANEL_OPEN_STATUSES
        and not tender.reports.filter(superseded_at__isnull=True).exists()
    )


@dataclass
class DrawRecord:
    draw: PanelDraw
    replay_matches: bool


@dataclass
class Panel:
    tender: Tender
    seats: list
    draws: list  # DrawRecord, oldest first
    panel_min: int
    counts: dict = field(default_factory=dict)  # status -> number of seats

    @property
    def seated(self) -> int:
        return self.counts.get(Seat.PENDING, 0) + self.counts.get(Seat.ACTIVE, 0)

    @property
    def shortfall(self) -> int:
        """Seats still missing to reach the method's minimum panel size."""
        return max(self.panel_min - self.seated, 0)


def panel_for_tender(tender) -> Panel:
    """The tender's panel: every seat with its expert, user, draw and conflict organisations,
    and every draw with a replay check (four queries, whatever the number of seats)."""
    seats = list(
        PanelMember.objects.filter(tender=tender)
        .select_related("expert__user", "draw")
        .prefetch_related("conflicted_with")
        .order_by("created_at", "pk")
    )
    draws = [
        DrawRecord(draw=draw, replay_matches=panel_draw_replay(draw) == list(draw.drawn))
        for draw in PanelDraw.objects.filter(tender=tender)
        .select_related("drawn_by")
        .order_by("created_at", "pk")
    ]
    counts = {}
    for seat in seats:
        counts[seat.status] = counts.get(seat.status, 0) + 1
    return Panel(
        tender=tender,
        seats=seats,
        draws=draws,
        panel_min=method_rules(tender.method)["panel_min"],
        counts=counts,
    )
