"""Encrypted model fields: AES-256-GCM under the owner's data key, bound to their place.

Stored value (a binary column)::

    format (1 byte) | domain (1 byte) | data-key version (4 bytes, big-endian)
    | nonce (12 bytes) | ciphertext + tag (16 bytes)

Associated data = source model label (lower case), field name, row id, owner id and the
header. A ciphertext copied to another row, field, model or client therefore fails to
authenticate. django-simple-history rows use the *source* model's label and row id, so a
history row decrypts with exactly the associated data of the row it copies.

How a model opts in::

    class SessionNote(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        client = models.ForeignKey("clients.Client", on_delete=models.PROTECT)
        body = EncryptedTextField(blank=True)

        crypto_domain = Domain.CLINICAL
        crypto_owner_field = "client"   # a field name or attname giving the owner's UUID

Writing: ``pre_save`` encrypts and hands bytes to the database; the instance keeps its
plaintext. Reading: ``from_db_value`` returns a ``Sealed`` marker and the field's descriptor
decrypts on first access with the instance's context, then keeps the plaintext on the
instance. A failure raises ``DecryptionError`` (and is audited); nothing ever returns
ciphertext as if it were text.

Not supported, on purpose: lookups on encrypted values (use a blind index), ``bulk_update``
and ``QuerySet.update`` with plaintext (they bypass ``pre_save``; both raise), and
serialisation with dumpdata/loaddata (``value_to_string`` raises).
"""

from __future__ import annotations

import datetime
import os
import struct
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from django import forms
from django.core import validators
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init

from practice.crypto import services
from practice.crypto.keyring import CryptoError, DecryptionError, Domain, MissingKeyError

FORMAT_VERSION = 1
_HEADER = struct.Struct(">BBI")
HEADER_BYTES = _HEADER.size
NONCE_BYTES = 12
TAG_BYTES = 16
_DOMAIN_CODE = {Domain.IDENTITY.value: 1, Domain.CLINICAL.value: 2}
_CODE_DOMAIN = {code: domain for domain, code in _DOMAIN_CODE.items()}
_AAD_PREFIX = b"practice.crypto.field/v1"


class Sealed:
    """Ciphertext as loaded from (or about to go to) the database: never mistaken for text.

    ``context`` is the row context the value was loaded with (bound right after the instance
    is built), so changing the owner or primary key of a loaded instance and saving it
    re-encrypts correctly instead of failing.
    """

    __slots__ = ("context", "data")

    def __init__(self, data: bytes, context: RowContext | None = None) -> None:
        self.data = data
        self.context = context

    def __repr__(self) -> str:
        return f"<Sealed: {len(self.data)} bytes>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.data)


def header_of(data: bytes) -> tuple[int, str | None, int] | None:
    """(format, domain, data-key version) of a stored value, or None when it is too short."""
    if len(data) < HEADER_BYTES + NONCE_BYTES + TAG_BYTES:
        return None
    fmt, code, version = _HEADER.unpack_from(data)
    return fmt, _CODE_DOMAIN.get(code), version


@dataclass(frozen=True)
class CryptoMeta:
    """How the fields of one concrete (or historical) model find their context."""

    label: str  # source model label for the AAD (never the historical model's)
    domain: str
    owner_attname: str
    row_attname: str
    where: str  # label of the table actually read, for messages and audit


@dataclass(frozen=True)
class RowContext:
    label: str
    domain: str
    row_id: str
    owner: uuid.UUID | None
    where: str
    where_id: str


def history_source(model: type[models.Model]) -> type[models.Model] | None:
    """The tracked model of a django-simple-history historical model, else None."""
    source = getattr(model, "instance_type", None)
    if isinstance(source, type) and issubclass(source, models.Model):
        try:
            model._meta.get_field("history_id")
        except FieldDoesNotExist:
            return None
        return source
    return None


def crypto_meta_for(model: type[models.Model], field_name: str) -> CryptoMeta:
    """Resolve label, domain, owner and row attribute for ``field_name`` on ``model``.

    Raises ImproperlyConfigured when the model does not declare what the layer needs (the
    system check reports the same problems at start-up).
    """
    source = history_source(model) or model
    # The field may be inherited from a multi-table parent: its own table is the place.
    origin = source._meta.get_field(field_name).model._meta.concrete_model
    domain = getattr(source, "crypto_domain", None)
    owner_name = getattr(source, "crypto_owner_field", None)
    label = origin._meta.label_lower
    if domain not in _DOMAIN_CODE:
        raise ImproperlyConfigured(
            f"{label} has encrypted fields but no valid crypto_domain (use practice.crypto."
            "keyring.Domain.CLINICAL or Domain.IDENTITY)."
        )
    if not isinstance(owner_name, str) or not owner_name:
        raise ImproperlyConfigured(
            f"{label} has encrypted fields but no crypto_owner_field naming the owner's UUID."
        )
    try:
        owner_attname = source._meta.get_field(owner_name).attname
    except FieldDoesNotExist:
        owner_attname = owner_name  # an attname such as "client_id" that is not a field name
    pk = origin._meta.pk
    if not isinstance(pk, models.UUIDField):
        raise ImproperlyConfigured(
            f"{label} has encrypted fields, so its primary key must be a UUIDField with "
            "default=uuid.uuid4 (the row id is part of the associated data)."
        )
    return CryptoMeta(
        label=label,
        domain=Domain(domain).value,
        owner_attname=owner_attname,
        row_attname=pk.attname,
        where=model._meta.label_lower,
    )


def row_id_text(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def _owner_uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class EncryptedAttribute(DeferredAttribute):
    """Decrypts on first access, then keeps the plaintext on the instance.

    A data descriptor (it defines __set__), so every read passes through __get__ even after
    the value is in the instance's __dict__.
    """

    field: EncryptedField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)  # loads a deferred value if needed
        if type(value) is Sealed:
            value = self.field.open(instance, value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedField(models.Field):
    """Base of the encrypted fields: a binary column holding a sealed value."""

    descriptor_class = EncryptedAttribute
    description = "Encrypted value"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for option in ("primary_key", "unique"):
            if kwargs.get(option):
                raise ImproperlyConfigured(
                    f"Encrypted fields cannot be {option}: every ciphertext is different. "
                    "Use a blind index for uniqueness and lookups."
                )
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "BinaryField"

    # -- plaintext conversion, overridden per type ------------------------------------------

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    # -- context ----------------------------------------------------------------------------

    def crypto_meta(self) -> CryptoMeta:
        # Cached with the model it was computed for: django-simple-history copies this field
        # object (copy.copy) onto the historical model, and the copy must compute its own.
        cached = self.__dict__.get("_crypto_meta")
        if cached is not None and cached[0] is self.model:
            return cached[1]
        meta = crypto_meta_for(self.model, self.name)
        self.__dict__["_crypto_meta"] = (self.model, meta)
        return meta

    def row_context(
        self, instance: models.Model, *, loaded_only: bool = False
    ) -> RowContext | None:
        meta = self.crypto_meta()
        data = instance.__dict__
        if loaded_only and (meta.row_attname not in data or meta.owner_attname not in data):
            return None  # deferred: bind later, at access time, rather than query here
        row_id = getattr(instance, meta.row_attname)
        owner = getattr(instance, meta.owner_attname)
        return RowContext(
            label=meta.label,
            domain=meta.domain,
            row_id=row_id_text(row_id) if row_id is not None else "",
            owner=_owner_uuid(owner),
            where=meta.where,
            where_id=row_id_text(instance.pk) if instance.pk is not None else "",
        )

    def _aad(self, ctx: RowContext, header: bytes) -> bytes:
        # Every part is NUL-free (labels, field names, canonical UUIDs); the header is fixed
        # length and last, so the encoding is unambiguous.
        parts = [_AAD_PREFIX, ctx.label.encode(), self.name.encode(), ctx.row_id.encode()]
        parts.append(str(ctx.owner).encode())
        return b"\x00".join(parts) + b"\x00" + header

    # -- sealing ----------------------------------------------------------------------------

    def seal(self, value: Any, ctx: RowContext, *, version: int | None = None) -> bytes:
        """Encrypt a plaintext for ``ctx`` (with the owner's newest key unless ``version``)."""
        if not ctx.row_id:
            raise ImproperlyConfigured(
                f"{ctx.label}.{self.name}: the row has no primary key yet; models with "
                "encrypted fields need a UUID primary key with default=uuid.uuid4."
            )
        if ctx.owner is None:
            raise ValueError(
                f"{ctx.label}.{self.name}: cannot encrypt without an owner "
                f"({self.crypto_meta().owner_attname} is empty or not a UUID)."
            )
        if version is None:
            key = services.current_key(ctx.owner, ctx.domain)
        else:
            key = services.unwrapped_key(ctx.owner, ctx.domain, version)
        header = _HEADER.pack(FORMAT_VERSION, _DOMAIN_CODE[ctx.domain], key.version)
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + key.aead.encrypt(nonce, self.encode(value), self._aad(ctx, header))

    def unseal(self, data: bytes, ctx: RowContext) -> Any:
        """Decrypt a stored value for ``ctx``; DecryptionError (audited) on any failure."""
        try:
            return self._unseal(data, ctx)
        except _Failure as failure:
            services.report_decryption_failure(ctx.where, ctx.where_id, self.name, failure.reason)
            raise DecryptionError(
                f"Could not decrypt {ctx.where}.{self.name} of row {ctx.where_id} "
                f"({failure.reason}).",
                reason=failure.reason,
            ) from failure.cause

    def _unseal(self, data: bytes, ctx: RowContext) -> Any:
        header = header_of(data)
        if header is None or header[0] != FORMAT_VERSION:
            raise _Failure("bad_format")
        if header[1] != ctx.domain:
            raise _Failure("wrong_domain")
        if not ctx.row_id or ctx.owner is None:
            raise _Failure("no_context")
        try:
            key = services.unwrapped_key(ctx.owner, ctx.domain, header[2])
        except services.DataKeyNotFoundError as exc:
            raise _Failure("no_data_key", exc) from None
        except MissingKeyError as exc:
            raise _Failure("no_master_key", exc) from None
        except DecryptionError as exc:
            raise _Failure(exc.reason, exc) from None
        aad = self._aad(ctx, bytes(data[:HEADER_BYTES]))
        nonce = data[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
        try:
            plaintext = key.aead.decrypt(nonce, data[HEADER_BYTES + NONCE_BYTES :], aad)
        except InvalidTag:
            raise _Failure("tag_mismatch") from None
        try:
            return self.decode(plaintext)
        except (UnicodeDecodeError, ValueError):
            # Never chain: a decode error carries the bytes it failed on.
            raise _Failure("decode") from None

    def open(self, instance: models.Model, sealed: Sealed) -> Any:
        """Plaintext of a loaded value, using the context the row was loaded with."""
        ctx = sealed.context or self.row_context(instance)
        assert ctx is not None
        return self.unseal(sealed.data, ctx)

    # -- Django hooks -----------------------------------------------------------------------

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.attname not in model_instance.__dict__:
            getattr(model_instance, self.attname)  # load a deferred value first
        value = model_instance.__dict__[self.attname]
        if value is None:
            return None
        if type(value) is Sealed:
            # Never copy ciphertext as is: the owner or primary key may have changed since it
            # was loaded. Decrypt with the loaded context, keep the plaintext, re-encrypt.
            value = self.open(model_instance, value)
            model_instance.__dict__[self.attname] = value
        value = self.plaintext_for_save(value)
        if value is None:
            return None
        ctx = self.row_context(model_instance)
        assert ctx is not None
        return Sealed(self.seal(value, ctx))

    def plaintext_for_save(self, value: Any) -> Any:
        return self.to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if type(value) is Sealed:
            return value.data
        if value == b"":
            # The schema editor's placeholder when a NOT NULL encrypted column is added to a
            # table that has rows. Such rows then fail to decrypt ("bad_format") until saved
            # again: add encrypted columns as null=True and backfill instead.
            return value
        raise TypeError(
            f"{self.model._meta.label_lower}.{self.name} is encrypted: it is written only "
            "through Model.save() (not QuerySet.update() or bulk_update()) and cannot be "
            "searched (use a blind index)."
        )

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        return connection.Database.Binary(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        if value is None:
            return None
        return Sealed(bytes(value))

    def value_to_string(self, obj: models.Model) -> str:
        raise ImproperlyConfigured(
            f"{self.model._meta.label_lower}.{self.name} is encrypted and is not serialised "
            "(dumpdata would write plaintext)."
        )


class _Failure(Exception):
    def __init__(self, reason: str, cause: BaseException | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cause = cause


class EncryptedTextField(EncryptedField):
    """Encrypted text. An optional ``max_length`` limits the plaintext in forms and
    ``full_clean()`` (like Django's TextField, it is not enforced on save)."""

    description = "Encrypted text"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def encode(self, value: str) -> bytes:
        return value.encode("utf-8")

    def decode(self, data: bytes) -> str:
        return data.decode("utf-8")

    def formfield(self, **kwargs: Any) -> Any:
        defaults: dict[str, Any] = {"max_length": self.max_length}
        if not self.choices:  # a choice field keeps its select widget
            defaults["widget"] = self._form_widget
        if self.null:
            defaults["empty_value"] = None
        return super().formfield(**{**defaults, **kwargs})

    _form_widget: type[forms.Widget] = forms.Textarea


class EncryptedCharField(EncryptedTextField):
    """Short encrypted text; ``max_length`` limits the plaintext (the column is binary) and,
    as a varchar column would, is also enforced on save."""

    description = "Encrypted short text"
    _form_widget = forms.TextInput

    def __init__(self, *args: Any, max_length: int, **kwargs: Any) -> None:
        super().__init__(*args, max_length=max_length, **kwargs)

    def plaintext_for_save(self, value: Any) -> Any:
        value = super().plaintext_for_save(value)
        if value is not None and self.max_length is not None and len(value) > self.max_length:
            raise ValueError(
                f"{self.model._meta.label_lower}.{self.name} is limited to {self.max_length} "
                f"characters."
            )
        return value


_DATE = models.DateField()


class EncryptedDateField(EncryptedField):
    description = "Encrypted date"
    empty_strings_allowed = False

    def to_python(self, value: Any) -> Any:
        return _DATE.to_python(value)

    def encode(self, value: datetime.date) -> bytes:
        return value.isoformat().encode("ascii")

    def decode(self, data: bytes) -> datetime.date:
        return datetime.date.fromisoformat(data.decode("ascii"))

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": forms.DateField, **kwargs})


class EncryptedBinaryField(EncryptedField):
    """Encrypted bytes (uploaded file contents); keep filename and type in other fields."""

    description = "Encrypted binary data"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.editable:
            kwargs["editable"] = True
        else:
            kwargs.pop("editable", None)
        return name, path, args, kwargs

    def get_default(self) -> Any:
        default = super().get_default()
        return b"" if default == "" else default

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, bytes):
            return value
        if isinstance(value, bytearray | memoryview):
            return bytes(value)
        raise TypeError(f"{self.name} takes bytes, not {type(value).__name__}.")

    def encode(self, value: bytes) -> bytes:
        return value

    def decode(self, data: bytes) -> bytes:
        return data


# -- binding loaded values to the context they were loaded with ---------------------------

_FIELDS_BY_MODEL: dict[type, tuple[EncryptedField, ...]] = {}


def encrypted_fields(model: type[models.Model]) -> tuple[EncryptedField, ...]:
    fields = _FIELDS_BY_MODEL.get(model)
    if fields is None:
        fields = tuple(f for f in model._meta.concrete_fields if isinstance(f, EncryptedField))
        _FIELDS_BY_MODEL[model] = fields
    return fields


def _bind_loaded_values(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    fields = encrypted_fields(sender)
    if not fields:
        return
    data = instance.__dict__
    contexts: dict[type, RowContext | None] = {}  # one per table (multi-table parents differ)
    for field in fields:
        value = data.get(field.attname)
        if type(value) is Sealed and value.context is None:
            if field.model not in contexts:
                try:
                    contexts[field.model] = field.row_context(instance, loaded_only=True)
                except (ImproperlyConfigured, CryptoError):
                    contexts[field.model] = None  # reported (clearly) when the value is read
            value.context = contexts[field.model]


# Connected for every model (proxies send post_init with their own class); models without
# encrypted fields cost one dict lookup per instance.
post_init.connect(_bind_loaded_values, dispatch_uid="practice.crypto.bind_loaded_values")
