"""URLs of the search app, included at /search/ by marketplace/urls.py."""

from django.urls import path

from search import views

urlpatterns = [
    path("", views.search, name="search"),
    path("suggest/", views.suggest, name="search_suggest"),
    path("saved/", views.saved_search_list, name="saved_search_list"),
    path("saved/new/", views.saved_search_create_view, name="saved_search_create"),
    path("saved/<int:pk>/delete/", views.saved_search_delete_view, name="saved_search_delete"),
    path(
        "unsubscribe/<str:token>/",
        views.saved_search_unsubscribe_view,
        name="saved_search_unsubscribe",
    ),
]
