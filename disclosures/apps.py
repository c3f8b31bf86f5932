from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "disclosures"

    def ready(self) -> None:
        # Retention: disclosures deletes its own rows of a destroyed client (clients.retention).
        from clients.retention import register_client_destroyer, register_process_note_keeper
        from disclosures.retention import clients_awaiting_access, destroy_client_disclosures

        register_client_destroyer(destroy_client_disclosures)
        # Process notes stay while the client's request for their records is open.
        register_process_note_keeper(clients_awaiting_access)
