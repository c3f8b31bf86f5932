"""Envelope encryption of client records.

* ``keyring``: ``Domain``, master keys from settings, wrapping of data keys, the errors
  (``CryptoError``, ``MissingKeyError``, ``DecryptionError``).
* ``models.DataKey``: per-client, per-domain, versioned data keys, stored wrapped.
* ``services``: ``data_key_for_encryption``, ``data_key``, ``shred``.
* ``cache``: ``key_cache()`` (and ``middleware.KeyCacheMiddleware`` per request).
* ``fields``: ``EncryptedTextField``, ``EncryptedCharField``, ``EncryptedDateField``,
  ``EncryptedBinaryField``; models declare ``crypto_domain`` and ``crypto_owner_field``.
* ``blind_index.blind_index``: keyed exact-match search.
* ``rotation`` and the ``rotate_master_keys`` / ``rotate_client_keys`` commands.
"""
