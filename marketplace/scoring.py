"""The arithmetic of an evaluation, on Decimals, with nothing rounded until the total.

- Price score by the lowest-valid-price method: weight × lowest valid price ÷ bid price.
- An expert panel's score on a criterion is the mean of its experts' points; with five or
  more experts the single highest and lowest are dropped first.
- Bids are ranked by total (rounded to two places, as published); ties go to the lower
  price, then the higher technical (non-price) score.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
DROP_EXTREMES_FROM = 5


def price_score(weight, lowest: Decimal, price: Decimal) -> Decimal:
    """Unrounded price score of a bid at `price` when the lowest valid price is `lowest`."""
    return Decimal(weight) * lowest / price


def panel_mean(points) -> Decimal:
    """The panel's score from its experts' points (drop highest and lowest from five up)."""
    values = sorted(Decimal(value) for value in points)
    if not values:
        raise ValueError("no points to average")
    if len(values) >= DROP_EXTREMES_FROM:
        values = values[1:-1]
    return sum(values, Decimal(0)) / len(values)


def round_total(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Standing:
    """One bid's place: the key is whatever identifies the bid to the caller."""

    key: object
    technical: Decimal
    price: Decimal
    price_points: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return round_total(self.technical + self.price_points)


def rank(standings) -> list[Standing]:
    """The standings best first: total, then lower price, then higher technical score."""
    return sorted(standings, key=lambda s: (-s.total, s.price, -s.technical))


def allocate_funding(ranked, pool: Decimal, overrides=None):
    """Fund 公益创投 proposals in rank order while the pool lasts.

    `ranked` is a list of (key, requested) best first; `overrides` maps a key to a lower
    amount the buyer decided to fund instead (the caller records the reason). A proposal
    whose amount does not fit in what is left is skipped and the next one that fits is
    funded. Returns (funded [(key, amount)], skipped [key], remaining pool), all Decimals.
    """
    overrides = overrides or {}
    ranked = list(ranked)
    unknown = set(overrides) - {key for key, _requested in ranked}
    if unknown:
        raise ValueError(f"overrides for proposals not ranked: {sorted(map(repr, unknown))}")
    remaining = Decimal(pool)
    if remaining < 0:
        raise ValueError("the pool cannot be negative")
    funded, skipped = [], []
    for key, requested in ranked:
        requested = Decimal(requested)
        amount = Decimal(overrides[key]) if key in overrides else requested
        if amount <= 0 or amount > requested:
            raise ValueError(f"{key!r}: a funded amount must be > 0 and at most the request")
        if amount <= remaining:
            funded.append((key, amount))
            remaining -= amount
        else:
            skipped.append(key)
    return funded, skipped, remaining
