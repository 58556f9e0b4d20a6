from decimal import ROUND_HALF_UP, Decimal

from django import template
from djmoney.money import Money

register = template.Library()

CURRENCY_SIGNS = {"CNY": "¥"}


@register.filter
def cny(value):
    """Format an amount as ¥1,234.00 (Money or Decimal; never via float)."""
    if value in (None, ""):
        return ""
    if isinstance(value, Money):
        sign, amount = CURRENCY_SIGNS.get(str(value.currency), f"{value.currency} "), value.amount
    else:
        sign, amount = "¥", Decimal(value)
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'-' if amount < 0 else ''}{sign}{abs(amount):,.2f}"


@register.simple_tag(takes_context=True)
def query_with_page(context, page_number):
    """The current filters plus ?page=N, for pagination links."""
    query = context.get("query", "")
    return f"?{query}&page={page_number}" if query else f"?page={page_number}"
