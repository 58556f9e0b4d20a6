"""Reads about API tokens: the token a call presents, and an organisation's tokens."""

import hashlib

from django.db.models import F

from marketplace.models import ApiToken, OrganisationMembership


def api_token_hash(raw: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_for_key(raw: str) -> ApiToken | None:
    """The live token whose secret is `raw` (one query), or None: unknown, revoked, its user
    inactive, or no longer a member of the token's organisation."""
    if not raw:
        return None
    token = (
        ApiToken.objects.select_related("user", "organisation")
        .filter(key_hash=api_token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    member = OrganisationMembership.objects.filter(
        user_id=token.user_id, organisation_id=token.organisation_id
    ).exists()
    return token if member else None


def api_tokens_for_organisation(organisation):
    """The organisation's tokens, live ones first, newest first, with the member each acts as."""
    return (
        ApiToken.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by(F("revoked_at").asc(nulls_first=True), "-created_at", "-pk")
    )
