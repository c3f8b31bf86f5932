from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "practice.audit"
    label = "audit"
    verbose_name = "Audit trail"
