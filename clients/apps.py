from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"

    def ready(self) -> None:
        # A client account's one-time sign-in codes go to the e-mail address in their
        # encrypted identity; the accounts foundation asks through its lookup registry.
        from clients.access import portal_email_address
        from practice.accounts.models import register_address_lookup

        register_address_lookup(portal_email_address)
