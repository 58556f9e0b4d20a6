"""Writes about tenders: drafting, publishing, amending, cancelling, and the clock-driven
close (bidding closed, or failed for too few bids)."""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from marketplace import events, permissions
from marketplace.dates import db_now, earliest_deadline
from marketplace.models import Bid, CommunityListItem, Tender, TenderDocument, TenderVersion
from marketplace.selectors.tenders import (
    PUBLIC_COUNT_KEY,
    REQUIREMENT_FIELDS,
    method_rules,
    snapshot_diff,
    tender_snapshot,
)
from marketplace.services.audit import audit_record
from marketplace.services.documents import documents_check
from marketplace.workflows import transition

EDITABLE_FIELDS = (
    "title",
    "description",
    "category",
    "region",
    "budget",
    "project_cap",
    "funding_source",
    "assistance_item",
    "method",
    "min_rating_level",
    "min_years_registered",
    "contract_months",
    "continuous_service",
    "clarification_deadline",
    "bid_deadline",
    "opening_at",
)


def _require_officer(by, buyer_id):
    if not permissions.is_buyer_officer(by, buyer_id):
        raise PermissionDenied(_("只有该购买主体的经办人可以管理其服务项目。"))


def _check_fields(fields):
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown tender fields: {sorted(unknown)}")


def _check_project_cap(tender, errors):
    """公益创投: the budget is the funding pool and each project may ask at most the cap,
    which is required, positive and within the pool; other methods have no cap."""
    cap = tender.project_cap
    if errors.get("project_cap"):
        return
    if tender.method != Tender.Method.VENTURE:
        if cap is not None:
            errors["project_cap"] = [_("只有公益创投可以设置单个项目资助上限，请清空此项。")]
        return
    if cap is None:
        errors["project_cap"] = [_("公益创投须填写单个项目资助上限。")]
    elif str(cap.currency) != "CNY":
        errors["project_cap"] = [_("单个项目资助上限须以人民币（CNY）填写。")]
    elif cap.amount <= 0:
        errors["project_cap"] = [_("单个项目资助上限必须大于0。")]
    elif (
        tender.budget is not None
        and "budget" not in errors
        and str(tender.budget.currency) == "CNY"
        and cap > tender.budget
    ):
        errors["project_cap"] = [
            _("单个项目资助上限 %(cap)s 不得超过预算金额（资助总额）%(budget)s。")
            % {"cap": cap, "budget": tender.budget}
        ]


def _check_rules(tender, criteria, milestones, invited):
    """The rules a tender must meet to be saved at all; every failure reported at once."""
    errors = {}
    try:
        # The database constraints are checked below, each on its own field.
        tender.full_clean(
            exclude=["invited", "created_by", "buyer", "version"], validate_constraints=False
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if tender.budget is not None and "budget" not in errors:
        if str(tender.budget.currency) != "CNY":
            errors["budget"] = [_("预算金额须以人民币（CNY）填写。")]
        elif tender.budget.amount <= 0:
            errors["budget"] = [_("预算金额必须大于0。")]
    _check_project_cap(tender, errors)
    if tender.clarification_deadline and tender.bid_deadline and tender.opening_at:
        if tender.clarification_deadline > tender.bid_deadline:
            errors.setdefault("clarification_deadline", []).append(
                _("答疑截止时间不得晚于投标截止时间。")
            )
        if tender.opening_at < tender.bid_deadline:
            errors.setdefault("opening_at", []).append(_("开标时间不得早于投标截止时间。"))
    if tender.contract_months and tender.contract_months > (
        36 if tender.continuous_service else 12
    ):
        errors.setdefault("contract_months", []).append(_("服务期限最长1年；连续性服务最长3年。"))
    category = tender.category if tender.category_id else None
    if category and category.prohibited_item_id:
        item = category.prohibited_item
        errors.setdefault("category", []).append(
            _("“%(category)s”属于负面清单事项“%(item)s”，不得作为政府购买服务项目：%(reason)s")
            % {"category": category.name, "item": item.name, "reason": item.reason}
        )
    if tender.assistance_item_id:
        if tender.assistance_item.kind != CommunityListItem.Kind.ASSISTANCE:
            errors.setdefault("assistance_item", []).append(
                _(
                    "只能引用协助政府工作事项；自治组织依法履职事项由社区自行承担，不向社会组织购买。"
                )
            )
        if not tender.funding_source.strip():
            errors.setdefault("funding_source", []).append(
                _("引用协助政府工作事项时必须写明资金来源（费随事转）。")
            )
    weights = [criterion["weight"] for criterion in criteria]
    if not criteria or sum(weights) != 100:
        errors.setdefault("criteria", []).append(
            _("评分项权重合计须为100，当前为 %(total)d。") % {"total": sum(weights)}
        )
    prices = [criterion for criterion in criteria if criterion.get("is_price")]
    if len(prices) > 1:
        errors.setdefault("criteria", []).append(_("最多只能有一项价格分。"))
    if prices and tender.method == Tender.Method.VENTURE:
        errors.setdefault("criteria", []).append(_("公益创投按申请资助金额评审，不设价格分。"))
    if any(not str(c.get("name", "")).strip() or c["weight"] <= 0 for c in criteria):
        errors.setdefault("criteria", []).append(_("每个评分项都需要名称和大于0的权重。"))
    shares = [milestone["percentage"] for milestone in milestones]
    if not milestones or sum(shares) != 100:
        errors.setdefault("milestones", []).append(
            _("付款节点比例合计须为100%%，当前为 %(total)d%%。") % {"total": sum(shares)}
        )
    if any(not str(m.get("name", "")).strip() or m["percentage"] <= 0 for m in milestones):
        errors.setdefault("milestones", []).append(_("每个付款节点都需要名称和大于0的比例。"))
    if tender.method == Tender.Method.SINGLE_SOURCE and len(invited) != 1:
        errors.setdefault("invited", []).append(_("单一来源采购须指定且仅指定一家社会组织。"))
    elif tender.method == Tender.Method.INVITED and len(invited) < 3:
        errors.setdefault("invited", []).append(_("邀请招标须邀请至少3家社会组织。"))
    if errors:
        raise ValidationError(errors)


def _check_period(tender, start):
    """The bid deadline leaves at least the method's minimum period after `start`."""
    period = method_rules(tender.method)["min_period"]
    earliest = earliest_deadline(start, period)
    if tender.bid_deadline < earliest:
        unit = _("日") if period[0] == "days" else _("个工作日")
        raise ValidationError(
            {
                "bid_deadline": _(
                    "%(method)s自公告发布（或实质性变更）之日起至投标截止不得少于%(count)d%(unit)s，"
                    "投标截止时间最早可设为 %(earliest)s。"
                )
                % {
                    "method": tender.get_method_display(),
                    "count": period[1],
                    "unit": unit,
                    "earliest": formats.date_format(timezone.localtime(earliest), "Y-m-d H:i"),
                }
            },
            code="period_too_short",
        )
    if tender.clarification_deadline <= start:
        raise ValidationError({"clarification_deadline": _("答疑截止时间必须晚于现在。")})


def _save_parts(tender, *, by, criteria, milestones, invited, documents):
    if criteria is not None:
        tender.criteria.all().delete()
        tender.criteria.bulk_create(
            tender.criteria.model(
                tender=tender,
                position=position,
                name=c["name"].strip(),
                weight=c["weight"],
                is_price=bool(c.get("is_price")),
            )
            for position, c in enumerate(criteria)
        )
    if milestones is not None:
        tender.milestones.all().delete()
        tender.milestones.bulk_create(
            tender.milestones.model(
                tender=tender, position=position, name=m["name"].strip(), percentage=m["percentage"]
            )
            for position, m in enumerate(milestones)
        )
    if invited is not None:
        tender.invited.set(invited)
    for document in documents:
        TenderDocument.objects.create(tender=tender, uploaded_by=by, **document)


def _current_parts(tender):
    criteria = [
        {"name": c.name, "weight": c.weight, "is_price": c.is_price} for c in tender.criteria.all()
    ]
    milestones = [{"name": m.name, "percentage": m.percentage} for m in tender.milestones.all()]
    return criteria, milestones, list(tender.invited.all())


def _apply(tender, *, by, changes, criteria, milestones, invited, documents):
    """Apply changes to a locked tender; parts given as None stay as they are."""
    current_criteria, current_milestones, current_invited = _current_parts(tender)
    for name, value in changes.items():
        setattr(tender, name, value)
    _check_rules(
        tender,
        current_criteria if criteria is None else criteria,
        current_milestones if milestones is None else milestones,
        current_invited if invited is None else list(invited),
    )
    checked = documents_check(documents, limit=settings.DOCUMENTS_PER_UPLOAD)
    tender.save()
    _save_parts(
        tender, by=by, criteria=criteria, milestones=milestones, invited=invited, documents=checked
    )


@transaction.atomic
def tender_create(*, by, buyer, criteria, milestones, invited=(), documents=(), **fields) -> Tender:
    """Save a new draft tender for `buyer`. Rules: the actor is the buyer's officer; the
    category is not on the negative list; criteria weights and milestone shares sum to 100;
    an assistance item needs a funding source; term ≤ 1 year (3 if continuous)."""
    _require_officer(by, buyer.pk)
    _check_fields(fields)
    tender = Tender(buyer=buyer, created_by=by, **fields)
    _check_rules(tender, criteria, milestones, list(invited))
    checked = documents_check(documents, limit=settings.DOCUMENTS_PER_UPLOAD)
    tender.save()
    _save_parts(
        tender, by=by, criteria=criteria, milestones=milestones, invited=invited, documents=checked
    )
    audit_record(obj=tender, by=by, action="create", to_status=tender.status)
    return tender


@transaction.atomic
def tender_update(
    *, tender, by, criteria=None, milestones=None, invited=None, documents=(), **changes
) -> Tender:
    """Change a draft. A published tender changes only through `tender_amend`."""
    _require_officer(by, tender.buyer_id)
    _check_fields(changes)
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    if tender.status != Tender.Status.DRAFT:
        raise ValidationError(_("已发布的项目只能通过变更公告修改。"), code="not_draft")
    _apply(
        tender,
        by=by,
        changes=changes,
        criteria=criteria,
        milestones=milestones,
        invited=invited,
        documents=documents,
    )
    audit_record(obj=tender, by=by, action="update", data={"fields": sorted(changes)})
    return tender


@transaction.atomic
def tender_publish(*, tender, by) -> Tender:
    """Publish a draft as version 1. Rules: all save rules hold, and the bid deadline leaves
    the method's minimum period after now (calendar or working days, by the database clock)."""
    _require_officer(by, tender.buyer_id)
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    criteria, milestones, invited = _current_parts(tender)
    _check_rules(tender, criteria, milestones, invited)
    now = db_now()
    _check_period(tender, now)
    tender = transition(tender, Tender.Status.PUBLISHED, by=by, expected_from={Tender.Status.DRAFT})
    tender.published_at = now
    tender.version = 1
    tender.save(update_fields=["published_at", "version", "updated_at"])
    TenderVersion.objects.create(
        tender=tender, number=1, snapshot=tender_snapshot(tender), created_by=by
    )
    transaction.on_commit(lambda: cache.delete(PUBLIC_COUNT_KEY))
    return tender


@transaction.atomic
def tender_amend(
    *,
    tender,
    by,
    note,
    criteria=None,
    milestones=None,
    invited=None,
    documents=(),
    remove_documents=(),
    **changes,
) -> TenderVersion:
    """Publish an amendment (变更公告) as a new public version with its differences.

    Rules: only before the bid deadline; the method and buyer stay; a change to the
    requirements restarts the method's minimum period, so the deadline must move out; every
    live bid must then be re-confirmed by its organisation.
    """
    _require_officer(by, tender.buyer_id)
    _check_fields(changes)
    if "method" in changes and changes["method"] != tender.method:
        raise ValidationError({"method": _("发布后不能变更采购方式，请取消后重新发布。")})
    if not note.strip():
        raise ValidationError({"note": _("请填写变更说明，说明将随变更公告公开。")})
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    now = db_now()
    if tender.status != Tender.Status.PUBLISHED or now >= tender.bid_deadline:
        raise ValidationError(_("只有投标截止前的已发布项目可以变更。"), code="not_amendable")
    before = tender_snapshot(tender)
    previous_deadline = tender.bid_deadline
    _apply(
        tender,
        by=by,
        changes=changes,
        criteria=criteria,
        milestones=milestones,
        invited=invited,
        documents=documents,
    )
    tender.documents.filter(pk__in=list(remove_documents), removed_in_version=None).update(
        removed_in_version=tender.version + 1
    )
    after = tender_snapshot(tender)
    changes_list = snapshot_diff(before, after)
    if not changes_list:
        raise ValidationError(_("没有任何变更。"), code="no_changes")
    requirements_changed = any(change["field"] in REQUIREMENT_FIELDS for change in changes_list)
    if requirements_changed:
        _check_period(tender, now)
    elif tender.bid_deadline <= now or tender.clarification_deadline <= now:
        raise ValidationError({"bid_deadline": _("截止时间必须晚于现在。")})
    elif tender.bid_deadline < previous_deadline:
        # An earlier deadline may not cut the minimum period that began at publication or at
        # the last amendment that changed requirements.
        restart = tender.versions.filter(requirements_changed=True).order_by("-number").first()
        _check_period(tender, restart.created_at if restart else tender.published_at)
    tender.version += 1
    tender.save(update_fields=["version", "updated_at"])
    version = TenderVersion.objects.create(
        tender=tender,
        number=tender.version,
        snapshot=after,
        changes=changes_list,
        note=note.strip(),
        requirements_changed=requirements_changed,
        created_by=by,
    )
    reconfirm = tender.bids.filter(Bid.LIVE).update(needs_reconfirmation=True, reconfirmed_at=None)
    audit_record(
        obj=tender,
        by=by,
        action="amend",
        reason=note.strip(),
        data={
            "version": tender.version,
            "fields": [change["field"] for change in changes_list],
            "bids_to_reconfirm": reconfirm,
        },
    )
    transaction.on_commit(
        lambda: events.tender_amended.send(sender=Tender, instance=tender, version=version)
    )
    return version


def tender_cancel(*, tender, by, reason) -> Tender:
    """Cancel a tender at any point before it ends; the reason is published."""
    return transition(tender, Tender.Status.CANCELLED, by=by, reason=reason)


def tender_fail(*, tender, by, reason) -> Tender:
    """Declare a tender failed (流标) after the opening: too few valid bids, or none that
    complies. The reason is published."""
    return transition(tender, Tender.Status.FAILED, by=by, reason=reason)


@transaction.atomic
def tender_close(*, tender) -> Tender:
    """Close bidding on a published tender whose deadline has passed (the platform acts).

    Rule: with fewer live bids than the method's minimum the tender fails (流标) instead.
    Returns the tender unchanged if it is not yet due or no longer published (idempotent).
    """
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    if tender.status != Tender.Status.PUBLISHED or db_now() < tender.bid_deadline:
        return tender
    tender = transition(tender, Tender.Status.CLOSED, by=None)
    live = tender.bids.filter(Bid.LIVE).count()
    minimum = method_rules(tender.method)["min_bids"]
    if live < minimum:
        tender = transition(
            tender,
            Tender.Status.FAILED,
            by=None,
            reason=_("投标截止时有效投标 %(count)d 家，少于%(method)s要求的 %(minimum)d 家。")
            % {"count": live, "method": tender.get_method_display(), "minimum": minimum},
        )
    return tender


def tenders_advance_deadlines() -> dict[str, int]:
    """Close every published tender whose bid deadline has passed; safe to run every minute."""
    due = Tender.objects.filter(
        status=Tender.Status.PUBLISHED, bid_deadline__lte=timezone.now()
    ).values_list("pk", flat=True)
    outcome = {"closed": 0, "failed": 0}
    for pk in list(due):
        tender = tender_close(tender=Tender(pk=pk))
        if tender.status == Tender.Status.CLOSED:
            outcome["closed"] += 1
        elif tender.status == Tender.Status.FAILED:
            outcome["failed"] += 1
    return outcome
