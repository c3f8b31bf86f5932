from django.urls import path

app_name = "consent"

urlpatterns: list = []
