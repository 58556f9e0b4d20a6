from django.apps import AppConfig


class SearchConfig(AppConfig):
    """Search over tenders, organisations and results (built in the search issue)."""

    name = "search"
    label = "zhengshe_search"
