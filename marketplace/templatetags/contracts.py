"""Contract links on other areas' pages: `{% awards_awaiting_contract tender as awards %}`
gives the tender's awards that may be signed now and have no contract yet."""

from django import template

from marketplace.selectors.contracts import awards_awaiting_contract as _awaiting

register = template.Library()


@register.simple_tag
def awards_awaiting_contract(tender):
    return _awaiting(tender)
