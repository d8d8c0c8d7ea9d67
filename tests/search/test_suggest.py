"""Prefix autocomplete over product names."""

from services.search.suggest import MAX_SUGGESTIONS, EngineNames, SuggestIndex, suggest


class Names:
    def __init__(self, names):
        self.list = list(names)

    def names(self):
        return self.list

    def __len__(self):
        return len(self.list)


NAMES = Names([
    "Kacang Mete Goreng Gurih 250 g", "Mete Goreng Busel 250 g", "Mete Oven Rosemary 250 g",
    "Madu Hutan Konawe 500 ml", "Madu Kelulut (Trigona) 250 ml", "Kopi Robusta Bubuk",
    "Kopi Jahe Sachet (isi 10)", "Cokelat Batang Dark 70% Kolaka", "Kue Cucur Gula Merah (isi 10)",
])


def test_names_that_start_with_the_prefix_come_first():
    assert suggest("mete", NAMES) == ["Mete Goreng Busel 250 g", "Mete Oven Rosemary 250 g",
                                      "Kacang Mete Goreng Gurih 250 g"]


def test_prefix_of_a_word_and_of_several_words():
    assert suggest("ma", NAMES) == ["Madu Hutan Konawe 500 ml", "Madu Kelulut (Trigona) 250 ml"]
    assert suggest("kopi j", NAMES) == ["Kopi Jahe Sachet (isi 10)"]
    assert suggest("goreng b", NAMES) == ["Mete Goreng Busel 250 g"]


def test_case_accents_and_punctuation_do_not_matter():
    assert suggest("MADU  kelulut (", NAMES) == ["Madu Kelulut (Trigona) 250 ml"]
    assert suggest("Cokelàt", NAMES) == ["Cokelat Batang Dark 70% Kolaka"]


def test_nothing_for_empty_or_unknown_prefixes():
    assert suggest("", NAMES) == [] and suggest("   ", NAMES) == [] and suggest("zzz", NAMES) == []


def test_at_most_ten_distinct_suggestions():
    names = Names([f"Keripik Pisang Rasa {n}" for n in range(40)] + ["Keripik Pisang Rasa 1"])
    result = suggest("keripik", names)
    assert len(result) == MAX_SUGGESTIONS and len(set(result)) == MAX_SUGGESTIONS


def test_new_names_show_up_after_the_source_grows(monkeypatch):
    names = Names(["Madu Hutan"])
    assert suggest("sagu", names) == []
    names.list.append("Sagu Basah Sinonggi")
    monkeypatch.setattr(SuggestIndex, "REBUILD_SECONDS", 0.0)  # as if the rebuild interval had passed
    assert suggest("sagu", names) == ["Sagu Basah Sinonggi"]


def test_engine_names_reads_the_embedded_index():
    class Index:
        def documents(self):
            return [{"name": "Sarung Tenun Buton"}, {"name": "Kain Tenun Muna"}]

    class Engine:
        index = Index()

        def count(self):
            return 2

    assert suggest("tenun", EngineNames(Engine())) == ["Kain Tenun Muna", "Sarung Tenun Buton"]
    class Elastic:
        def count(self):
            return 5

    assert suggest("tenun", EngineNames(Elastic())) == []  # an engine without names


def test_a_lookup_reads_a_few_keys_of_100k_names():
    """A lookup bisects to the prefix and reads a short window past it, never the whole
    sorted list. (How fast that is, is the benchmarks' business: bench/search.py.)"""

    class CountedReads(list):
        reads = 0

        def __getitem__(self, position):
            CountedReads.reads += 1
            return super().__getitem__(position)

    index = SuggestIndex()
    index.build(f"Produk {w} Nomor {n} Kemasan {n % 97}" for n in range(100_000) for w in ("Kopi",))
    index._keys = keys = CountedReads(index._keys)  # the sorted keys a lookup reads
    most = 0
    for n in range(500):
        CountedReads.reads = 0
        assert index.lookup(f"nomor {n}")
        most = max(most, CountedReads.reads)
    assert 0 < most <= len(keys) // 1000, most  # at most 0.1 % of the 600,000 keys, not a scan
