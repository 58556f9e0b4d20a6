"""The `cny` template filter: amounts as ¥1,234.00, exactly, never via float."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from djmoney.money import Money

from marketplace.templatetags.zhengshe import cny


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Money("1234", "CNY"), "¥1,234.00"),
        (Money("0.5", "CNY"), "¥0.50"),
        (Decimal("1234.5"), "¥1,234.50"),
        (Decimal("1234567.89"), "¥1,234,567.89"),
        (Decimal("0"), "¥0.00"),
        (Decimal("7"), "¥7.00"),
        ("1234.5", "¥1,234.50"),
    ],
)
def test_amounts_are_formatted_with_sign_grouping_and_two_decimals(value, expected):
    """Money and Decimal amounts get the yuan sign, thousands separators and two decimals."""
    assert cny(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("-1234.5"), "-¥1,234.50"),
        (Money("-0.01", "CNY"), "-¥0.01"),
    ],
)
def test_negative_amounts_put_the_minus_before_the_sign(value, expected):
    """A negative amount reads -¥1,234.50."""
    assert cny(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.125"), "¥0.13"),
        (Decimal("2.675"), "¥2.68"),  # 2.675 as a float is 2.67499…, so this catches float use
        (Decimal("1.005"), "¥1.01"),
        (Decimal("0.124"), "¥0.12"),
        (Decimal("1234.994"), "¥1,234.99"),
        (Decimal("999.995"), "¥1,000.00"),
        (Decimal("-2.675"), "-¥2.68"),
    ],
)
def test_rounding_is_half_up_at_the_third_decimal(value, expected):
    """The third decimal rounds half up (away from zero), not half-even and not via float."""
    assert cny(value) == expected


@pytest.mark.parametrize("value", [None, ""])
def test_missing_amount_is_blank(value):
    """None (or an empty string) formats as an empty string."""
    assert cny(value) == ""


def test_filter_in_a_template():
    """The filter is available to templates through {% load zhengshe %}."""
    rendered = Template("{% load zhengshe %}{{ amount|cny }}").render(
        Context({"amount": Money("98765.4", "CNY")})
    )
    assert rendered == "¥98,765.40"
