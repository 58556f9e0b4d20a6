from django.utils.functional import SimpleLazyObject

from marketplace import permissions


def workspace(request):
    """Lazily tell templates which workspaces the current user has, for the navigation."""
    user = request.user

    def roles():
        return {
            "buyer": permissions.is_buyer_officer(user),
            "staff": permissions.is_staff(user),
            "expert": hasattr(user, "expert"),
        }

    return {"my_roles": SimpleLazyObject(roles) if user.is_authenticated else {}}
