"""Saved-search alerts: each newly indexed tender open for bids is matched against the active
saved searches by the search backend itself (so an alert finds exactly what the search page
finds), recorded once per saved search, and emailed at once or in the daily digest. Only
tenders: other kinds indexed (organisations, results) are never matched.

Emails are in the platform's language: the user model records no language of its own. Each
carries List-Unsubscribe and List-Unsubscribe-Post (RFC 8058), so mail programs offer a
one-click unsubscribe that POSTs to the same no-login link as the one in the text."""

from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from marketplace.models import OrganisationMembership, Tender
from marketplace.tasks import send_email
from marketplace.templatetags.zhengshe import cny
from search.backends import get_backend
from search.forms import SAVED_FILTERS
from search.models import SavedSearch, SavedSearchMatch
from search.signals import indexed
from search.types import Kind, SearchQuery, Sort


def _active_saved_searches():
    """Saved searches still subscribed whose owner is still a member of the organisation:
    someone who left it no longer receives its alerts."""
    member = OrganisationMembership.objects.filter(
        user_id=OuterRef("user_id"), organisation_id=OuterRef("organisation_id")
    )
    return SavedSearch.objects.filter(unsubscribed_at__isnull=True).filter(Exists(member))


def _open_tenders(now):
    return Tender.objects.filter(status=Tender.Status.PUBLISHED, bid_deadline__gt=now)


def saved_search_query(saved_search: SavedSearch, *, ids: tuple[int, ...]) -> SearchQuery:
    """The backend query of a saved search, restricted to the tenders `ids`."""
    filters = saved_search.filters or {}
    budget = {
        key: Decimal(filters[key]) for key in ("budget_min", "budget_max") if filters.get(key)
    }
    return SearchQuery(
        text=saved_search.query,
        kinds=(Kind.TENDER,),
        filters={key: filters[key] for key in SAVED_FILTERS if filters.get(key)},
        sort=Sort.RELEVANCE,
        page=1,
        page_size=max(len(ids), 1),
        ids=ids,
        **budget,
    )


@transaction.atomic
def saved_search_matches_create(*, tender_ids, now=None) -> list[SavedSearchMatch]:
    """Match newly indexed tenders against every active saved search. Rules: only tenders
    open for bids (never drafts), published after the search was saved (a re-index of an
    old tender, or a full rebuild, is not news); each pair once; immediate searches are
    emailed on commit and marked sent, daily ones wait for the digest."""
    now = now or timezone.now()
    tenders = {
        tender.pk: tender
        for tender in _open_tenders(now).filter(pk__in=tender_ids).select_related("buyer")
    }
    if not tenders:
        return []
    searches = list(_active_saved_searches().select_related("user"))
    done = set(
        SavedSearchMatch.objects.filter(
            tender_id__in=tenders, saved_search__in=searches
        ).values_list("saved_search_id", "tender_id")
    )
    backend = get_backend()
    created = []
    for saved_search in searches:
        candidates = tuple(
            pk
            for pk, tender in tenders.items()
            if (saved_search.pk, pk) not in done
            and tender.published_at
            and tender.published_at >= saved_search.created_at
        )
        if not candidates:
            continue
        hits = backend.search(saved_search_query(saved_search, ids=candidates)).hits
        immediate = saved_search.frequency == SavedSearch.Frequency.IMMEDIATE
        new = []
        for hit in hits:
            if hit.kind != Kind.TENDER or hit.id not in candidates:
                continue
            # get_or_create: a concurrent indexing of the same tender may have matched it.
            match, was_created = SavedSearchMatch.objects.get_or_create(
                saved_search=saved_search,
                tender_id=hit.id,
                defaults={"matched_at": now, "sent_at": now if immediate else None},
            )
            if was_created:
                new.append(match)
        created += new
        if immediate and new:
            email = saved_search_email(saved_search, [tenders[m.tender_id] for m in new])
            transaction.on_commit(partial(send_email.enqueue, **email))
    return created


@receiver(indexed, dispatch_uid="saved_search_alerts")
def tenders_indexed(sender, ids=(), **kwargs):
    """New tenders in the index: match them against the saved searches."""
    if sender == Kind.TENDER and ids:
        saved_search_matches_create(tender_ids=list(ids))


def _tender_lines(tender) -> str:
    deadline = timezone.localtime(tender.bid_deadline).strftime("%Y-%m-%d %H:%M")
    details = _("购买主体：%(buyer)s　预算金额：%(budget)s　投标截止：%(deadline)s") % {
        "buyer": tender.buyer.name,
        "budget": cny(tender.budget),
        "deadline": deadline,
    }
    return f"{tender.title}\n{details}\n{settings.SITE_URL}{tender.get_absolute_url()}"


def unsubscribe_url(saved_search: SavedSearch) -> str:
    """The no-login unsubscribe link of a saved search (the token is the credential)."""
    return settings.SITE_URL + reverse(
        "saved_search_unsubscribe", args=[saved_search.unsubscribe_token]
    )


def unsubscribe_headers(saved_search: SavedSearch) -> dict[str, str]:
    """The one-click unsubscribe headers (RFC 2369, RFC 8058) of a saved search's emails."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(saved_search)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def saved_search_email(saved_search: SavedSearch, tenders, *, digest=False) -> dict:
    """Subject, body, recipient and headers of an alert listing `tenders`, with the links to
    manage the saved searches and to unsubscribe without logging in (also as headers)."""
    with translation.override(settings.LANGUAGE_CODE):
        values = {"name": saved_search.name, "count": len(tenders)}
        if digest:
            subject = _("订阅“%(name)s”每日汇总：%(count)d 个新的服务项目") % values
        else:
            subject = _("订阅“%(name)s”有 %(count)d 个新的服务项目") % values
        intro = _("以下新发布的服务项目符合您以“%(organisation)s”名义保存的订阅：") % {
            "organisation": saved_search.organisation.name
        }
        footer = "\n".join(
            [
                _("管理订阅：%(url)s") % {"url": settings.SITE_URL + reverse("saved_search_list")},
                _("退订此提醒（无需登录）：%(url)s") % {"url": unsubscribe_url(saved_search)},
            ]
        )
        body = "\n\n".join([intro, *(_tender_lines(tender) for tender in tenders), footer])
    return {
        "subject": subject,
        "body": body,
        "to": [saved_search.user.email],
        "headers": unsubscribe_headers(saved_search),
    }


@transaction.atomic
def saved_search_digest_send(*, saved_search_id: int, now=None) -> int:
    """Email one daily saved search its unsent matches of tenders still open for bids, and
    mark them sent; returns how many were listed. The row lock makes two concurrent runs
    send one email, and a second run finds nothing left to send."""
    now = now or timezone.now()
    saved_search = (
        _active_saved_searches()
        .select_for_update(of=("self",))
        .select_related("user", "organisation")
        .filter(pk=saved_search_id, frequency=SavedSearch.Frequency.DAILY)
        .first()
    )
    if saved_search is None:
        return 0
    matches = list(
        saved_search.matches.filter(
            sent_at__isnull=True,
            tender__in=_open_tenders(now),
        )
        .select_related("tender__buyer")
        .order_by("matched_at", "pk")
    )
    if not matches:
        return 0
    SavedSearchMatch.objects.filter(pk__in=[match.pk for match in matches]).update(sent_at=now)
    email = saved_search_email(saved_search, [match.tender for match in matches], digest=True)
    transaction.on_commit(partial(send_email.enqueue, **email))
    return len(matches)


def saved_search_digest_ids() -> list[int]:
    """The daily saved searches that have unsent matches (what the digest run works through)."""
    return list(
        _active_saved_searches()
        .filter(frequency=SavedSearch.Frequency.DAILY, matches__sent_at__isnull=True)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
