"""Property tests of the evaluation arithmetic (marketplace/scoring.py): the lowest-valid-price
formula, the panel mean with drop-high-low, the ranking and its tie-breaks, and rounding
only at the end."""

import itertools
from decimal import Decimal

import pytest
from djmoney.money import Money
from hypothesis import assume, example, given
from hypothesis import strategies as st

from marketplace import scoring
from marketplace.models import TenderCriterion
from marketplace.selectors.evaluations import evaluation_results
from tests import factories

weights = st.integers(min_value=1, max_value=100)
prices = st.decimals(
    min_value=Decimal("0.01"),
    max_value=Decimal("99999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


def points_for(weight):
    return st.decimals(
        min_value=0, max_value=weight, places=2, allow_nan=False, allow_infinity=False
    )


panels = weights.flatmap(
    lambda weight: st.tuples(st.just(weight), st.lists(points_for(weight), min_size=1, max_size=9))
)


@given(weight=weights, bids=st.lists(prices, min_size=1, max_size=12))
def test_lowest_price_gets_the_full_weight_and_nobody_more(weight, bids):
    """The lowest valid price scores exactly the weight; every other bid scores more than 0
    and at most the weight, and a higher price never scores more."""
    lowest = min(bids)
    assert scoring.price_score(weight, lowest, lowest) == weight
    scores = {price: scoring.price_score(weight, lowest, price) for price in bids}
    for _price, score in scores.items():
        assert 0 < score <= weight
    ordered = sorted(scores)
    for cheaper, dearer in itertools.pairwise(ordered):
        assert scores[cheaper] >= scores[dearer]


@given(panel=panels)
def test_panel_mean_lies_between_the_lowest_and_highest_points(panel):
    """The panel's score is never below the lowest or above the highest expert's points,
    so it never exceeds the criterion's weight."""
    weight, points = panel
    mean = scoring.panel_mean(points)
    assert min(points) <= mean <= max(points) <= weight


@given(points=st.lists(points_for(100), min_size=5, max_size=15))
def test_five_or_more_experts_drop_the_highest_and_lowest(points):
    """From five experts up, the mean is that of the middle values (one highest and one
    lowest dropped), whatever order the points come in."""
    middle = sorted(points)[1:-1]
    expected = sum(middle, Decimal(0)) / len(middle)
    assert scoring.panel_mean(points) == expected
    assert scoring.panel_mean(list(reversed(points))) == expected


@given(points=st.lists(points_for(100), min_size=1, max_size=4))
def test_fewer_than_five_experts_is_the_plain_mean(points):
    assert scoring.panel_mean(points) == sum(points, Decimal(0)) / len(points)


def test_panel_mean_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        scoring.panel_mean([])


def test_drop_high_low_example():
    """Five experts 60, 70, 72, 75, 95 → mean of 70, 72, 75 = 72.33…, not 74.4."""
    points = [Decimal(p) for p in ("95", "70", "60", "75", "72")]
    assert scoring.round_total(scoring.panel_mean(points)) == Decimal("72.33")


standings = st.builds(
    scoring.Standing,
    key=st.uuids(),
    technical=st.decimals(min_value=0, max_value=70, places=3),
    price=st.sampled_from([Decimal(p) for p in ("100000.00", "120000.00", "150000.00")]),
    price_points=st.decimals(min_value=0, max_value=30, places=3),
)


@given(rows=st.lists(standings, max_size=12))
def test_ranking_is_by_total_then_lower_price_then_higher_technical(rows):
    """Each bid ranks above the next by a higher total, or on an equal total by a lower
    price, or on equal total and price by a higher technical score."""
    ranked = scoring.rank(rows)
    assert sorted(map(id, ranked)) == sorted(map(id, rows))
    for better, worse in itertools.pairwise(ranked):
        assert better.total >= worse.total
        if better.total == worse.total:
            assert better.price <= worse.price
            if better.price == worse.price:
                assert better.technical >= worse.technical


def test_tie_on_total_goes_to_the_lower_price():
    dear = scoring.Standing(
        key="dear", technical=Decimal(60), price=Decimal(200), price_points=Decimal(20)
    )
    cheap = scoring.Standing(
        key="cheap", technical=Decimal(50), price=Decimal(150), price_points=Decimal(30)
    )
    assert [s.key for s in scoring.rank([dear, cheap])] == ["cheap", "dear"]


def test_tie_on_total_and_price_goes_to_the_higher_technical_score():
    weak = scoring.Standing(
        key="weak", technical=Decimal("49.996"), price=Decimal(150), price_points=Decimal("30.004")
    )
    strong = scoring.Standing(
        key="strong",
        technical=Decimal("50.004"),
        price=Decimal(150),
        price_points=Decimal("29.996"),
    )
    assert weak.total == strong.total == Decimal("80.00")
    assert [s.key for s in scoring.rank([weak, strong])] == ["strong", "weak"]


@given(
    technical=st.decimals(min_value=0, max_value=70, places=6),
    price_points=st.decimals(min_value=0, max_value=30, places=6),
)
@example(technical=Decimal("20.010"), price_points=Decimal("10.005"))
def test_total_is_rounded_once_at_the_end(technical, price_points):
    """The total is the unrounded sum rounded half-up to two places: within half a cent."""
    standing = scoring.Standing(
        key=1, technical=technical, price=Decimal(1), price_points=price_points
    )
    exact = technical + price_points
    assert standing.total == exact.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert abs(standing.total - exact) <= Decimal("0.005")


@given(
    parts=st.lists(
        st.integers(min_value=0, max_value=3000).map(lambda n: Decimal(n) / 100 + Decimal("0.005")),
        min_size=3,
        max_size=3,
    )
)
def test_three_half_cent_components_are_summed_before_rounding(parts):
    """Three components each x.xx5: summing first and rounding once differs from rounding
    each (that would add 1.5 cents), and the total uses the former."""
    assume(all(str(p).endswith("5") for p in parts))
    standing = scoring.Standing(
        key=1, technical=parts[0] + parts[1], price=Decimal(1), price_points=parts[2]
    )
    assert standing.total == scoring.round_total(sum(parts, Decimal(0)))
    each_rounded = sum((scoring.round_total(p) for p in parts), Decimal(0))
    assert each_rounded - standing.total == Decimal("0.01")


@pytest.mark.django_db
def test_evaluation_results_round_only_the_total():
    """Through the selector: two experts give 10.00 and 10.01 on each of two criteria (panel
    10.005 each) and the price score is 30 × 3335 / 10000 = 10.005; the total is 30.02
    (30.015 rounded once), not 30.03 (three rounded parts)."""
    first = factories.PanelMemberFactory(tender__budget=Money("20000.00", "CNY"))
    tender = first.tender
    plan = tender.criteria.get(is_price=False)
    plan.weight = 40
    plan.save()
    team = TenderCriterion.objects.create(tender=tender, position=2, name="项目团队", weight=30)
    second = factories.PanelMemberFactory(tender=tender)
    cheap = factories.BidFactory(tender=tender, amount=Money("3335.00", "CNY"))
    dear = factories.BidFactory(tender=tender, amount=Money("10000.00", "CNY"))
    for member, points in ((first, "10.00"), (second, "10.01")):
        for bid in (cheap, dear):
            for criterion in (plan, team):
                factories.ScoreFactory(
                    member=member, bid=bid, criterion=criterion, points=Decimal(points)
                )
    results = evaluation_results(tender)
    row = next(row for row in results.rows if row.bid == dear)
    assert row.panel == {plan.pk: Decimal("10.005"), team.pk: Decimal("10.005")}
    assert row.price_points == Decimal("10.005")
    assert row.total == Decimal("30.02")
    assert results.complete
    assert results.recommended.bid == cheap
