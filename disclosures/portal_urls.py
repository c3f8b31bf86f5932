"""The client's portal. Only client accounts reach it (see RequireVerifiedUserMiddleware),
except the two public invitation pages, which are marked ``login_not_required``."""

from django.urls import path

from disclosures import portal_views

app_name = "portal"

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("records/", portal_views.records, name="records"),
    path("records/<uuid:bundle_id>/", portal_views.record_view, name="record"),
    path("records/<uuid:bundle_id>/pdf/", portal_views.record_pdf, name="record_pdf"),
    path("consents/", portal_views.consents, name="consents"),
    path("consents/sign/<uuid:prepared_id>/", portal_views.consent_sign, name="consent_sign"),
    path(
        "consents/withdraw/<uuid:consent_id>/",
        portal_views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("shared/", portal_views.register, name="register"),
    path("requests/", portal_views.requests, name="requests"),
    # Public: the link in the invitation e-mail, then the form (the secret kept in the session).
    path("invitation/", portal_views.invitation_form, name="invitation_form"),
    path("invitation/<str:token>/", portal_views.invitation, name="invitation"),
]
