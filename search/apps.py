from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """Search over tenders, organisations and results, and saved-search alerts."""

    name = "search"
    label = "zhengshe_search"
    verbose_name = _("搜索")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Receivers: marketplace events update the index; indexed tenders feed the alerts.
        from search import alerts, indexing  # noqa: F401
