"""The reference data every service reads: taxonomy and the event type registry."""
import pytest
from pydantic import ValidationError

from shared import events, taxonomy


def test_taxonomy_derived_sets_agree_with_the_tree():
    assert taxonomy.PARENT_SLUGS == {parent["slug"] for parent in taxonomy.TAXONOMY}
    assert set(taxonomy.LEAVES) == taxonomy.LEAF_SLUGS
    assert taxonomy.ALL_SLUGS == taxonomy.PARENT_SLUGS | taxonomy.LEAF_SLUGS
    assert not taxonomy.PARENT_SLUGS & taxonomy.LEAF_SLUGS  # a slug names one node
    for leaf, parent in taxonomy.PARENT_OF.items():
        assert leaf in taxonomy.children_of(parent)
        assert taxonomy.LEAVES[leaf]["parent"]["slug"] == parent
    assert taxonomy.CATEGORY_NAMES["tenun"] == "Kain Tenun"
    assert taxonomy.CATEGORY_NAMES["kerajinan"] == "Kerajinan Tangan"
    assert taxonomy.children_of("tenun") == []  # a leaf has no children
    assert [c["slug"] for c in taxonomy.category_list()] == list(taxonomy.LEAVES)


def test_every_category_has_one_name_per_language():
    """The site maps a shown name back to its slug, so no two categories share a name."""
    for names in (taxonomy.CATEGORY_NAMES, taxonomy.CATEGORY_NAMES_EN):
        assert set(names) == taxonomy.ALL_SLUGS
        assert all(name.strip() for name in names.values())
        assert len(set(names.values())) == len(names)


def test_services_and_tourism_has_its_five_leaves():
    """Issue 12: what visitors buy has a place (the evaluation catalog uses these slugs)."""
    assert taxonomy.children_of("jasa-wisata") == [
        "paket-wisata", "selam-snorkeling", "pemandu-wisata", "penginapan", "sewa-perahu"]
    assert taxonomy.CATEGORY_NAMES["jasa-wisata"] == "Jasa & Wisata"
    assert taxonomy.CATEGORY_NAMES_EN["jasa-wisata"] == "Services & Tourism"
    assert taxonomy.CATEGORY_NAMES["selam-snorkeling"] == "Selam & Snorkeling"
    assert taxonomy.CATEGORY_NAMES_EN["penginapan"] == "Homestays & Lodging"
    assert taxonomy.LEAVES["sewa-perahu"]["parent"] == {"slug": "jasa-wisata", "name": "Jasa & Wisata"}


def test_every_event_type_is_registered_with_its_contract():
    names = {value for key, value in vars(events).items() if key.isupper() and isinstance(value, str)
             and events.TYPE_PATTERN.match(value)}
    assert names == set(events.EVENT_TYPES)
    assert events.PRODUCT_UPSERTS | events.DELETE_EVENTS | events.MERCHANT_EVENTS <= set(events.EVENT_TYPES)
    for name, event_type in events.EVENT_TYPES.items():
        assert event_type.name == name and events.EVENT_SCHEMAS[name] == event_type.schema_version


def test_an_event_takes_its_schema_version_from_the_registry():
    event = events.Event(type=events.PRICING_CHANGED, aggregate_id="p-1", aggregate_version=1, payload={})
    assert event.schema_version == events.EVENT_TYPES[events.PRICING_CHANGED].schema_version


def test_registered_contracts_validate_payloads():
    contract = events.EVENT_TYPES[events.INTERACTIONS_RECORDED].contract
    ok = contract.model_validate({"batch_id": "b", "counts": [
        {"product_id": "p-1", "day": "2026-01-02", "kind": "view", "count": 3}]})
    assert ok.counts[0].count == 3
    with pytest.raises(ValidationError):
        contract.model_validate({"batch_id": "b", "counts": [
            {"product_id": "p-1", "day": "2026-01-02", "kind": "purchase", "count": 3}]})
