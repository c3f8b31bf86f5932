from django.urls import path

from clients import retention_views, views

app_name = "clients"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("new/", views.register, name="register"),
    path("allocation/", views.allocation_list, name="allocation"),
    path("search/", views.search, name="search"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path(
        "break-glass/<uuid:grant_id>/review/", views.review_break_glass, name="review_break_glass"
    ),
    path("executors/", views.executors, name="executors"),
    path(
        "executors/<uuid:appointment_id>/activate/",
        views.activate_executor,
        name="activate_executor",
    ),
    # Retention, legal holds and erasure (before the <reference>/ patterns, which would
    # otherwise take "retention" for a case reference).
    path("retention/", retention_views.overview, name="retention"),
    path("retention/register/", retention_views.register, name="retention_register"),
    path("legal-holds/", retention_views.hold_list, name="legal_holds"),
    path("legal-holds/<uuid:hold_id>/lift/", retention_views.hold_lift, name="legal_hold_lift"),
    path("erasure/", retention_views.erasure_list, name="erasure_list"),
    path("erasure/<uuid:erasure_id>/", retention_views.erasure_detail, name="erasure_detail"),
    path("<str:reference>/legal-hold/", retention_views.hold_place, name="legal_hold_place"),
    path("<str:reference>/erasure/", retention_views.erasure_new, name="erasure_new"),
    path("joint/new/", views.joint_case_new, name="joint_new"),
    path("joint/<str:reference>/", views.joint_detail, name="joint_detail"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/details/", views.edit_identity, name="edit_identity"),
    path("<str:reference>/allocate/", views.allocate, name="allocate"),
    path("<str:reference>/end/", views.end, name="end"),
    path("<str:reference>/portal/invite/", views.portal_invite, name="portal_invite"),
    path(
        "<str:reference>/portal/invitations/<uuid:invitation_id>/withdraw/",
        views.portal_withdraw,
        name="portal_withdraw",
    ),
    path("<str:reference>/portal/close/", views.portal_close, name="portal_close"),
]
