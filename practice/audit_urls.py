"""The service managers' audit review pages, under /audit/."""

from django.urls import path

from practice import audit_views as views

app_name = "audit"

urlpatterns = [
    path("", views.index, name="index"),
    path("verify/", views.verify, name="verify"),
    path("events/", views.events, name="events"),
    path("highlights/", views.highlights, name="highlights"),
    path("export/", views.export, name="export"),
    path("report/", views.report, name="report"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/new/", views.review_new, name="review_new"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
]
