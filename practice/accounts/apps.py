from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "practice.accounts"
    label = "accounts"
    verbose_name = "Accounts and sign-in"

    def ready(self) -> None:
        from practice.accounts import signals  # noqa: F401  (connects the audit receivers)
