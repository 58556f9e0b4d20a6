"""公益创投 funding allocation (scoring.allocate_funding): proposals funded in rank order
while the pool lasts, skipping those that do not fit, with lower amounts where decided."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.scoring import allocate_funding

amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("500000.00"), places=2, allow_nan=False
)
pools = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("4000000.00"), places=2)
requests = st.lists(amounts, max_size=30)


def _ranked(requested):
    return [(f"p{index}", amount) for index, amount in enumerate(requested)]


@st.composite
def with_overrides(draw):
    """Requests plus, for some of them, a lower (or equal) amount to fund instead."""
    requested = draw(requests)
    overrides = {}
    for index, amount in enumerate(requested):
        if draw(st.booleans()):
            overrides[f"p{index}"] = draw(
                st.decimals(min_value=Decimal("0.01"), max_value=amount, places=2)
            )
    return requested, overrides


@given(requests, pools)
def test_never_exceeds_the_pool_and_accounts_for_every_proposal(requested, pool):
    """What is funded plus what remains is exactly the pool; remaining is never negative;
    every proposal is either funded or skipped, once."""
    funded, skipped, remaining = allocate_funding(_ranked(requested), pool)

    assert sum((amount for _key, amount in funded), Decimal(0)) + remaining == pool
    assert remaining >= 0
    keys = [key for key, _amount in funded] + skipped
    assert sorted(keys) == sorted(key for key, _amount in _ranked(requested))


@given(requests, pools)
def test_funded_and_skipped_keep_the_rank_order(requested, pool):
    """The funded list and the skipped list are each in rank order."""
    ranked = _ranked(requested)
    order = {key: position for position, (key, _amount) in enumerate(ranked)}

    funded, skipped, _remaining = allocate_funding(ranked, pool)

    funded_positions = [order[key] for key, _amount in funded]
    assert funded_positions == sorted(funded_positions)
    assert [order[key] for key in skipped] == sorted(order[key] for key in skipped)


@given(requests, pools)
def test_a_skipped_proposal_did_not_fit_in_what_was_left(requested, pool):
    """Replaying the ranking: a skipped proposal asked more than the pool left when it was
    reached, and a funded one fitted (so each is funded in full)."""
    ranked = _ranked(requested)
    funded, skipped, _remaining = allocate_funding(ranked, pool)
    funded = dict(funded)
    left = pool
    for key, amount in ranked:
        if key in skipped:
            assert amount > left
        else:
            assert funded[key] == amount <= left
            left -= amount


@given(requests, pools)
def test_greedy_fill_leaves_less_than_any_skipped_request(requested, pool):
    """Nothing skipped would have fitted in the end either: the pool is filled greedily."""
    ranked = dict(_ranked(requested))
    _funded, skipped, remaining = allocate_funding(list(ranked.items()), pool)

    assert all(ranked[key] > remaining for key in skipped)


@given(with_overrides(), pools)
def test_overrides_are_funded_at_the_lower_amount(case, pool):
    """A proposal with an override is funded (if it fits) at exactly the override; the
    rest at their request; a skip is judged on the override amount."""
    requested, overrides = case
    ranked = _ranked(requested)

    funded, skipped, remaining = allocate_funding(ranked, pool, overrides)

    left = pool
    funded = dict(funded)
    for key, asked in ranked:
        amount = overrides.get(key, asked)
        if key in skipped:
            assert amount > left
        else:
            assert funded[key] == amount
            left -= amount
    assert left == remaining


def test_the_next_proposal_that_fits_is_funded_after_a_skip():
    """With ¥100 left, a ¥150 proposal is skipped and the following ¥80 one is funded."""
    ranked = [("a", Decimal("300")), ("b", Decimal("150")), ("c", Decimal("80"))]

    funded, skipped, remaining = allocate_funding(ranked, Decimal("400"))

    assert funded == [("a", Decimal("300")), ("c", Decimal("80"))]
    assert skipped == ["b"]
    assert remaining == Decimal("20")


def test_a_lower_amount_can_make_a_proposal_fit():
    """Funding b at ¥100 instead of ¥150 lets it in ahead of c."""
    ranked = [("a", Decimal("300")), ("b", Decimal("150")), ("c", Decimal("80"))]

    funded, skipped, remaining = allocate_funding(ranked, Decimal("400"), {"b": Decimal("100")})

    assert funded == [("a", Decimal("300")), ("b", Decimal("100"))]
    assert skipped == ["c"]
    assert remaining == Decimal("0")


@pytest.mark.parametrize(
    "overrides",
    [{"a": Decimal("301")}, {"a": Decimal("0")}, {"a": Decimal("-1")}, {"zz": Decimal("1")}],
    ids=["above_request", "zero", "negative", "unknown_key"],
)
def test_bad_overrides_are_refused(overrides):
    """An override above the request, not positive, or for an unranked key is an error."""
    with pytest.raises(ValueError):
        allocate_funding([("a", Decimal("300"))], Decimal("400"), overrides)
