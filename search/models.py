"""Saved searches (订阅) of organisation members and the tenders matched for them.

The database search backend's index table lives here too (search/backends/database.py).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from djmoney.models.fields import MoneyField


def _unsubscribe_token() -> str:
    return secrets.token_urlsafe(32)


class SavedSearch(models.Model):
    """A member's saved tender search: new published tenders that match it are emailed at
    once or in a daily digest. The unsubscribe link works without logging in."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("即时提醒")
        DAILY = "daily", _("每日汇总")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    organisation = models.ForeignKey(
        "marketplace.Organisation", on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(_("名称"), max_length=60)
    query = models.CharField(_("关键词"), max_length=100, blank=True)
    # The facet filters of the search form: {"category": code, "region": code, "method": …,
    # "budget_min": "…", "budget_max": "…"}.
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    frequency = models.CharField(
        _("提醒频率"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY
    )
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=_unsubscribe_token)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    unsubscribed_at = models.DateTimeField(_("退订时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("订阅的搜索")
        verbose_name_plural = pgettext_lazy("plural", "订阅的搜索")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.unsubscribed_at is None


class SavedSearchMatch(models.Model):
    """A new tender that matched a saved search; `sent_at` is set once it was emailed
    (at once, or in the next daily digest). Never sent twice."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="matches")
    tender = models.ForeignKey(
        "marketplace.Tender", on_delete=models.CASCADE, related_name="saved_search_matches"
    )
    matched_at = models.DateTimeField(_("匹配时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("订阅匹配")
        verbose_name_plural = pgettext_lazy("plural", "订阅匹配")
        ordering = ["saved_search", "matched_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["saved_search", "tender"], name="one_match_per_saved_search_tender"
            ),
        ]
        indexes = [
            models.Index(fields=["sent_at", "saved_search"], name="saved_search_match_unsent"),
        ]

    def __str__(self):
        return f"{self.saved_search} · {self.tender_id}"


class TsVectorField(models.Field):
    """A PostgreSQL `tsvector`; plain text elsewhere (unused there: SQLite matches tokens)."""

    description = "Full-text search vector"

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"


class FacetsField(models.Field):
    """An entry's facet values as "facet:value" tokens: a `text[]` on PostgreSQL (under a GIN
    index, so a filter is `facets @> …` and the counts one GROUP BY over `unnest(facets)`);
    elsewhere the tokens space-padded in text (" kind:tender category:01 "), matched whole
    with LIKE."""

    description = "Facet values"

    def db_type(self, connection):
        return "text[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or isinstance(value, str):
            return value
        if connection.vendor == "postgresql":
            return list(value)
        return f" {' '.join(value)} " if value else ""

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):
            return value
        return value.split()


class SearchEntry(models.Model):
    """One searchable object of the database backend (search/backends/database.py): its text
    segmented by jieba, the values it is filtered and sorted by, and what a hit displays.

    `title_terms` and `terms` hold the segmented words padded with spaces (" 居家 养老 "), so
    a word is matched whole on any database; on PostgreSQL `vector` holds the same words
    (title weighted A, the rest B) under a GIN index. A full rebuild writes a fresh table
    and swaps it in (DatabaseBackend.rebuild)."""

    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=200)
    title_terms = models.TextField(blank=True)
    terms = models.TextField(blank=True)
    vector = TsVectorField(null=True, editable=False)
    budget = MoneyField(
        max_digits=14,
        decimal_places=2,
        default_currency="CNY",
        currency_choices=[("CNY", "CNY")],
        null=True,
    )
    deadline = models.DateTimeField(null=True)
    published_at = models.DateTimeField(null=True)
    # Display values of a hit (names, codes, levels), see search.indexing.Record.fields.
    fields = models.JSONField(default=dict)
    # Facet values as "facet:value" (search.indexing.Record.facet_tokens): categories and
    # regions with all their ancestors, so a filter on 苏州市 finds entries of 姑苏区.
    facets = FacetsField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="one_search_entry_per_object"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "-published_at", "-id"], name="search_entry_newest"),
        ]

    def __str__(self):
        return f"{self.kind}:{self.object_id}"
