from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "disclosures"

    def ready(self) -> None:
        # Retention: disclosures deletes its own rows of a destroyed client (clients.retention).
        from clients.retention import register_client_destroyer
        from disclosures.retention import destroy_client_disclosures

        register_client_destroyer(destroy_client_disclosures)
