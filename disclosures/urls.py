"""Disclosure requests, their gates, the released PDF and the register."""

from django.urls import path

from disclosures import statute_views, views

app_name = "disclosures"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_new, name="new"),
    path("statutes/", statute_views.statutes, name="statutes"),
    path("register/", views.register, name="register"),
    path(
        "register/<str:reference>/report.pdf",
        views.accountability,
        name="accountability",
    ),
    path("<uuid:request_id>/", views.request_detail, name="detail"),
    path("<uuid:request_id>/content/", views.choose, name="choose"),
    path("<uuid:request_id>/documents/", views.attach, name="attach"),
    path(
        "<uuid:request_id>/documents/<uuid:document_id>/",
        views.document,
        name="document",
    ),
    path("<uuid:request_id>/consent/", views.consent_step, name="consent"),
    path("<uuid:request_id>/consult/", views.consult, name="consult"),
    path("<uuid:request_id>/sign-off/", views.sign_off, name="sign_off"),
    path("<uuid:request_id>/approve/", views.approve, name="approve"),
    path("<uuid:request_id>/refuse/", views.refuse, name="refuse"),
    path("<uuid:request_id>/release/", views.release, name="release"),
    path(
        "<uuid:request_id>/emergency-release/",
        views.emergency_release,
        name="emergency_release",
    ),
    path("<uuid:request_id>/review/", views.review, name="review"),
    path("<uuid:request_id>/pdf/", views.download, name="download"),
]
