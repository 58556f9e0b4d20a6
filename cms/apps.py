from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("门户内容")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cms import caching, profile_caching, receivers

        caching.connect()
        receivers.connect()
        profile_caching.connect()
