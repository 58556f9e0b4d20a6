"""Expert panels: the expert's workspace (my seats, the conflict declaration, the bids to
score) and the buyer's panel page (draw, name, the draws with their replay check).

An expert reaches only their own seats, on opened tenders (404 otherwise); the buyer's pages
are for whoever runs the tender's evaluation (404 otherwise). The services check again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace.forms.panels import DeclarationForm, PanelDrawForm, PanelNameForm
from marketplace.models import PanelMember
from marketplace.selectors.evaluations import evaluation_results, tender_get_for_evaluation
from marketplace.selectors.panels import (
    expert_pool_for,
    panel_bidder_organisations,
    panel_for_tender,
    panel_is_open,
    panel_seat_get_for_user,
    panel_seats_for_user,
)
from marketplace.selectors.tenders import method_rules
from marketplace.services.panels import panel_declare, panel_draw, panel_name
from marketplace.views import add_service_errors, paginate

Seat = PanelMember.Status


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- The expert's workspace -----------------------------------------------------------------


@login_required
def expert_home(request):
    """My panel seats on opened tenders, newest first, each with its status."""
    if not hasattr(request.user, "expert"):
        raise PermissionDenied
    page = paginate(request, panel_seats_for_user(request.user))
    return render(request, "marketplace/expert_home.html", {"page": page})


def _seat_page(request, seat, form=None):
    tender = seat.tender
    context = {"seat": seat, "tender": tender}
    if seat.status == Seat.PENDING:
        organisations = panel_bidder_organisations(tender)
        context["form"] = form or DeclarationForm(organisations=organisations)
        context["organisations"] = organisations
    elif seat.status == Seat.ACTIVE:
        results = evaluation_results(tender)
        scored = sum(1 for criterion in results.criteria if not criterion.is_price)
        context.update(
            rows=[(row, len(row.by_expert.get(seat.pk, {}))) for row in results.rows if row.valid],
            scored_criteria=scored,
            progress=results.progress.get(seat.pk, (0, 0)),
        )
    return render(request, "marketplace/expert_seat.html", context)


@login_required
def expert_seat(request, pk):
    """One seat: the declaration while pending, the bids to score once active, a notice once
    recused."""
    return _seat_page(request, panel_seat_get_for_user(pk=pk, user=request.user))


@login_required
@require_POST
def expert_declare(request, pk):
    seat = panel_seat_get_for_user(pk=pk, user=request.user)
    form = DeclarationForm(request.POST, organisations=panel_bidder_organisations(seat.tender))
    if not form.is_valid():
        return _seat_page(request, seat, form)
    try:
        seat = panel_declare(
            member=seat,
            by=request.user,
            conflicts=form.cleaned_data["conflicts"],
            details=form.cleaned_data["details"],
            organisations=form.cleaned_data["organisations"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _seat_page(request, seat, form)
    if seat.status == Seat.ACTIVE:
        messages.success(request, _("声明已提交，您可以开始评审。"))
    else:
        messages.success(request, _("声明已提交，您已回避本项目的评审。感谢如实申报。"))
    return redirect("expert_seat", seat.pk)


# --- The buyer's panel page -----------------------------------------------------------------


@login_required
def panel_manage(request, pk):
    """The tender's panel: seats with status and source, every draw with its seed and a
    replay check, and the draw and naming forms while the panel may change."""
    tender = tender_get_for_evaluation(pk=pk, user=request.user)
    panel = panel_for_tender(tender)
    can_change = panel_is_open(tender)
    named = method_rules(tender.method)["named_panel"]
    return render(
        request,
        "marketplace/panel_manage.html",
        {
            "tender": tender,
            "panel": panel,
            "can_change": can_change,
            "named_panel": named,
            "draw_form": PanelDrawForm(initial={"size": panel.shortfall or None}),
            "name_form": PanelNameForm(pool=expert_pool_for(tender))
            if can_change and named
            else None,
        },
    )


@login_required
@require_POST
def panel_draw_view(request, pk):
    tender = tender_get_for_evaluation(pk=pk, user=request.user)
    form = PanelDrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("抽取人数须为1至50之间的整数。"))
        return redirect("panel_manage", tender.pk)
    try:
        draw = panel_draw(tender=tender, by=request.user, size=form.cleaned_data["size"])
    except ValidationError as error:
        messages.error(request, _("未能抽取：%(errors)s") % {"errors": _error_text(error)})
    else:
        messages.success(
            request,
            _("已从 %(candidates)d 名符合条件的专家中随机抽取 %(count)d 名。")
            % {"candidates": len(draw.candidates), "count": len(draw.drawn)},
        )
    return redirect("panel_manage", tender.pk)


@login_required
@require_POST
def panel_name_view(request, pk):
    tender = tender_get_for_evaluation(pk=pk, user=request.user)
    form = PanelNameForm(request.POST, pool=expert_pool_for(tender))
    if not form.is_valid():
        messages.error(request, _("请从列表中选择专家。"))
        return redirect("panel_manage", tender.pk)
    try:
        seats = panel_name(tender=tender, experts=form.cleaned_data["experts"], by=request.user)
    except ValidationError as error:
        messages.error(request, _("未能指定：%(errors)s") % {"errors": _error_text(error)})
    else:
        messages.success(request, _("已指定 %(count)d 名专家。") % {"count": len(seats)})
    return redirect("panel_manage", tender.pk)
