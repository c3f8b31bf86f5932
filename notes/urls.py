from django.urls import path

from notes import views

app_name = "notes"

urlpatterns = [
    path("client/<str:reference>/", views.client_notes, name="client"),
    path("client/<str:reference>/new/", views.note_new, name="new"),
    path("client/<str:reference>/share/", views.share_point, name="share"),
    path("joint/<str:reference>/", views.joint_notes, name="joint"),
    path("joint/<str:reference>/new/", views.joint_note_new, name="joint_new"),
    path("supervision/", views.supervision, name="supervision"),
    path("<uuid:note_id>/", views.note_detail, name="detail"),
    path("<uuid:note_id>/edit/", views.note_edit, name="edit"),
    path("<uuid:note_id>/sign/", views.note_sign, name="sign"),
    path("<uuid:note_id>/amend/", views.note_amend, name="amend"),
    path("<uuid:note_id>/versions/", views.note_versions, name="versions"),
]
