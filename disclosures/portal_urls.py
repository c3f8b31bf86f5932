"""The client's portal. Only client accounts reach it (see RequireVerifiedUserMiddleware)."""

from django.urls import path

from disclosures import portal_views

app_name = "portal"

urlpatterns = [
    path("", portal_views.home, name="home"),
]
