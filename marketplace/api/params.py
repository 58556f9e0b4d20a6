"""Query parameters that name other objects or one of a few values: looked up or checked
here, and refused as the API's 422 with the parameter's name and a message in the
request's language (a ValidationError, which errors.py renders)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace.models import Category, Region


def field_error(field, message, code) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def category_param(code, field="category") -> Category | None:
    """The service category with this code (None for no filter)."""
    if code is None:
        return None
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise field_error(field, _("没有编码为 %(code)s 的服务类目。") % {"code": code}, "unknown")
    return category


def region_param(code, field="region") -> Region | None:
    """The region with this code (None for no filter)."""
    if code is None:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise field_error(field, _("没有代码为 %(code)s 的行政区划。") % {"code": code}, "unknown")
    return region


def money_param(amount: Decimal | None) -> Money | None:
    return Money(amount, "CNY") if amount is not None else None


def choice_param(field, value, allowed):
    """`value` if it is one of `allowed` (or None)."""
    if value is not None and value not in allowed:
        raise field_error(
            field,
            _("取值无效，可选：%(values)s。") % {"values": "、".join(allowed)},
            "invalid_choice",
        )
    return value
