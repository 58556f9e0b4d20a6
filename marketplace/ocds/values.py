"""Values as OCDS writes them: date-times, amounts and public URLs."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings


def iso(moment: datetime.datetime) -> str:
    """An aware date-time as RFC 3339, to the second, in UTC."""
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def iso_day(day: datetime.date, *, end=False) -> str:
    """A calendar day as the date-time OCDS wants: its start (or last second) in our zone."""
    moment = datetime.datetime.combine(
        day, datetime.time.max if end else datetime.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
    )
    return moment.replace(microsecond=0).isoformat()


def _number(amount: Decimal) -> int | float:
    # JSON has only numbers: an integral amount is written without decimals, and a
    # two-decimal amount survives the conversion exactly (repr is the shortest round trip).
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def money_value(money) -> dict:
    return {"amount": _number(money.amount), "currency": str(money.currency)}


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
