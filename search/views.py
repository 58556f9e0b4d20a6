"""The search page, its as-you-type suggestions, and saved searches.

One results page for every kind: the boxes on /tenders/ and /organisations/ send their
query here with kind=tender or kind=organisation. Bad parameters are ignored with a message,
never a server error."""

from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.models import Category, Organisation, Region
from marketplace.templatetags.zhengshe import cny
from marketplace.views import add_service_errors
from search.analysis import query_terms
from search.backends import get_backend
from search.forms import (
    BUDGET_FIELDS,
    FACET_LABELS,
    FILTER_FACETS,
    KIND_LABELS,
    MAX_PAGE,
    SAVED_FILTERS,
    SORT_LABELS,
    SavedSearchForm,
    SearchForm,
    search_query,
)
from search.saved import (
    saved_search_create,
    saved_search_delete,
    saved_search_get_by_token,
    saved_search_get_for_user,
    saved_search_list_for_user,
    saved_search_organisations,
    saved_search_params,
    saved_search_unsubscribe,
)
from search.types import Kind, Sort

# Hits per kind on the page that shows every kind, each group linking to all of its results.
GROUP_SIZE = 5
# The empty-result page counts each broader search; a few are enough to offer.
MAX_BROADER = 6
SUGGEST_LIMIT = 8
# Tender-only sorts (deadline, budget) are not offered for organisations and results; on the
# page of every kind they order the tenders, and the other groups keep their default order.
KIND_SORTS = {
    Kind.TENDER: Sort.ALL,
    Kind.ORGANISATION: (Sort.RELEVANCE, Sort.NEWEST),
    Kind.RESULT: (Sort.RELEVANCE, Sort.NEWEST),
    "": Sort.ALL,
}


def _label(choices):
    return lambda value: dict(choices).get(value, value)


def _names(value):
    return "、".join(value) if isinstance(value, list | tuple) else value


def _deadline(value):
    moment = parse_datetime(value) if isinstance(value, str) else value
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else value


# The display fields of hits (search/backends/base.py display_fields), in the order shown: (label, formatter).
HIT_FIELDS = {
    "buyer": (gettext_lazy("购买主体"), str),
    "organisation": (gettext_lazy("承接主体"), str),
    "category": (gettext_lazy("服务类目"), str),
    "categories": (gettext_lazy("服务领域"), _names),
    "region": (gettext_lazy("地区"), str),
    "districts": (gettext_lazy("服务地区"), _names),
    "type": (gettext_lazy("类型"), _label(Organisation.Type.choices)),
    "rating_label": (gettext_lazy("评估等级"), str),
    "method_label": (gettext_lazy("采购方式"), str),
    "status_label": (gettext_lazy("状态"), str),
    "budget": (gettext_lazy("预算金额"), lambda amount: cny(Decimal(str(amount)))),
    "deadline": (gettext_lazy("投标截止时间"), _deadline),
    "amount": (gettext_lazy("合同金额"), lambda amount: cny(Decimal(str(amount)))),
    "year": (gettext_lazy("结项年份"), str),
}


def _url(params: dict[str, str], **changes) -> str:
    """/search/ with `params`, changed by `changes` (None removes a parameter)."""
    merged = dict(params)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return reverse("search") + ("?" + urlencode(merged) if merged else "")


def _merge_facets(results) -> dict:
    """Facet counts of several searches added up per value (the all-kinds page)."""
    merged: dict[str, dict[str, list]] = {}
    for result in results:
        for name, counts in result.facets.items():
            for facet in counts:
                row = merged.setdefault(name, {}).setdefault(facet.value, [facet.label, 0])
                row[1] += facet.count
    return {
        name: [
            {"value": value, "label": label, "count": count}
            for value, (label, count) in sorted(rows.items(), key=lambda item: -item[1][1])
        ]
        for name, rows in merged.items()
    }


def _facet_rows(facets: dict, params: dict) -> list[dict]:
    """Each facet with its values as links that add the filter, or remove it if active."""
    rows = []
    for name in FILTER_FACETS:
        values = [
            {
                **facet,
                "active": params.get(name) == facet["value"],
                "url": _url(
                    params,
                    **{name: None if params.get(name) == facet["value"] else facet["value"]},
                ),
            }
            for facet in facets.get(name, [])
            if facet["count"] or params.get(name) == facet["value"]
        ]
        if values:
            rows.append({"name": name, "label": FACET_LABELS[name], "values": values})
    return rows


def _filter_labels(facets: dict, params: dict) -> dict[str, str]:
    """A readable label for each active filter value: from the facet counts, else the
    catalogue or region name, else the value itself."""
    labels = {}
    for name in FILTER_FACETS:
        value = params.get(name)
        if not value:
            continue
        known = {facet["value"]: facet["label"] for facet in facets.get(name, [])}
        labels[name] = known.get(value)
    missing = {name: params[name] for name, label in labels.items() if not label}
    if "category" in missing:
        labels["category"] = (
            Category.objects.filter(code=missing["category"]).values_list("name", flat=True).first()
        )
    if "region" in missing:
        labels["region"] = (
            Region.objects.filter(code=missing["region"]).values_list("name", flat=True).first()
        )
    return {name: label or params[name] for name, label in labels.items()}


def _active_filters(params: dict, labels: dict) -> list[dict]:
    """The filters in force, each with a link that removes it."""
    active = []
    if params.get("kind"):
        active.append(
            {
                "label": _("类型：%(value)s") % {"value": KIND_LABELS[params["kind"]]},
                "url": _url(params, kind=None, sort=None),
            }
        )
    for name, label in labels.items():
        active.append(
            {
                "label": f"{FACET_LABELS[name]}：{label}",
                "url": _url(params, **{name: None}),
            }
        )
    if any(params.get(name) for name in BUDGET_FIELDS):
        low = cny(params["budget_min"]) if params.get("budget_min") else "—"
        high = cny(params["budget_max"]) if params.get("budget_max") else "—"
        active.append(
            {
                "label": _("预算：%(low)s 至 %(high)s") % {"low": low, "high": high},
                "url": _url(params, budget_min=None, budget_max=None),
            }
        )
    return active


def _broader(backend, params: dict, labels: dict) -> list[dict]:
    """Broader searches for an empty result, computed from the query: search every kind,
    drop one filter, drop the budget, drop one word. Only those that find something."""
    candidates = []
    if params.get("kind"):
        candidates.append((_("在所有类型中搜索"), {**params, "kind": None, "sort": None}))
    for name, label in labels.items():
        candidates.append((_("去掉筛选“%(label)s”") % {"label": label}, {**params, name: None}))
    if any(params.get(name) for name in BUDGET_FIELDS):
        candidates.append((_("不限预算"), {**params, "budget_min": None, "budget_max": None}))
    words = query_terms(params.get("q", ""))
    if len(words) > 1:
        for word in words:
            rest = " ".join(other for other in words if other != word)
            candidates.append(
                (
                    _("去掉“%(word)s”，搜索“%(rest)s”") % {"word": word, "rest": rest},
                    {**params, "q": rest},
                )
            )
    offers = []
    for label, changed in candidates[:MAX_BROADER]:
        changed = {name: value for name, value in changed.items() if value}
        total = backend.search(search_query(changed, page_size=1)).total
        if total:
            offers.append({"label": label, "count": total, "url": _url(changed)})
    return sorted(offers, key=lambda offer: -offer["count"])


def _hit_rows(hits) -> list[dict]:
    """Each hit with its display fields labelled and formatted, in a fixed order."""
    return [
        {
            "hit": hit,
            "fields": [
                (label, show(hit.fields[name]))
                for name, (label, show) in HIT_FIELDS.items()
                if hit.fields.get(name) not in (None, "", [])
            ],
        }
        for hit in hits
    ]


def _pagination(params, results) -> dict | None:
    if results.num_pages <= 1:
        return None
    last = min(results.num_pages, MAX_PAGE)
    return {
        "number": results.page,
        "num_pages": last,
        "total": results.total,
        "previous": _url(params, page=str(results.page - 1)) if results.page > 1 else None,
        "next": _url(params, page=str(results.page + 1)) if results.page < last else None,
    }


def _sort_links(params: dict) -> list[dict]:
    current = params.get("sort") or (Sort.RELEVANCE if params.get("q") else Sort.NEWEST)
    return [
        {"label": SORT_LABELS[sort], "active": sort == current, "url": _url(params, sort=sort)}
        for sort in KIND_SORTS[params.get("kind", "")]
    ]


def _group_params(params: dict, kind: str) -> dict:
    """The parameters of one kind's group on the page of every kind: a sort that kind does
    not have (deadline or budget for organisations and results) gives way to its default."""
    if params.get("sort") and params["sort"] not in KIND_SORTS[kind]:
        return {name: value for name, value in params.items() if name != "sort"}
    return params


def _can_save(user) -> bool:
    """Anonymous visitors are offered the link (it leads to the login); other signed-in
    people only if they are a member of an organisation."""
    return not user.is_authenticated or saved_search_organisations(user).exists()


@require_GET
def search(request):
    form = SearchForm(request.GET)
    form.is_valid()  # a bad parameter is left out of the search, never an error page
    params = form.params()
    kind = params.get("kind", "")
    if params.get("sort") and params["sort"] not in KIND_SORTS[kind]:
        params.pop("sort")
    backend = get_backend()
    groups = []
    pagination = None
    if kind:
        page = min(form.cleaned_data.get("page") or 1, MAX_PAGE)
        results = backend.search(search_query(params, page=page, page_size=settings.PAGE_SIZE))
        if results.total and page > results.num_pages:
            page = min(results.num_pages, MAX_PAGE)
            results = backend.search(search_query(params, page=page, page_size=settings.PAGE_SIZE))
        groups.append(
            {
                "kind": kind,
                "label": KIND_LABELS[kind],
                "hits": _hit_rows(results.hits),
                "total": results.total,
            }
        )
        facets = _merge_facets([results])
        total = results.total
        pagination = _pagination(params, results)
    else:
        results_by_kind = [
            (
                each,
                backend.search(
                    search_query(_group_params(params, each), kinds=(each,), page_size=GROUP_SIZE)
                ),
            )
            for each in Kind.ALL
        ]
        for each, results in results_by_kind:
            groups.append(
                {
                    "kind": each,
                    "label": KIND_LABELS[each],
                    "hits": _hit_rows(results.hits),
                    "total": results.total,
                    "more_url": _url(params, kind=each)
                    if results.total > len(results.hits)
                    else None,
                }
            )
        facets = _merge_facets([results for _each, results in results_by_kind])
        total = sum(results.total for _each, results in results_by_kind)
    labels = _filter_labels(facets, params)
    kind_tabs = [
        {"label": _("全部"), "active": not kind, "url": _url(params, kind=None, sort=None)},
        *(
            {"label": KIND_LABELS[each], "active": kind == each, "url": _url(params, kind=each)}
            for each in Kind.ALL
        ),
    ]
    return render(
        request,
        "search/search.html",
        {
            "form": form,
            "params": params,
            "kind": kind,
            "query_text": params.get("q", ""),
            "ignored": form.ignored(),
            "groups": groups,
            "total": total,
            "facets": _facet_rows(facets, params),
            "active_filters": _active_filters(params, labels),
            "kind_tabs": kind_tabs,
            "sorts": _sort_links(params),
            "pagination": pagination,
            "broader": _broader(backend, params, labels) if not total else [],
            "save_url": (
                reverse("saved_search_create") + "?" + urlencode(params)
                if kind == Kind.TENDER and _can_save(request.user)
                else None
            ),
            "hidden_filters": {
                name: params[name] for name in (*FILTER_FACETS, "sort") if params.get(name)
            },
        },
    )


@require_GET
def suggest(request):
    """As-you-type titles for the search box, as JSON: {"q": …, "suggestions": […]}."""
    prefix = " ".join(request.GET.get("q", "").split())[:50]
    kind = request.GET.get("kind", "")
    kinds = (kind,) if kind in Kind.ALL else Kind.ALL
    suggestions = get_backend().suggest(prefix, kinds=kinds, limit=SUGGEST_LIMIT) if prefix else []
    response = JsonResponse({"q": prefix, "suggestions": suggestions})
    # The same prefix is typed by many people; a minute's staleness is harmless.
    patch_cache_control(response, public=True, max_age=60)
    return response


@login_required
def saved_search_list(request):
    return render(
        request,
        "search/savedsearch_list.html",
        {
            "saved_searches": [
                {"saved_search": saved, "url": _url(saved_search_params(saved))}
                for saved in saved_search_list_for_user(request.user)
            ],
            "is_member": saved_search_organisations(request.user).exists(),
        },
    )


def _default_name(params: dict) -> str:
    return params.get("q") or _("我的项目订阅")


@login_required
def saved_search_create_view(request):
    search_form = SearchForm(request.GET)
    search_form.is_valid()
    params = search_form.params()
    organisations = saved_search_organisations(request.user)
    context = {
        "params": params,
        "search_url": _url({**params, "kind": Kind.TENDER}),
        "summary": _active_filters(
            {name: params[name] for name in (*SAVED_FILTERS, *BUDGET_FIELDS) if name in params},
            _filter_labels({}, {name: params[name] for name in SAVED_FILTERS if name in params}),
        ),
        "dropped": [FACET_LABELS[name] for name in ("status", "rating_level") if params.get(name)],
    }
    if not organisations:
        return render(
            request, "search/savedsearch_form.html", {**context, "form": None}, status=403
        )
    form = SavedSearchForm(
        request.POST or None,
        organisations=organisations,
        initial={"name": _default_name(params)[:60]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved_search_create(
                user=request.user,
                organisation=form.cleaned_data["organisation"],
                name=form.cleaned_data["name"],
                query=params.get("q", ""),
                filters={
                    name: params[name]
                    for name in (*SAVED_FILTERS, *BUDGET_FIELDS)
                    if params.get(name)
                },
                frequency=form.cleaned_data["frequency"],
            )
        except (ValidationError, PermissionDenied) as error:
            add_service_errors(
                form, error if isinstance(error, ValidationError) else ValidationError(str(error))
            )
        else:
            messages.success(request, _("已保存订阅，有符合条件的新项目时将发送邮件提醒。"))
            return redirect("saved_search_list")
    return render(request, "search/savedsearch_form.html", {**context, "form": form})


@login_required
@require_POST
def saved_search_delete_view(request, pk):
    saved_search = saved_search_get_for_user(pk=pk, user=request.user)
    saved_search_delete(saved_search=saved_search, by=request.user)
    messages.success(request, _("已删除订阅“%(name)s”。") % {"name": saved_search.name})
    return redirect("saved_search_list")


# No CSRF check: mail programs send the one-click POST of the List-Unsubscribe-Post header
# (RFC 8058: body "List-Unsubscribe=One-Click", no cookies, no token) to this URL. The token
# in the URL is the credential, which a forging site cannot know, and a POST changes
# nothing but that one saved search.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def saved_search_unsubscribe_view(request, token):
    """GET asks for confirmation and POST unsubscribes (the page's button, or a mail
    program's one-click unsubscribe): mail scanners fetch the links in an email, and a fetch
    alone must not unsubscribe anyone."""
    saved_search = saved_search_get_by_token(token)
    done = False
    if request.method == "POST":
        saved_search = saved_search_unsubscribe(saved_search=saved_search)
        done = True
    response = render(
        request,
        "search/savedsearch_unsubscribe.html",
        {"saved_search": saved_search, "done": done},
    )
    # The token is the credential: never send it on to another site in a Referer.
    response["Referrer-Policy"] = "no-referrer"
    patch_cache_control(response, private=True, no_store=True)
    return response
