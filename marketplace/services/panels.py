"""Writes about expert panels: the random draw (and the replacement draw after a recusal),
naming experts where the method allows it, each expert's conflict declaration, and the
staff-kept expert pool (专家库).

A draw stores its seed and its candidates in order, so `panel_draw_replay` repeats it. The
first seat moves an opened tender to evaluation: the evaluation starts with forming the panel.
"""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace import permissions
from marketplace.models import Bid, Expert, PanelDraw, PanelMember, Tender
from marketplace.selectors.panels import (
    PANEL_OPEN_STATUSES,
    expert_exclusions,
    expert_pool_for,
    panel_draw_pick,
    panel_draw_replay,  # noqa: F401  (re-exported: the replay belongs with the draw)
    panel_seat_count,
)
from marketplace.selectors.tenders import method_rules
from marketplace.services.audit import audit_record
from marketplace.workflows import transition

Seat = PanelMember.Status

EXCLUSION_MESSAGES = {
    "inactive": gettext_lazy("%(name)s 不在专家库中，不能指定。"),
    "seated": gettext_lazy("%(name)s 已在本项目评审小组中。"),
    "bidder": gettext_lazy("%(name)s 是投标组织的成员，不能担任本项目评审专家。"),
    "officer": gettext_lazy("%(name)s 是采购人的经办人，不能担任本项目评审专家。"),
}


def _lock_panel_tender(tender, by) -> Tender:
    """Lock the tender (one panel change at a time) and check that `by` may change its panel
    now: opened or being evaluated, and no current evaluation report."""
    locked = Tender.objects.select_for_update().get(pk=tender.pk)
    if not permissions.can_run_evaluation(by, locked):
        raise PermissionDenied(_("只有采购人的经办人可以组建评审小组。"))
    if locked.status not in PANEL_OPEN_STATUSES:
        raise ValidationError(
            _("项目“%(status)s”，不能组建评审小组：开标后、评审报告生成前才可以。"),
            code="panel_closed",
            params={"status": Tender.Status(locked.status).label},
        )
    if locked.reports.filter(superseded_at__isnull=True).exists():
        raise ValidationError(_("评审报告已生成，不能再调整评审小组。"), code="panel_report_exists")
    return locked


def _start_evaluation(tender, by):
    """The first seat of an opened tender starts its evaluation."""
    if tender.status == Tender.Status.OPENED:
        transition(tender, Tender.Status.EVALUATING, by=by)


def _draw(tender, *, by, size, reason) -> PanelDraw:
    """Draw `size` experts from the pool, record the draw and seat them (pending)."""
    candidates = list(expert_pool_for(tender).values_list("pk", flat=True))
    if len(candidates) < size:
        raise ValidationError(
            _("需要抽取 %(needed)d 名专家，符合条件的专家库成员只有 %(available)d 名。"),
            code="pool_too_small",
            params={"needed": size, "available": len(candidates)},
        )
    seed = secrets.randbits(63)
    picked = panel_draw_pick(seed, candidates, size)
    draw = PanelDraw.objects.create(
        tender=tender,
        reason=reason,
        seed=seed,
        candidates=candidates,
        drawn=picked,
        drawn_by=by,
    )
    PanelMember.objects.bulk_create(
        PanelMember(
            tender=tender,
            expert_id=expert_id,
            source=PanelMember.Source.DRAWN,
            draw=draw,
            status=Seat.PENDING,
            added_by=by,
        )
        for expert_id in picked
    )
    audit_record(
        obj=tender,
        by=by,
        action="panel_draw",
        data={
            "draw": draw.pk,
            "reason": reason,
            "seed": str(seed),
            "candidates": len(candidates),
            "drawn": picked,
        },
    )
    return draw


@transaction.atomic
def panel_draw(*, tender: Tender, by, size: int | None = None) -> PanelDraw:
    """Draw experts for the tender's panel at random from the matching pool.

    Rules: `by` runs the tender's evaluation; the tender is opened (the first draw moves it to
    evaluation) or being evaluated without a current report; `size` defaults to the seats
    still missing to reach the method's minimum (panel_min); the pool must hold at least
    `size` experts, or nothing changes. The seed and the candidates are stored for replay.
    """
    locked = _lock_panel_tender(tender, by)
    if size is None:
        size = method_rules(locked.method)["panel_min"] - panel_seat_count(locked)
        if size <= 0:
            raise ValidationError(
                _("评审小组已达到最少人数，如需增加请填写抽取人数。"), code="panel_full"
            )
    if size < 1:
        raise ValidationError(_("抽取人数至少为1名。"), code="size_too_small")
    _start_evaluation(locked, by)
    draw = _draw(locked, by=by, size=size, reason=PanelDraw.Reason.INITIAL)
    tender.refresh_from_db(fields=["status"])
    return draw


@transaction.atomic
def panel_name(*, tender: Tender, experts, by) -> list[PanelMember]:
    """Put experts on the tender's panel by name (采购人指定), where the method allows it.

    Rules: as for a draw; the method's `named_panel` rule allows naming; each expert is in the
    pool, not already on this panel, not a member of a bidding organisation and not an
    officer of the buyer. Seats are pending until the expert declares."""
    locked = _lock_panel_tender(tender, by)
    if not method_rules(locked.method)["named_panel"]:
        raise ValidationError(
            _("%(method)s的评审专家须从专家库随机抽取，不能由采购人指定。"),
            code="named_panel_not_allowed",
            params={"method": locked.method_label},
        )
    experts = list(experts)
    if not experts:
        raise ValidationError(_("请至少选择一名专家。"), code="no_experts")
    reasons = expert_exclusions(locked, experts)
    if reasons:
        raise ValidationError(
            [
                ValidationError(EXCLUSION_MESSAGES[reasons[e.pk]], params={"name": str(e)})
                for e in experts
                if e.pk in reasons
            ]
        )
    _start_evaluation(locked, by)
    seats = PanelMember.objects.bulk_create(
        PanelMember(
            tender=locked,
            expert=expert,
            source=PanelMember.Source.NAMED,
            status=Seat.PENDING,
            added_by=by,
        )
        for expert in experts
    )
    audit_record(obj=locked, by=by, action="panel_name", data={"experts": [e.pk for e in experts]})
    tender.refresh_from_db(fields=["status"])
    return seats


@transaction.atomic
def panel_declare(
    *, member: PanelMember, by, conflicts, details: str = "", organisations=()
) -> PanelMember:
    """The expert's conflict-of-interest declaration (利益冲突声明), before seeing any bid.

    Rules: only the expert in the seat declares, once (the seat is pending), while the tender
    is opened or being evaluated. No conflict: the seat becomes active. A conflict: the
    organisations concerned (bidders of this tender) are required, and details for "other";
    the seat is recused and a replacement is drawn at once if the pool has anyone.
    """
    seat = (
        PanelMember.objects.select_for_update().select_related("expert", "tender").get(pk=member.pk)
    )
    if by is None or seat.expert.user_id != by.pk:
        raise PermissionDenied(_("只有本人可以声明利益冲突。"))
    if seat.status != Seat.PENDING:
        raise ValidationError(_("您已作出利益冲突声明，不能重复声明。"), code="declared")
    tender = seat.tender
    if tender.status not in PANEL_OPEN_STATUSES:
        raise ValidationError(
            _("项目“%(status)s”，不能再声明利益冲突。"),
            code="panel_closed",
            params={"status": Tender.Status(tender.status).label},
        )
    conflicts = list(dict.fromkeys(conflicts))
    details = (details or "").strip()
    organisations = list(organisations)
    errors = {}
    unknown = [kind for kind in conflicts if kind not in PanelMember.Conflict.values]
    if unknown:
        errors["conflicts"] = [_("未知的利益冲突类型。")]
    bidder_ids = set(
        Bid.objects.filter(Bid.LIVE, tender=tender).values_list("organisation_id", flat=True)
    )
    if any(organisation.pk not in bidder_ids for organisation in organisations):
        errors["organisations"] = [_("只能选择本项目的投标组织。")]
    if conflicts and not organisations:
        errors.setdefault("organisations", []).append(
            _("声明利益冲突时，请选择存在利害关系的投标组织。")
        )
    if not conflicts and organisations:
        errors["conflicts"] = [_("选择了投标组织，请同时勾选利益冲突的类型。")]
    if PanelMember.Conflict.OTHER in conflicts and not details:
        errors["details"] = [_("选择“其他利害关系”时，请说明具体情况。")]
    if errors:
        raise ValidationError(errors)

    seat.conflicts = conflicts
    seat.conflict_details = details
    seat.declared_at = timezone.now()
    seat.save(update_fields=["conflicts", "conflict_details", "declared_at", "updated_at"])
    seat.conflicted_with.set(organisations)
    transition(
        seat,
        Seat.RECUSED if conflicts else Seat.ACTIVE,
        by=by,
        reason=details,
        action="panel_declare",
        data={"conflicts": conflicts, "organisations": [o.pk for o in organisations]},
    )
    if seat.status == Seat.RECUSED:
        # Lock the tender so a replacement and a buyer's draw cannot seat the same expert.
        locked = Tender.objects.select_for_update().get(pk=tender.pk)
        if expert_pool_for(locked).exists():
            _draw(locked, by=by, size=1, reason=PanelDraw.Reason.REPLACEMENT)
    member.refresh_from_db(fields=["status"])
    return seat


# --- The expert pool (专家库), kept by platform staff ---------------------------------------


@transaction.atomic
def expert_save(*, expert: Expert, by, categories=None, regions=None) -> Expert:
    """Staff add an expert to the pool or correct one (title, employer, fields, regions,
    in or out of the pool). Rules: staff only; one expert per user; audited."""
    if not permissions.is_staff(by):
        raise PermissionDenied(_("只有平台工作人员可以维护专家库。"))
    adding = expert._state.adding
    changed = []
    if not adding:
        stored = Expert.objects.select_for_update().get(pk=expert.pk)
        changed = sorted(
            f.name
            for f in Expert._meta.concrete_fields
            if getattr(stored, f.attname) != getattr(expert, f.attname)
        )
    expert.full_clean()
    expert.save()
    if categories is not None:
        if set(expert.categories.values_list("pk", flat=True)) != {c.pk for c in categories}:
            changed.append("categories")
        expert.categories.set(categories)
    if regions is not None:
        if set(expert.regions.values_list("pk", flat=True)) != {r.pk for r in regions}:
            changed.append("regions")
        expert.regions.set(regions)
    audit_record(
        obj=expert,
        by=by,
        action="create" if adding else "update",
        data={} if adding else {"fields": changed},
    )
    return expert
