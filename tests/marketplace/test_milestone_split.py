"""Property: milestone_amounts splits any amount by any percentages summing to 100 exactly,
to the fen, every part non-negative, the remainder on the last part."""

import itertools
from decimal import ROUND_DOWN, Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from marketplace.contract_terms import milestone_amounts

CENT = Decimal("0.01")

amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal(10**9), places=2, allow_nan=False
)


@st.composite
def percentages(draw):
    """1–6 positive percentages (two decimals) summing to exactly 100."""
    count = draw(st.integers(min_value=1, max_value=6))
    # Cut 100.00 (10000 hundredths) at count-1 distinct points: every part ≥ 0.01.
    cuts = sorted(
        draw(
            st.lists(
                st.integers(min_value=1, max_value=9999),
                min_size=count - 1,
                max_size=count - 1,
                unique=True,
            )
        )
    )
    points = [0, *cuts, 10000]
    return [Decimal(b - a) / 100 for a, b in itertools.pairwise(points)]


@given(total=amounts, shares=percentages())
def test_split_is_exact_non_negative_and_the_remainder_goes_last(total, shares):
    parts = milestone_amounts(total, shares)

    assert len(parts) == len(shares)
    assert sum(parts) == total
    assert all(part >= 0 and part == part.quantize(CENT) for part in parts)
    for part, share in zip(parts[:-1], shares[:-1], strict=True):
        assert part == (total * share / 100).quantize(CENT, rounding=ROUND_DOWN)
    assert parts[-1] >= (total * shares[-1] / 100).quantize(CENT, rounding=ROUND_DOWN)


@given(total=amounts, whole=st.lists(st.integers(1, 100), min_size=1, max_size=6))
def test_integer_percentages_as_tenders_store_them(total, whole):
    if sum(whole) != 100:
        whole = [*whole[:-1], 100 - sum(whole[:-1])] if sum(whole[:-1]) < 100 else [100]
    assert sum(milestone_amounts(total, whole)) == total


@pytest.mark.parametrize("shares", [[], [50, 40], [50, 60, -10], [100, 0], [Decimal("33.33")] * 3])
def test_percentages_not_summing_to_100_or_empty_are_refused(shares):
    with pytest.raises(ValidationError):
        milestone_amounts(Decimal("100.00"), shares)


@pytest.mark.parametrize("total", ["0", "-1.00", "1.001"])
def test_amount_must_be_positive_yuan_and_fen(total):
    with pytest.raises(ValidationError):
        milestone_amounts(Decimal(total), [100])


def test_examples():
    assert milestone_amounts(Decimal("100.00"), [30, 40, 30]) == [
        Decimal("30.00"),
        Decimal("40.00"),
        Decimal("30.00"),
    ]
    assert milestone_amounts(Decimal("0.10"), [33, 33, 34]) == [
        Decimal("0.03"),
        Decimal("0.03"),
        Decimal("0.04"),
    ]
    assert milestone_amounts(Decimal("0.01"), [50, 50]) == [Decimal("0.00"), Decimal("0.01")]
