"""The search service's suggest and reload_synonyms RPCs in nameko's real container."""
import pytest
from nameko.testing.services import entrypoint_hook

from services.search.service import SearchService
from shared.errors import ValidationFailed

from ops_helpers import search_engine
from search_factories import document


def test_suggest_and_reload_synonyms(search_config, container_factory):
    container = container_factory(SearchService)
    container.start()
    search_engine(container).upsert([document("p1", name="Madu Hutan Konawe"), document("p2", name="Kacang Mete Madu"),
                                     document("p3", name="Kopi Robusta")])

    with entrypoint_hook(container, "suggest") as suggest:
        assert suggest(q="madu") == {"suggestions": ["Madu Hutan Konawe", "Kacang Mete Madu"]}
        assert suggest(q="teh") == {"suggestions": []}
        for bad in ("", "   ", "x" * 51, None):
            with pytest.raises(ValidationFailed) as error:
                suggest(q=bad)
            assert "q" in error.value.fields

    with entrypoint_hook(container, "reload_synonyms") as reload_synonyms:
        assert reload_synonyms()["groups"] >= 2
