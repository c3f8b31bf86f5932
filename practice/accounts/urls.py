from django.urls import path

from practice.accounts import policy_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("verify/", views.verify_view, name="verify"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("enrol/email/", views.enrol_email_view, name="enrol_email"),
    path("backup-codes/", views.backup_codes_view, name="backup_codes"),
    path("logout/", views.logout_view, name="logout"),
    path("session/keepalive/", views.keepalive_view, name="keepalive"),
    path("policy/", policy_views.accept_policy, name="policy"),
    path("policies/", policy_views.policy_versions, name="policies"),
    path("policies/<int:policy_id>/publish/", policy_views.publish_policy, name="publish_policy"),
]
