"""Wagtail pages. Marketplace data is read through marketplace selectors only."""

from .content import NewsIndexPage, NewsPage, PolicyPage
from .home import HomePage
from .profiles import (
    BuyerIndexPage,
    BuyerIntroduction,
    OrganisationIndexPage,
    OrganisationIntroduction,
)
from .results import ResultIndexPage, ResultPage

__all__ = [
    "BuyerIndexPage",
    "BuyerIntroduction",
    "HomePage",
    "NewsIndexPage",
    "NewsPage",
    "OrganisationIndexPage",
    "OrganisationIntroduction",
    "PolicyPage",
    "ResultIndexPage",
    "ResultPage",
]
