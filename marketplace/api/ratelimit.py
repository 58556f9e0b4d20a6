"""Rate limits of the API: a fixed-window counter in the Django cache per client — the
token for authenticated calls, the IP address for anonymous ones. Limits come from
settings.API_RATE_LIMIT_TOKEN / API_RATE_LIMIT_ANON ("600/min"), read on each call."""

import math
import threading
import time
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from ninja.throttling import BaseThrottle

from marketplace.models import ApiToken

PERIODS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600, "day": 86400, "d": 86400}

# The clock, replaceable in tests so that a window can pass without sleeping.
clock = time.time


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset: int  # seconds until the window ends

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/min" → (120, 60)."""
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip()]
    except (ValueError, KeyError) as error:
        raise ImproperlyConfigured(f"Bad API rate limit {rate!r}; use e.g. '120/min'.") from error


def client_key(request) -> tuple[str, str]:
    """(cache key part, rate) for the caller: its token if it presented a valid one, else
    its address as allauth's rate limits see it (X-Forwarded-For only behind the
    TRUSTED_PROXY_COUNT proxies we run: otherwise it is whatever the client says)."""
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return f"token:{token.pk}", settings.API_RATE_LIMIT_TOKEN
    return f"ip:{get_adapter(request).get_client_ip(request)}", settings.API_RATE_LIMIT_ANON


def rate_hit(request) -> RateState:
    """Count this call in the caller's current window and return where it stands; the call
    is over the limit when `remaining` would go below zero (then remaining is 0)."""
    key, rate = client_key(request)
    limit, period = parse_rate(rate)
    now = clock()
    window = int(now // period)
    cache_key = f"api-rate:{key}:{period}:{window}"
    # add() creates the counter only if absent, so concurrent first calls do not reset it.
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=period + 1)
        count = 1
    reset = max(math.ceil((window + 1) * period - now), 1)
    return RateState(limit=limit, remaining=limit - count, reset=reset)


class ApiRateLimit(BaseThrottle):
    """ninja's throttle hook around `rate_hit`; the state is left on the request for the
    X-RateLimit headers (NinjaAPI.create_response) and wait() for Retry-After."""

    def __init__(self):
        # One instance serves every thread: the wait belongs to the thread's current call.
        self._local = threading.local()

    def allow_request(self, request) -> bool:
        state = rate_hit(request)
        allowed = state.remaining >= 0
        request.api_rate = RateState(state.limit, max(state.remaining, 0), state.reset)
        self._local.wait = None if allowed else state.reset
        return allowed

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
