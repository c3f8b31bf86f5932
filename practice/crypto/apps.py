from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "practice.crypto"
    label = "crypto"
    verbose_name = "Encryption keys"
