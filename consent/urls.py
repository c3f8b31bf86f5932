from django.urls import path

from consent import views

app_name = "consent"

urlpatterns = [
    path("client/<str:reference>/", views.client_consent, name="client"),
    path("client/<str:reference>/contracting/", views.contracting, name="contracting"),
    path("client/<str:reference>/give/", views.grant, name="grant"),
    path("client/<str:reference>/prepare/", views.prepare, name="prepare"),
    path(
        "client/<str:reference>/prepared/<uuid:prepared_id>/cancel/",
        views.prepared_cancel,
        name="prepared_cancel",
    ),
    path("documents/", views.documents, name="documents"),
    path("documents/new/", views.document_new, name="document_new"),
    path("documents/<int:document_id>/", views.document, name="document"),
    path("documents/<int:document_id>/publish/", views.document_publish, name="document_publish"),
    path("<uuid:consent_id>/", views.detail, name="detail"),
    path("<uuid:consent_id>/evidence/", views.evidence, name="evidence"),
    path("<uuid:consent_id>/withdraw/", views.withdraw, name="withdraw"),
]
