from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "practice.crypto"
    label = "crypto"
    verbose_name = "Encryption keys"

    def ready(self) -> None:
        # Registers the system checks for models with encrypted fields and for the key rings.
        from practice.crypto import checks  # noqa: F401
