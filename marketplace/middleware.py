from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from marketplace import permissions


class RequireMFAMiddleware:
    """Keep buyer officers and staff out of buyer and staff pages until they set up TOTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and request.path.startswith(tuple(settings.MFA_REQUIRED_PATH_PREFIXES))
            and permissions.requires_mfa(user)
            and not permissions.has_mfa(user)
        ):
            messages.warning(
                request,
                _(
                    "购买主体经办人和平台工作人员必须先启用两步验证（身份验证器应用），才能进入该页面。"
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
