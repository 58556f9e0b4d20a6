"""Two-way evaluation pages (双向评估): each side scores the other at completion (and,
optionally, after an accepted milestone); neither sees the other's evaluation before the
reveal; after it, both sit side by side with the measured facts, and the rated side may
appeal once.

What a user may see of a round is decided by `selectors.ratings.rating_round_view`; the
services check every write again. Nothing here decides a business rule."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace.forms.ratings import AppealForm, RatingForm
from marketplace.models import Milestone, Rating
from marketplace.selectors.payments import buyer_punctuality
from marketplace.selectors.rating_pages import (
    milestone_get_for_rating,
    rating_round_get_for_page,
    rating_rounds_for_contract,
)
from marketplace.selectors.ratings import organisation_on_time_delivery, rating_round_view
from marketplace.services.ratings import rating_appeal_file, rating_round_open, rating_submit
from marketplace.views import add_service_errors

# Milestones whose optional evaluation may be opened (the service checks it again).
RATEABLE_MILESTONES = (Milestone.Status.ACCEPTED, Milestone.Status.PAID)


def _page_url(rating_round) -> str:
    if rating_round.milestone_id is None:
        return reverse("contract_evaluation", args=[rating_round.contract_id])
    return reverse(
        "milestone_evaluation", args=[rating_round.contract_id, rating_round.milestone_id]
    )


def _side_by_side(view) -> list[dict]:
    """After the reveal: each side's evaluation (or its absence) next to the measured fact
    about the side it rates. Nothing before the reveal."""
    if not view.visible:
        return []
    contract = view.rating_round.contract
    by_side = {rating.side: rating for rating in view.ratings}
    return [
        {
            "side": Rating.Side.BUYER,
            "title": _("购买主体对承接主体的评价"),
            "rating": by_side.get(Rating.Side.BUYER),
            "on_time": organisation_on_time_delivery(contract.organisation),
        },
        {
            "side": Rating.Side.ORGANISATION,
            "title": _("承接主体对购买主体的评价"),
            "rating": by_side.get(Rating.Side.ORGANISATION),
            "punctuality": buyer_punctuality(contract.buyer),
        },
    ]


def _round_page(request, rating_round, *, form=None, appeal_form=None, status=200):
    view = rating_round_view(rating_round, request.user)
    if form is None and view.can_edit:
        form = RatingForm(dimensions=view.dimensions, initial=RatingForm.initial_from(view.own))
    if appeal_form is None and view.can_appeal:
        appeal_form = AppealForm()
    return render(
        request,
        "marketplace/rating_form.html",
        {
            "rating_round": rating_round,
            "contract": rating_round.contract,
            "view": view,
            "form": form if view.can_edit else None,
            "appeal_form": appeal_form if view.can_appeal else None,
            "columns": _side_by_side(view),
            "page_url": _page_url(rating_round),
        },
        status=status,
    )


def _submit(request, rating_round):
    view = rating_round_view(rating_round, request.user)
    if not view.can_edit:
        raise PermissionDenied
    form = RatingForm(request.POST, dimensions=view.dimensions)
    if form.is_valid():
        try:
            rating_submit(
                rating_round=rating_round,
                side=view.own_side,
                by=request.user,
                scores=form.scores(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("评价已保存。揭晓前您可以修改；对方只会知道您已提交，看不到内容。")
                if view.own is None
                else _("评价已修改。"),
            )
            return redirect(_page_url(rating_round))
    return _round_page(request, rating_round, form=form, status=400)


def _appeal(request, rating_round):
    view = rating_round_view(rating_round, request.user)
    if not view.can_appeal or view.other is None:
        raise PermissionDenied
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            rating_appeal_file(
                rating=view.other, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("申诉已提交，平台工作人员处理后会通知双方。"))
            return redirect(_page_url(rating_round))
    return _round_page(request, rating_round, appeal_form=form, status=400)


def _dispatch(request, rating_round):
    if request.method == "POST":
        if request.POST.get("action") == "appeal":
            return _appeal(request, rating_round)
        return _submit(request, rating_round)
    return _round_page(request, rating_round)


@login_required
def contract_evaluation(request, pk):
    """The completion evaluation of a contract: the user's side's form while it is open,
    the other side's state (never its content) before the reveal, both after it."""
    rating_round = rating_round_get_for_page(contract_pk=pk, user=request.user)
    return _dispatch(request, rating_round)


@login_required
def milestone_evaluation(request, pk, milestone_pk):
    """The optional evaluation after an accepted milestone: a party opens it (POST), then
    it works like the completion evaluation."""
    try:
        rating_round = rating_round_get_for_page(
            contract_pk=pk, milestone_pk=milestone_pk, user=request.user
        )
    except Http404:
        rating_round = None
    if rating_round is not None:
        return _dispatch(request, rating_round)
    milestone = milestone_get_for_rating(
        contract_pk=pk, milestone_pk=milestone_pk, user=request.user
    )
    status = 200
    if request.method == "POST":
        try:
            rating_round_open(contract=milestone.contract, milestone=milestone)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            status = 400
        else:
            messages.success(request, _("节点评估已开启，双方均可提交评价。"))
            return redirect("milestone_evaluation", pk, milestone_pk)
    return render(
        request,
        "marketplace/rating_open.html",
        {"contract": milestone.contract, "milestone": milestone},
        status=status,
    )


def evaluation_links(contract, milestones) -> list[dict]:
    """For the contract's manage page: its completion evaluation (once opened) and, per
    accepted or paid milestone, its optional evaluation (opened or not)."""
    rounds = rating_rounds_for_contract(contract)
    by_milestone = {r.milestone_id: r for r in rounds if r.milestone_id is not None}
    links = [
        {
            "label": _("结项评估"),
            "url": reverse("contract_evaluation", args=[contract.pk]),
            "round": rating_round,
        }
        for rating_round in rounds
        if rating_round.milestone_id is None
    ]
    links += [
        {
            "label": _("节点评估：%(name)s") % {"name": milestone.name},
            "url": reverse("milestone_evaluation", args=[contract.pk, milestone.pk]),
            "round": by_milestone.get(milestone.pk),
        }
        for milestone in milestones
        if milestone.status in RATEABLE_MILESTONES or milestone.pk in by_milestone
    ]
    return links
