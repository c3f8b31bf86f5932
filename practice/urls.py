from django.urls import include, path

from practice import views
from practice.admin import site as admin_site

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("practice.accounts.urls")),
    path("counsellor/", views.counsellor_home, name="counsellor_home"),
    path("supervisor/", views.supervisor_home, name="supervisor_home"),
    path("manager/", views.manager_home, name="manager_home"),
    path("administrator/", views.administrator_home, name="administrator_home"),
    path("clients/", include("clients.urls")),
    path("notes/", include("notes.urls")),
    path("consent/", include("consent.urls")),
    path("disclosures/", include("disclosures.urls")),
    path("portal/", include("disclosures.portal_urls")),
    path("audit/", include("practice.audit_urls")),
    path("admin/", admin_site.urls),
]
