"""Every field of every project model is classified as identifying, clinical, operational or
a blind index; identifying and clinical fields must be encrypted. A new field cannot slip in
unclassified (the pattern comes from OpenSAFELY job-server)."""

from __future__ import annotations

import pytest
from django.apps import apps

from clients.models import BLIND_INDEX, CLINICAL, IDENTIFYING, OPERATIONAL
from practice.crypto.fields import EncryptedField

DOMAIN_APPS = {"clients", "notes", "consent", "disclosures"}


def domain_models() -> list[type]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in DOMAIN_APPS and not model.__name__.startswith("Historical")
    ]


def test_there_are_domain_models_to_check() -> None:
    assert len(domain_models()) >= 5


@pytest.mark.parametrize("model", domain_models(), ids=lambda m: m._meta.label)
def test_every_field_is_classified(model: type) -> None:
    declared = getattr(model, "SENSITIVITY", None)
    assert declared is not None, f"{model._meta.label} has no SENSITIVITY declaration"
    # Forward fields only: reverse relations are classified on the model that declares them.
    names = {
        field.name for field in model._meta.get_fields() if field.concrete or not field.auto_created
    }
    names = {name for name in names if not name.startswith("history")}
    assert names == set(declared), (
        f"{model._meta.label}: unclassified {sorted(names - set(declared))}, "
        f"stale {sorted(set(declared) - names)}"
    )
    assert set(declared.values()) <= {IDENTIFYING, CLINICAL, OPERATIONAL, BLIND_INDEX}


@pytest.mark.parametrize("model", domain_models(), ids=lambda m: m._meta.label)
def test_identifying_and_clinical_fields_are_encrypted(model: type) -> None:
    for name, kind in getattr(model, "SENSITIVITY", {}).items():
        field = model._meta.get_field(name)
        if kind in (IDENTIFYING, CLINICAL):
            assert isinstance(field, EncryptedField), (
                f"{model._meta.label}.{name} is {kind} but not encrypted"
            )
        if kind == BLIND_INDEX:
            assert field.max_length == 64 and name.endswith("_index")


@pytest.mark.parametrize("model", domain_models(), ids=lambda m: m._meta.label)
def test_identifying_fields_live_only_in_the_identity_model(model: type) -> None:
    identifying = [
        n for n, kind in getattr(model, "SENSITIVITY", {}).items() if kind == IDENTIFYING
    ]
    if identifying:
        assert model._meta.label == "clients.ClientIdentity"
