from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("政社通")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from marketplace import notifications, opendata, pagecache

        notifications.connect()
        pagecache.connect()
        opendata.connect()
