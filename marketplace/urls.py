from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from marketplace.views import accounts, buyers, catalogue, organisations

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dashboard/", accounts.dashboard, name="dashboard"),
    path("invitations/<str:token>/", accounts.invitation_accept_view, name="invitation_accept"),
    path("organisations/", organisations.organisation_list, name="organisation_list"),
    path(
        "organisations/register/",
        organisations.organisation_register_view,
        name="organisation_register",
    ),
    path("organisations/<int:pk>/", organisations.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", organisations.organisation_edit, name="organisation_edit"),
    path(
        "organisations/<int:pk>/resubmit/",
        organisations.organisation_resubmit_view,
        name="organisation_resubmit",
    ),
    path(
        "organisations/<int:pk>/members/",
        organisations.organisation_members_view,
        name="organisation_members",
    ),
    path(
        "organisations/<int:pk>/members/<int:membership_pk>/remove/",
        organisations.organisation_member_remove_view,
        name="organisation_member_remove",
    ),
    path("buyers/", buyers.buyer_list, name="buyer_list"),
    path("buyers/<int:pk>/", buyers.buyer_detail, name="buyer_detail"),
    path("buyer/", buyers.buyer_workspace, name="buyer_workspace"),
    path("buyer/<int:pk>/delegations/new/", buyers.delegation_create, name="delegation_create"),
    path(
        "buyer/<int:pk>/delegations/<int:delegation_pk>/revoke/",
        buyers.delegation_revoke_view,
        name="delegation_revoke",
    ),
    path("catalogue/", catalogue.catalogue_list, name="catalogue_list"),
    path("lists/", catalogue.communitylist_index, name="communitylist_index"),
    path("lists/<str:region_code>/", catalogue.communitylist_detail, name="communitylist_detail"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns.append(path("", include(wagtail_urls)))
