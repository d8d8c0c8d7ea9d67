"""What ``MemoryIndex.put`` keeps of a document: its length for BM25 (every weighted term but
the name terms) and the postings of its terms; a cached ranking of a term it has is dropped."""
from services.search.embedded import MemoryIndex, weighted_terms
from services.search.engine import SearchQuery
from services.search.language import NAME_PREFIX

from search_factories import document


def test_the_length_counts_every_term_but_the_name_terms():
    # A word twice in the name is one name term, counted once.
    doc = document("p1", name="Kopi Kopi Bubuk Buton", description="kopi robusta tanpa gula, oleh-oleh")
    index = MemoryIndex()
    index.put(doc)
    terms = weighted_terms(index.get("p1"))
    assert index._length[index._docno["p1"]] == sum(tf for term, tf in terms.items()
                                                    if not term.startswith(NAME_PREFIX))
    assert all(index._postings[term][index._docno["p1"]] == tf for term, tf in terms.items())


def test_a_put_drops_the_cached_ranking_of_its_terms():
    index = MemoryIndex()
    index.put(document("p1", name="Kopi Bubuk"))
    assert [item["id"] for item in index.search(SearchQuery(q="kopi")).items] == ["p1"]
    index.put(document("p2", name="Kopi Luwak Kopi"))
    assert {item["id"] for item in index.search(SearchQuery(q="kopi")).items} == {"p1", "p2"}
