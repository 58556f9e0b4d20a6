"""Reading awards and objections: the public award notices, whether an award may lead to a
contract, and who may see which objection (each selector filters by permission)."""

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from marketplace import permissions
from marketplace.models import (
    Award,
    Bid,
    BuyerMembership,
    Objection,
    ObjectionDocument,
    OrganisationMembership,
    Tender,
)


def award_list_public():
    """Standing and revoked awards, newest first, with tender, buyer and winner fetched up
    front (the page's query count does not grow with its rows). Every award is public: only
    a published, opened tender can be awarded, so the count needs no join."""
    return (
        Award.objects.all()
        .select_related("tender__buyer", "bid__organisation")
        .order_by("-published_at", "rank", "-pk")  # a funded list in its ranking order
    )


def awards_for_tender(tender):
    """A tender's awards: standing ones first by rank, then revoked ones, newest first."""
    return (
        Award.objects.filter(tender=tender)
        .select_related("bid__organisation")
        .annotate(
            revoked=Case(
                When(status=Award.Status.REVOKED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("revoked", "-published_at", "rank", "pk")
    )


def award_signable(award) -> bool:
    """Whether a contract may be signed on `award`: it stands, its notice period is over
    and no objection on the tender is open."""
    if award.status != Award.Status.NOTICE or timezone.now() < award.notice_ends_at:
        return False
    return not Objection.objects.filter(
        tender_id=award.tender_id, status=Objection.Status.OPEN
    ).exists()


@dataclass
class ObjectionSummary:
    filed: int = 0
    open: int = 0
    upheld: int = 0
    dismissed: int = 0


def objection_summary(tender) -> ObjectionSummary:
    """How many objections were filed on a tender and how they ended (no grounds: public)."""
    counts = Objection.objects.filter(tender=tender).aggregate(
        filed=Count("pk"),
        open=Count("pk", filter=Q(status=Objection.Status.OPEN)),
        upheld=Count("pk", filter=Q(status=Objection.Status.UPHELD)),
        dismissed=Count("pk", filter=Q(status=Objection.Status.DISMISSED)),
    )
    return ObjectionSummary(**counts)


def tender_bidder_emails(tender) -> list[str]:
    """Email addresses of the members of every organisation with a live bid on `tender`."""
    bidders = Bid.objects.filter(Bid.LIVE, tender=tender).values("organisation_id")
    return sorted(
        set(
            OrganisationMembership.objects.filter(organisation_id__in=bidders).values_list(
                "user__email", flat=True
            )
        )
    )


def tender_officer_emails(tender) -> list[str]:
    """Email addresses of the officers of the tender's buyer."""
    return sorted(
        set(
            BuyerMembership.objects.filter(buyer_id=tender.buyer_id).values_list(
                "user__email", flat=True
            )
        )
    )


def _evaluation_tenders_q(user, prefix="") -> Q:
    """Tenders `user` may run the evaluation of (permissions.can_run_evaluation as a filter)."""
    if not (user and user.is_authenticated):
        return Q(pk__in=[])
    delegated = permissions.venture_round_delegations(user).values("buyer_id")
    officer = BuyerMembership.objects.filter(user=user).values("buyer_id")
    return Q(**{f"{prefix}buyer_id__in": officer}) | Q(
        **{f"{prefix}method": Tender.Method.VENTURE, f"{prefix}buyer_id__in": delegated}
    )


def objection_inbox_for_user(user):
    """Objections on tenders `user` may run: open ones first (earliest due first), then
    answered ones, newest first. `is_overdue` flags a late (or still missing) answer."""
    return (
        Objection.objects.filter(_evaluation_tenders_q(user, prefix="tender__"))
        .select_related("tender__buyer", "bid__organisation")
        .annotate(
            answered=Case(
                When(status=Objection.Status.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("answered", "answer_due_at", "-created_at", "pk")
    )


def objection_get_for_answer(*, pk, user) -> Objection:
    """An objection for the answer page; 404 unless `user` may run the tender's evaluation."""
    objection = get_object_or_404(
        Objection.objects.select_related("tender__buyer", "bid__organisation", "filed_by"),
        pk=pk,
    )
    if not permissions.can_run_evaluation(user, objection.tender):
        raise Http404
    return objection


def objections_for_bidder(user, *, tender=None):
    """The objections filed by the organisations `user` belongs to (their own, answers too)."""
    if not (user and user.is_authenticated):
        return Objection.objects.none()
    objections = Objection.objects.filter(bid__organisation__memberships__user=user)
    if tender is not None:
        objections = objections.filter(tender=tender)
    return (
        objections.select_related("tender", "bid__organisation")
        .prefetch_related("documents")
        .order_by("-created_at", "-pk")
        .distinct()
    )


def objection_organisations(user, tender):
    """The organisations `user` is a member of that have a live bid on `tender`."""
    if not (user and user.is_authenticated):
        return []
    return list(
        Bid.objects.filter(Bid.LIVE, tender=tender, organisation__memberships__user=user)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def objection_document_get_for_user(*, pk, user) -> ObjectionDocument:
    """An objection document for the download view: for the members of the objecting
    organisation and the users who run the tender's evaluation; 404 for anyone else."""
    document = get_object_or_404(
        ObjectionDocument.objects.select_related("objection__tender", "objection__bid"), pk=pk
    )
    objection = document.objection
    if permissions.is_organisation_member(
        user, objection.bid.organisation_id
    ) or permissions.can_run_evaluation(user, objection.tender):
        return document
    raise Http404


@dataclass
class AwardNotice:
    """What the public award section of a tender page shows."""

    awards: list
    objections: ObjectionSummary
    now: object

    @property
    def standing(self):
        return [award for award in self.awards if award.status == Award.Status.NOTICE]

    @property
    def notice_ends_at(self):
        ends = [award.notice_ends_at for award in self.standing]
        return max(ends) if ends else None

    @property
    def notice_over(self) -> bool:
        return self.notice_ends_at is not None and self.now >= self.notice_ends_at


AWARD_STAGE = (Tender.Status.EVALUATING, Tender.Status.AWARDED, Tender.Status.CANCELLED)


def award_notice_public(tender) -> AwardNotice | None:
    """The award notice of a tender (two queries), or None before any award could exist."""
    if tender.status not in AWARD_STAGE:
        return None
    awards = list(awards_for_tender(tender))
    if not awards:
        return None
    return AwardNotice(awards=awards, objections=objection_summary(tender), now=timezone.now())
