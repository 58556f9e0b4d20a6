"""Who may read which bid. Bids are sealed: before the opening (开标) only the bidding
organisation's own people can read one. Every page, download, export and email that shows
a bid reads it through here."""

import datetime
import hashlib
import json

from django.db.models import Q
from django.http import Http404

from marketplace import permissions
from marketplace.models import (
    Bid,
    BidDocument,
    BuyerMembership,
    OrganisationMembership,
    PanelMember,
    Tender,
    TenderOpening,
)


def _visible_bid_q(user) -> Q:
    if not (user and user.is_authenticated):
        return Q(pk__in=[])
    own = OrganisationMembership.objects.filter(user=user).values("organisation_id")
    buying = BuyerMembership.objects.filter(user=user).values("buyer_id")
    # An active panel expert (declared, no conflict) reads the live bids of that tender once
    # it has been opened; pending and recused experts read nothing.
    seated = PanelMember.objects.filter(
        Q(tender__opening__isnull=False)
        | Q(tender__status__in=[Tender.Status.EVALUATING, Tender.Status.AWARDED]),
        expert__user=user,
        status=PanelMember.Status.ACTIVE,
    ).values("tender_id")
    return (
        Q(organisation_id__in=own)
        | Q(Bid.LIVE, tender__buyer_id__in=buying, tender__opening__isnull=False)
        | Q(Bid.LIVE, tender_id__in=seated)
    )


def bid_list_for_user(user, *, tender=None):
    """The bids `user` may read: their organisations' own bids (any status, any time), and
    the live bids of their buyer's tenders once those have been opened, and those of the
    tenders on whose panel they sit as active experts, once opened. Nobody else: not staff,
    not other bidders, not the public."""
    bids = Bid.objects.filter(_visible_bid_q(user))
    if tender is not None:
        bids = bids.filter(tender=tender)
    return bids.select_related("tender", "organisation").order_by("-submitted_at", "-pk")


def bid_get_for_user(*, pk, user) -> Bid:
    """One bid with its documents, or 404 if `user` may not read it (sealed or not theirs)."""
    try:
        return (
            Bid.objects.filter(_visible_bid_q(user))
            .select_related("tender__buyer", "organisation")
            .prefetch_related("documents")
            .get(pk=pk)
        )
    except Bid.DoesNotExist as error:
        raise Http404 from error


def bid_document_get_for_user(*, pk, user) -> BidDocument:
    """A bid file for the download view, under the same rule as the bid itself."""
    visible = Bid.objects.filter(_visible_bid_q(user)).values("pk")
    try:
        return BidDocument.objects.select_related("bid").get(pk=pk, bid_id__in=visible)
    except BidDocument.DoesNotExist as error:
        raise Http404 from error


def bid_live_for(*, tender, organisation) -> Bid | None:
    return Bid.objects.filter(Bid.LIVE, tender=tender, organisation=organisation).first()


def opening_get_for_user(*, tender, user) -> TenderOpening | None:
    """The opening record, for the buyer's officers and every organisation whose bid was
    opened (not one that withdrew before the deadline)."""
    opening = TenderOpening.objects.filter(tender=tender).first()
    if opening is None:
        return None
    if permissions.can_manage_tender(user, tender):
        return opening
    if (
        user.is_authenticated
        and Bid.objects.filter(
            Bid.LIVE,
            tender=tender,
            organisation__memberships__user=user,
        ).exists()
    ):
        return opening
    return None


def bid_receipt_hash(bid, documents) -> str:
    """SHA-256 of what was submitted, in a canonical form anyone can recompute from the
    stored bid: the receipt (回执) proves what the organisation sent, and when."""
    content = {
        "tender": bid.tender_id,
        "tender_version": bid.tender_version,
        "organisation": bid.organisation_id,
        "amount": f"{bid.amount.amount:.2f}",
        "currency": str(bid.amount.currency),
        "service_plan": bid.service_plan,
        "team": bid.team,
        "outputs": bid.outputs,
        "beneficiaries": bid.beneficiaries,
        "documents": sorted([d["title"], d["sha256"]] for d in documents),
        "submitted_at": bid.submitted_at.astimezone(datetime.UTC).isoformat(),
    }
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
