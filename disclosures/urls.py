"""Disclosure requests, their gates, the released PDF and the register."""

from django.urls import path

from disclosures import sar_views, statute_views, views

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
    # Subject access requests (the client's own records), the staff side.
    path("subject-access/", sar_views.sar_list, name="sar_list"),
    path("subject-access/new/<str:reference>/", sar_views.sar_new, name="sar_new"),
    path("subject-access/<uuid:sar_id>/", sar_views.sar_detail, name="sar_detail"),
    path("subject-access/<uuid:sar_id>/verify/", sar_views.sar_verify, name="sar_verify"),
    path("subject-access/<uuid:sar_id>/pause/", sar_views.sar_pause, name="sar_pause"),
    path("subject-access/<uuid:sar_id>/resume/", sar_views.sar_resume, name="sar_resume"),
    path("subject-access/<uuid:sar_id>/extend/", sar_views.sar_extend, name="sar_extend"),
    path("subject-access/<uuid:sar_id>/close/", sar_views.sar_close, name="sar_close"),
    path("subject-access/<uuid:sar_id>/prepare/", sar_views.sar_prepare, name="sar_prepare"),
    path("subject-access/<uuid:sar_id>/content/", sar_views.sar_content, name="sar_content"),
    path("subject-access/<uuid:sar_id>/review/", sar_views.sar_review, name="sar_review"),
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
