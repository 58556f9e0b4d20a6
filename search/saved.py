"""Saved searches (订阅): what a member saves, lists, deletes, and unsubscribes by email link.

The matching and the emails are in search/alerts.py."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import permissions
from marketplace.models import Category, Organisation, Region, Tender
from marketplace.services.audit import audit_record
from search.forms import BUDGET_FIELDS, SAVED_FILTERS
from search.models import SavedSearch
from search.types import Kind

# More would mostly be forgotten subscriptions that keep mailing.
MAX_SAVED_SEARCHES_PER_USER = 20


def saved_search_organisations(user):
    """The organisations a signed-in person may save searches for (those they are a member of)."""
    return Organisation.objects.filter(memberships__user=user).order_by("name", "pk")


def saved_search_list_for_user(user):
    """The person's own saved searches, newest first, with their organisation."""
    return SavedSearch.objects.filter(user=user).select_related("organisation")


def saved_search_get_for_user(*, pk, user) -> SavedSearch:
    """One of the person's own saved searches; anybody else's is a 404, not a 403."""
    return get_object_or_404(SavedSearch, pk=pk, user=user)


def saved_search_get_by_token(token: str) -> SavedSearch:
    """The saved search of an unsubscribe link (no login: the token is the credential)."""
    return get_object_or_404(
        SavedSearch.objects.select_related("organisation"), unsubscribe_token=token
    )


def saved_search_params(saved_search: SavedSearch) -> dict[str, str]:
    """The /search/ parameters that show the saved search's tenders."""
    params = {"kind": Kind.TENDER}
    if saved_search.query:
        params["q"] = saved_search.query
    params.update({key: str(value) for key, value in saved_search.filters.items() if value})
    return params


def _clean_filters(filters: dict) -> dict[str, str]:
    """Only the known filters, with existing codes and sane budgets; per-key errors."""
    errors, clean = {}, {}
    unknown = set(filters) - set(SAVED_FILTERS) - set(BUDGET_FIELDS)
    if unknown:
        errors["filters"] = _("不支持的筛选条件：%(names)s") % {"names": "、".join(sorted(unknown))}
    values = {key: str(filters[key]).strip() for key in filters if key not in unknown}
    values = {key: value for key, value in values.items() if value}
    checks = {
        "category": lambda code: Category.objects.filter(code=code).exists(),
        "region": lambda code: Region.objects.filter(code=code).exists(),
        "method": lambda code: code in Tender.Method.values,
    }
    for key, exists in checks.items():
        if key in values:
            if exists(values[key]):
                clean[key] = values[key]
            else:
                errors[key] = _("筛选条件“%(value)s”不存在。") % {"value": values[key]}
    amounts = {}
    for key in BUDGET_FIELDS:
        if key in values:
            try:
                amounts[key] = Decimal(values[key])
            except InvalidOperation:
                errors[key] = _("请输入金额（元）。")
                continue
            if not amounts[key].is_finite() or amounts[key] < 0:
                errors[key] = _("金额不能为负数。")
            else:
                clean[key] = str(amounts[key])
    if (
        "budget_min" in clean
        and "budget_max" in clean
        and amounts["budget_min"] > amounts["budget_max"]
    ):
        errors["budget_max"] = _("预算上限不能低于下限。")
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def saved_search_create(
    *,
    user,
    organisation: Organisation,
    name: str,
    query: str = "",
    filters: dict | None = None,
    frequency: str = SavedSearch.Frequency.DAILY,
) -> SavedSearch:
    """Save a tender search for a member of `organisation`. Rules: only members; a name;
    known filters only; an immediate or daily frequency; at most
    MAX_SAVED_SEARCHES_PER_USER per person."""
    if not permissions.is_organisation_member(user, organisation):
        raise PermissionDenied(_("只有该社会组织的成员才能保存订阅。"))
    errors = {}
    name, query = (name or "").strip(), " ".join((query or "").split())
    if not name:
        errors["name"] = _("请填写订阅名称。")
    elif len(name) > SavedSearch._meta.get_field("name").max_length:
        errors["name"] = _("订阅名称最多 60 个字。")
    if len(query) > SavedSearch._meta.get_field("query").max_length:
        errors["query"] = _("关键词最多 100 个字。")
    if frequency not in SavedSearch.Frequency.values:
        errors["frequency"] = _("请选择即时提醒或每日汇总。")
    try:
        clean_filters = _clean_filters(filters or {})
    except ValidationError as error:
        errors.update(error.error_dict)
    if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES_PER_USER:
        errors["name"] = _("每人最多保存 %(count)d 个订阅，请先删除不用的订阅。") % {
            "count": MAX_SAVED_SEARCHES_PER_USER
        }
    if errors:
        raise ValidationError(errors)
    saved_search = SavedSearch.objects.create(
        user=user,
        organisation=organisation,
        name=name,
        query=query,
        filters=clean_filters,
        frequency=frequency,
    )
    audit_record(
        obj=saved_search,
        by=user,
        action="saved_search_create",
        data={"query": query, "filters": clean_filters, "frequency": frequency},
    )
    return saved_search


@transaction.atomic
def saved_search_delete(*, saved_search: SavedSearch, by) -> None:
    """Delete a saved search and its matches. Rule: only the person who saved it."""
    if not (by and by.is_authenticated and by.pk == saved_search.user_id):
        raise PermissionDenied(_("只能删除自己保存的订阅。"))
    audit_record(obj=saved_search, by=by, action="saved_search_delete")
    saved_search.delete()


@transaction.atomic
def saved_search_unsubscribe(*, saved_search: SavedSearch, now=None) -> SavedSearch:
    """Stop a saved search's emails (from the link in them, so by nobody signed in).
    Idempotent: a second click changes nothing."""
    saved_search = SavedSearch.objects.select_for_update().get(pk=saved_search.pk)
    if saved_search.unsubscribed_at is None:
        saved_search.unsubscribed_at = now or timezone.now()
        saved_search.save(update_fields=["unsubscribed_at"])
        audit_record(obj=saved_search, by=None, action="saved_search_unsubscribe")
    return saved_search
