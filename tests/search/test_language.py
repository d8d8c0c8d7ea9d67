"""Query understanding: typos, synonyms (and their reload), English words, regional intent
and the "did you mean" query, against a small in-memory vocabulary."""
import os
import random
import time

import pytest

from services.search import language
from services.search.analysis import analyze, query_terms
from services.search.language import (
    CONCEPT,
    PLACE,
    SOFT,
    WEIGHT_FAMILY_HEAD,
    WEIGHT_HYPERNYM,
    WEIGHT_SOFT,
    Alternative,
    Hypernyms,
    Speller,
    Synonyms,
    damerau_levenshtein,
    load_synonyms,
    max_edits,
    minimum_match,
    parse_hypernyms,
    parse_synonyms,
    plan_query,
    region_hint,
    speller_for,
)


class Vocab:
    """term -> document frequency, as an index would answer."""

    def __init__(self, texts):
        self.df: dict[str, int] = {}
        for text in texts:
            for term in set(analyze(text)):
                self.df[term] = self.df.get(term, 0) + 1

    def __contains__(self, term):
        return term in self.df

    def document_frequency(self, term):
        return self.df.get(term, 0)

    def terms(self):
        return self.df.keys()

    def add(self, text):
        for term in set(analyze(text)):
            self.df[term] = self.df.get(term, 0) + 1


PRODUCTS = [
    "Madu Hutan Konawe", "Madu Kelulut", "Kain Tenun Buton", "Sarung Tenun Muna", "Kopi Robusta Bubuk",
    "Cengkeh Kering Kolut", "Gula Aren Cetak", "Gula Semut Aren", "Ikan Asin Layang", "Ikan Kering Campur",
    "Rumput Laut Kering", "Kacang Mete Goreng", "Minyak Kelapa Murni", "Perak Filigri Kendari",
    "Tepung Sagu Sinonggi", "Sagu Basah Sinonggi", "Lada Putih Butir", "Kerupuk Pokea",
    "Sarang Madu (Comb Honey)",
]


@pytest.fixture
def vocab():
    return Vocab(PRODUCTS)


@pytest.fixture
def synonyms(tmp_path):
    path = tmp_path / "synonyms.txt"
    path.write_text("# sinonim\ngula merah, gula aren\nikan kering, ikan asin  # dua arah\n\nmerica, lada\n",
                    encoding="utf-8")
    return load_synonyms(path)


def kinds(plan):
    return [[(alt.term, alt.kind) for alt in group] for group in plan.groups]


def test_without_extras_each_word_is_one_exact_group(vocab, synonyms):
    plan = plan_query("kopi robusta", vocab, synonyms=synonyms)
    assert plan.groups == [[Alternative("kopi")], [Alternative("robusta")]]
    assert plan.corrected is None and plan.region_hint is None
    assert plan_query("", vocab).empty and plan_query("yang di", vocab).empty


# --- typos ---


def test_edit_distance_counts_a_transposition_as_one():
    assert damerau_levenshtein("pokae", "pokea") == 1
    assert damerau_levenshtein("madhu", "madu") == 1
    assert damerau_levenshtein("sinongih", "sinonggi") == 2
    assert damerau_levenshtein("kopi", "teh", limit=2) == 3


def test_allowed_edits_grow_with_word_length():
    assert [max_edits(w) for w in ("teh", "madu", "sinongi", "sinongih", "kerajinan")] == [0, 1, 1, 2, 2]


@pytest.mark.parametrize("typed, meant", [
    ("madhu", "madu"), ("tenunn", "tenun"), ("cengkek", "cengkeh"), ("rumpt", "rumput"), ("pokae", "pokea"),
])
def test_one_edit_corrects_words_of_four_letters_or_more(vocab, typed, meant):
    group = plan_query(typed, vocab).groups[0]
    assert group[0] == Alternative(typed)
    typo = [alt for alt in group if alt.kind == "typo"]
    assert typo[0].term == meant and 0 < typo[0].weight < 1


def test_two_edits_only_for_words_of_eight_letters_or_more(vocab):
    assert "sinonggi" in [a.term for a in plan_query("sinongih", vocab).groups[0]]  # 8 letters, 2 edits
    assert [a.term for a in plan_query("mdau", vocab).groups[0]] == ["mdau", "madu"]  # transposition: 1 edit
    assert [a.term for a in plan_query("kopo", vocab).groups[0]] == ["kopo", "kopi"]
    assert [a.term for a in plan_query("kipo", vocab).groups[0]] == ["kipo"]  # 2 edits from kopi: too far for 4


def test_a_three_letter_word_is_corrected_only_by_a_missing_letter(vocab):
    # "mdu" is madu typed without a vowel; "mdi" is no word with one letter left out
    assert [a.term for a in plan_query("mdu", vocab).groups[0]] == ["mdu", "madu"]
    assert plan_query("mdi", vocab).groups == [[Alternative("mdi")]]
    vocab.add("Kue Mdu")  # a three-letter word the index knows is never a typo
    assert [a.term for a in plan_query("mdu", vocab).groups[0]] == ["mdu"]


def test_words_of_one_or_two_letters_are_never_corrected(vocab):
    assert [alt.term for group in plan_query("md", vocab).groups for alt in group] == ["md"]


def test_a_known_common_word_is_not_corrected(vocab):
    vocab.add("Madi Hutan")  # "madi" now exists, but "madu" is not 20x as common
    assert [a.term for a in plan_query("madu", vocab).groups[0]] == ["madu"]


def test_corrections_are_capped_and_weighted_by_distance():
    vocab = Vocab(["kopa", "kopi", "kopo", "kapi", "kupi", "topi"])
    group = plan_query("kopu", vocab).groups[0]
    assert len(group) == 1 + 3 and all(alt.weight == 0.7 for alt in group[1:])


def test_did_you_mean_gives_the_corrected_query(vocab):
    assert plan_query("Madhu hutan", vocab).corrected == "madu hutan"
    assert plan_query("madu hutan", vocab).corrected is None
    assert plan_query("Madhu", None).corrected is None  # no vocabulary, no guess


def test_new_terms_become_corrections_when_the_vocabulary_grows(vocab):
    assert [a.term for a in plan_query("kasuamy", vocab).groups[0]] == ["kasuamy"]
    vocab.add("Kasuami Kukus")
    speller_for(vocab)._scanned -= 2  # the speller looks again at most once a second
    assert "kasuami" in [a.term for a in plan_query("kasuamy", vocab).groups[0]]


def test_speller_compares_a_typo_with_few_terms_of_a_large_vocabulary(monkeypatch):
    """The deletion neighbourhood picks the candidates: a typo is compared (Damerau-Levenshtein)
    with a handful of terms, never with the whole vocabulary. (How fast that is, is the
    benchmarks' business: bench/search.py.)"""
    rng = random.Random(4)
    words = {"".join(rng.choice("abcdeghiklmnoprstuy") for _ in range(rng.randint(4, 11))) for _ in range(30000)}
    vocab = Vocab([])
    vocab.df = {w: 1 + rng.randint(0, 50) for w in words}
    speller = Speller()
    speller.sync(vocab)
    compared = []
    monkeypatch.setattr(language, "damerau_levenshtein",
                        lambda *args, **kwargs: compared.append(args[1]) or damerau_levenshtein(*args, **kwargs))
    most = 0
    for word in list(words)[:200]:
        typo = word[:2] + word[3:]  # one deletion
        compared.clear()
        assert speller.corrections(typo, vocab) if max_edits(typo) else True
        most = max(most, len(compared))
    assert 0 < most <= len(words) // 100, most  # at most 1 % of the 30,000 terms, not a scan


# --- synonyms ---


def test_synonym_groups_work_both_ways(vocab, synonyms):
    assert kinds(plan_query("gula merah", vocab, synonyms=synonyms)) == [
        [("gula", "exact")], [("merah", "exact"), ("aren", "synonym")]]
    assert kinds(plan_query("gula aren", vocab, synonyms=synonyms)) == [
        [("gula", "exact")], [("aren", "exact"), ("merah", "synonym")]]
    assert kinds(plan_query("merica", vocab, synonyms=synonyms)) == [[("merica", "exact"), ("lada", "synonym")]]
    assert kinds(plan_query("lada", vocab, synonyms=synonyms)) == [[("lada", "exact"), ("merica", "synonym")]]


def test_an_english_phrase_also_takes_the_synonyms_of_its_indonesian_below_it(vocab, synonyms):
    # "brown sugar" is gula merah, which sellers also write gula aren
    plan = plan_query("brown sugar", vocab, synonyms=synonyms)
    assert [[(alt.term, alt.weight) for alt in group] for group in plan.groups] == [
        [("gula", 0.9)], [("merah", 0.9), ("aren", round(0.9 * 0.8, 3))]]
    # a synonym of another length would reshape the query: "giant clam" stays kima
    path = vocab_path = synonyms.path.with_name("more.txt")
    vocab_path.write_text("kima, kerang raksasa\n", encoding="utf-8")
    assert kinds(plan_query("giant clam", vocab, synonyms=Synonyms(path))) == [[("kima", "english")]]


def test_multi_word_synonyms_inside_a_longer_query(vocab, synonyms):
    plan = plan_query("jual ikan kering Wakatobi", vocab, synonyms=synonyms)
    assert kinds(plan) == [[("jual", "exact")], [("ikan", "exact")], [("kering", "exact"), ("asin", "synonym")],
                           [("region:7407", "place"), ("wakatobi", "exact")]]
    assert all(alt.weight < 1 for group in plan.groups for alt in group if alt.kind == "synonym")


def test_the_file_parses_comments_blank_lines_and_stems():
    table, groups = parse_synonyms("# x\n\nikan kering, ikan asin\nsatu\ntenunan, kain ikat # y\n")
    assert groups == 2
    assert table[("tenun",)] == [("kain", "ikat")] and table[("ikan", "asin")] == [("ikan", "kering")]


def test_an_edited_file_is_reloaded_without_restart(vocab, tmp_path):
    path = tmp_path / "synonyms.txt"
    path.write_text("gula merah, gula aren\n", encoding="utf-8")
    synonyms = Synonyms(path)
    assert [a.term for a in plan_query("madu", vocab, synonyms=synonyms).groups[0]] == ["madu"]

    path.write_text("gula merah, gula aren\nmadu, manisan lebah, honey\n", encoding="utf-8")
    os.utime(path, (time.time() + 5, time.time() + 5))  # a new mtime even on coarse clocks
    synonyms._checked = 0  # as if a second had passed since the last look
    assert "honey" in [a.term for a in plan_query("madu", vocab, synonyms=synonyms).groups[0]]

    path.write_text("# kosong\n", encoding="utf-8")
    assert synonyms.reload() == 0  # the explicit reload reads at once
    assert [a.term for a in plan_query("madu", vocab, synonyms=synonyms).groups[0]] == ["madu"]


def test_a_missing_file_keeps_the_last_good_list(tmp_path):
    path = tmp_path / "synonyms.txt"
    path.write_text("merica, lada\n", encoding="utf-8")
    synonyms = Synonyms(path)
    path.unlink()
    assert synonyms.reload() == 1 and synonyms.alternatives(("merica",)) == [("lada",)]


def test_the_shipped_file_has_the_issue_examples():
    synonyms = Synonyms()
    assert ("gula", "aren") in synonyms.alternatives(("gula", "merah"))
    assert ("ikan", "asin") in synonyms.alternatives(("ikan", "kering"))


# --- English ---


@pytest.mark.parametrize("english, indonesian", [
    ("cashew", ["mete"]), ("cashews", ["mete"]), ("sarong", ["sarung"]), ("silver", ["perak"]),
    ("honey", ["madu"]), ("coffee", ["kopi"]), ("seaweed", ["rumput", "laut"]), ("woven", ["tenun"]),
    ("chips", ["keripik"]), ("salted fish", ["ikan", "asin"]), ("coconut oil", ["minyak", "kelapa"]),
    ("pepper", ["lada"]), ("clove", ["cengkeh"]), ("sago", ["sagu"]), ("souvenir", ["oleh"]),
    ("roasted", ["sangrai"]), ("mud crab", ["kepiting", "bakau"]), ("giant clam", ["kima"]),
])
def test_english_words_become_indonesian_terms(vocab, synonyms, english, indonesian):
    plan = plan_query(english, vocab, synonyms=synonyms)
    for group, term in zip(plan.groups, indonesian):
        assert term in [alt.term for alt in group], plan
        assert all(alt.weight <= 1 for alt in group)
    # souvenir is oleh-oleh, a family: its soft groups follow the concept
    assert [plan.role(i) for i in range(len(plan.groups))].count(CONCEPT) == len(indonesian)


def test_an_english_word_with_several_equivalents_takes_each(vocab, synonyms):
    # nobody lists "woven": tenun (woven cloth) and anyaman (woven pandan, rattan) are the query
    assert kinds(plan_query("woven", vocab, synonyms=synonyms)) == [[("tenun", "english"), ("anyam", "english")]]
    assert kinds(plan_query("roasted", vocab, synonyms=synonyms)) == [[("sangrai", "english"), ("panggang", "english")]]


def test_an_english_word_the_index_knows_counts_less_than_its_translation(vocab, synonyms):
    group = plan_query("honey", vocab, synonyms=synonyms).groups[0]  # "Comb Honey" is indexed
    weights = {alt.term: alt.weight for alt in group}
    assert set(weights) == {"honey", "madu"} and weights["madu"] > weights["honey"]


def test_english_and_indonesian_words_mix(vocab, synonyms):
    assert kinds(plan_query("kopi honey Konawe", vocab, synonyms=synonyms))[0] == [("kopi", "exact")]
    assert [a.term for a in plan_query("seaweed chips", vocab, synonyms=synonyms).groups[2]] == ["keripik"]


# --- regions ---


@pytest.mark.parametrize("query, code", [
    ("kopi khas Muna", "7402"), ("mete dari Buton", "7401"), ("perak Kendari", "7471"),
    ("jagung Muna Barat", "7413"), ("madu Buton Utara", "7409"), ("lada Konsel", "7405"),
    ("kue Baubau", "7472"), ("KOPI KOLAKA TIMUR", "7411"), ("kopi robusta", None),
])
def test_a_region_in_the_query_gives_a_region_hint(vocab, query, code):
    assert plan_query(query, vocab).region_hint == code


def test_a_place_becomes_a_place_group_its_region_or_its_name(vocab):
    plan = plan_query("tenun khas Muna", vocab)
    assert kinds(plan) == [[("tenun", "exact")], [("region:7402", "place"), ("muna", "exact")]]
    assert plan.roles == (CONCEPT, PLACE) and plan.region_hint == "7402"
    assert region_hint(query_terms("Muna Barat")) == "7413"


def test_a_place_never_decides_a_match_beside_a_product_word(vocab):
    # "kopi raha": kopi decides; Raha (Muna's capital) only ranks Muna's kopi first.
    plan = plan_query("kopi raha", vocab)
    assert plan.matching() == ([0], 1) and plan.counted() == [0, 1]
    assert plan.groups[1][0] == Alternative("region:7402", 1.0, "place")
    # A place alone decides: the products of that place.
    alone = plan_query("oleh2 dari raha", vocab, hypernyms=Hypernyms(os.devnull))
    assert alone.roles == (CONCEPT, PLACE)
    only_place = plan_query("raha", vocab)
    assert only_place.matching() == ([0], 1)


@pytest.mark.parametrize("concepts, need", [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (8, 6)])
def test_the_minimum_to_match_relaxes_with_the_query_length(concepts, need):
    assert minimum_match(concepts) == need


def test_short_fragments_are_soft_and_never_decide(vocab):
    plan = plan_query("kopi robusta 2 x", vocab)
    assert plan.roles == (CONCEPT, CONCEPT, SOFT)
    assert plan.matching() == ([0, 1], 2)
    # A query of only short words still matches on them.
    assert plan_query("mi", vocab).matching() == ([0], 1)


def test_a_code_is_one_concept_and_a_measure_meets_its_other_spellings(vocab):
    assert kinds(plan_query("abc12de34", vocab)) == [[("abc12de34", "exact")]]
    assert plan_query("kopi 1 kg", vocab).groups[1] == [Alternative("1000g")]
    assert plan_query("kopi 1kg", vocab).groups == plan_query("kopi 1000 gr", vocab).groups
    # A bare number may be the amount of any measure.
    assert [alt.term for alt in plan_query("kopi 250", vocab).groups[1]] == ["250", "250g", "250ml", "250cm"]


@pytest.fixture
def hypernyms(tmp_path):
    path = tmp_path / "hypernyms.txt"
    path.write_text("# keluarga\ncamilan: keripik, bagea, kue kering\nbumbu dapur: kunyit, jahe\n", encoding="utf-8")
    return Hypernyms(path)


def test_a_family_word_also_takes_its_items_below_itself(vocab, synonyms, hypernyms):
    plan = plan_query("camilan", vocab, synonyms=synonyms, hypernyms=hypernyms)
    camilan = analyze("camilan")[0]  # as the index keeps it
    # the family word or any item decides; a one-word family without categories counts its
    # word once (counted twice, every description saying it in passing would rank first); a
    # name that starts with the word or an item only adds to the score
    assert kinds(plan) == [[(camilan, "exact"), ("keripik", "hypernym"), ("bagea", "hypernym")],
                           [(f"head:{camilan}", "head"), ("head:keripik", "head"), ("head:bagea", "head")]]
    assert plan.roles == (CONCEPT, SOFT)
    assert all(alt.weight == WEIGHT_HYPERNYM for alt in plan.groups[0][1:])
    # One way: an item does not bring its family.
    assert kinds(plan_query("keripik", vocab, synonyms=synonyms, hypernyms=hypernyms)) == [[("keripik", "exact")]]


def test_a_family_phrase_requires_its_head_and_items_the_rest_only_scores(vocab, synonyms, hypernyms):
    plan = plan_query("bumbu dapur", vocab, synonyms=synonyms, hypernyms=hypernyms)
    assert kinds(plan) == [[("bumbu", "exact"), ("kunyit", "hypernym"), ("jahe", "hypernym")],
                           [("bumbu", "family")], [("head:bumbu", "head"), ("head:kunyit", "head"), ("head:jahe", "head")],
                           [("dapur", "exact")]]
    assert plan.roles == (CONCEPT, SOFT, SOFT, SOFT)
    assert plan.groups[3][0].weight == WEIGHT_SOFT


def test_a_family_phrase_may_name_its_deciding_word_in_brackets(vocab, synonyms, tmp_path):
    path = tmp_path / "hypernyms.txt"
    path.write_text("makanan [laut]: ikan, udang\n", encoding="utf-8")
    plan = plan_query("makanan laut", vocab, synonyms=synonyms, hypernyms=Hypernyms(path))
    assert [alt.term for alt in plan.groups[0]] == ["laut", "ikan", "udang"]
    assert plan.roles == (CONCEPT, SOFT, SOFT, SOFT) and plan.groups[3][0].term == analyze("makanan")[0]
    # a name may start with the phrase's first word ("Makanan Laut Beku") or its deciding word
    makanan = analyze("makanan")[0]
    assert [alt.term for alt in plan.groups[2]] == [f"head:{makanan}", "head:laut", "head:ikan", "head:udang"]


@pytest.mark.parametrize("query", ["alat masak", "peralatan masak", "perlengkapan masak", "perabot masak",
                                   "perkakas masak"])
def test_a_family_named_by_generic_words_is_its_items_in_every_phrasing(vocab, synonyms, tmp_path, query):
    path = tmp_path / "hypernyms.txt"
    path.write_text("alat masak: kuali, periuk, @gerabah\n", encoding="utf-8")
    plan = plan_query(query, vocab, synonyms=synonyms, hypernyms=Hypernyms(path))
    # alat and masak name no thing: "Siap Masak" or "Sewa Alat Snorkel" is no cooking tool, so
    # the family decides by its items and categories only, and no name head says "alat"
    assert kinds(plan)[:3] == [[("kuali", "hypernym"), ("periuk", "hypernym"), ("category:gerabah", "category")],
                               [("category:gerabah", "family")], [("head:kuali", "head"), ("head:periuk", "head")]]
    assert plan.matching() == ([0], 1)
    # without categories, no family-word group either (its word is no thing)
    path.write_text("alat masak: kuali, periuk\n", encoding="utf-8")
    plan = plan_query(query, vocab, synonyms=synonyms, hypernyms=Hypernyms(path))
    assert not any(alt.kind == "family" for group in plan.groups for alt in group)


def test_kebutuhan_keperluan_and_bahan_name_one_family(vocab, synonyms, tmp_path):
    path = tmp_path / "hypernyms.txt"
    path.write_text("bahan [dapur]: beras, terasi, @bumbu-rempah\n", encoding="utf-8")
    hypernyms = Hypernyms(path)
    plans = [plan_query(query, vocab, synonyms=synonyms, hypernyms=hypernyms)
             for query in ("kebutuhan dapur", "keperluan dapur", "bahan dapur")]
    concepts = [[(alt.term, alt.kind) for alt in plan.groups[0]] for plan in plans]
    assert concepts[0] == concepts[1] == concepts[2]
    assert concepts[0][:2] == [("dapur", "exact"), ("beras", "hypernym")]
    # the generic word is no name head ("Bahan Bangunan" is no kitchen need)
    assert all(not alt.term.startswith("head:" + analyze("kebutuhan")[0]) for alt in plans[0].groups[2])


@pytest.mark.parametrize("query", ["kebutuhan pokok dapur", "rempah dapur", "oleh2 buat kantor"])
def test_where_a_need_is_used_only_scores_after_a_family(vocab, synonyms, tmp_path, query):
    path = tmp_path / "hypernyms.txt"
    path.write_text("bahan pokok: beras, gula\nrempah: lada, pala\noleh-oleh: bagea\n"
                    "dapur: cobek, panci\n", encoding="utf-8")
    hypernyms = Hypernyms(path)
    plan = plan_query(query, vocab, synonyms=synonyms, hypernyms=hypernyms)
    # dapur (or kantor) after a family says where the buyer needs it: no kitchen tools, and it
    # decides no match
    place = next(group for group in plan.groups if group[0].term in ("dapur", "kantor"))
    assert place == [Alternative(place[0].term, WEIGHT_SOFT)]
    assert not any(alt.term == "cobek" for group in plan.groups for alt in group)
    # alone, or after a generic word, dapur is still the family of kitchen tools
    for alone in ("dapur", "alat dapur"):
        tools = plan_query(alone, vocab, synonyms=synonyms, hypernyms=hypernyms)
        assert any(alt.term == "cobek" for group in tools.groups for alt in group)


@pytest.mark.parametrize("query", ["lauk buat bekal", "lauk untuk bekal", "lauk bekal"])
def test_a_word_of_purpose_may_join_a_family_phrase(vocab, synonyms, tmp_path, query):
    path = tmp_path / "hypernyms.txt"
    path.write_text("lauk: ikan, udang\n[lauk] bekal: abon, sambal\n", encoding="utf-8")
    plan = plan_query(query, vocab, synonyms=synonyms, hypernyms=Hypernyms(path))
    assert [alt.term for alt in plan.groups[0]][1:] == ["abon", "sambal"]
    assert plan.matching() == ([0], 1)  # bekal and the word of purpose only score
    # without such a phrase, the word after the purpose stays a concept of its own
    alone = plan_query("lauk buat kantin", vocab, synonyms=synonyms, hypernyms=Hypernyms(path))
    assert [alt.term for alt in alone.groups[0]][1:] == ["ikan", "udang"]


def test_biar_and_supaya_are_words_of_purpose_that_only_score(vocab):
    plan = plan_query("kopi biar melek", vocab)
    assert plan.roles[1] == SOFT and plan.groups[1][0].weight == WEIGHT_SOFT
    assert plan_query("kopi supaya melek", vocab).roles[1] == SOFT


def test_qualifiers_and_generic_words_only_add_to_the_score(vocab):
    plan = plan_query("gula aren asli murni", vocab)
    assert plan.roles == (CONCEPT, CONCEPT, SOFT, SOFT) and plan.matching() == ([0, 1], 2)
    assert plan_query("alat mandi", vocab).roles[0] == SOFT


def test_a_negated_word_is_one_soft_term_never_a_requirement(vocab):
    plan = plan_query("keripik tidak pedas", vocab)
    assert [[alt.term for alt in group] for group in plan.groups] == [["keripik"], ["no-pedas"]]
    assert plan.roles == (CONCEPT, SOFT) and plan.matching() == ([0], 1)
    # the negator and what it negates become one term, as a listing's "tanpa pengawet" does
    assert analyze("gula aren tanpa campuran, tidak pakai pengawet") == ["gula", "aren", "no-campur", "no-awet"]


def test_a_partial_match_covers_one_concept_fewer_and_never_a_size_alone(vocab):
    assert plan_query("kopi robusta bubuk sachet", vocab).partial_matching() == ([0, 1, 2, 3], 2, [0, 1, 2, 3])
    assert plan_query("sirup jeruk", vocab).partial_matching() == ([0, 1], 1, [0, 1])
    assert plan_query("beras 1kg", vocab).partial_matching() == ([0, 1], 1, [0])


def test_the_shipped_hypernym_file_parses_and_items_are_single_words():
    table, families = parse_hypernyms(Hypernyms.DEFAULT_PATH.read_text(encoding="utf-8"))
    assert families >= 30
    assert all(len(item) == 1 for items in table.values() for item in items)
    for family, item in [("camilan", "keripik"), ("camilan", "bagea"), ("bumbu", "kunyit"), ("oleh", "tenun")]:
        key = next(key for key in table if key[0] == analyze(family)[0])
        assert (item,) in table[key] or (analyze(item)[0],) in table[key], (family, item)


@pytest.mark.parametrize("query, item", [
    ("minuman anget", "jahe"),  # a colloquial spelling of the family's word (analysis.VARIANTS)
    ("perlengkapan sholat", "sajadah"), ("alat shalat", "mukena"),
    ("perabot rumah", "lemari"), ("perabotan rumah", "kursi"),  # generic words read as one (alat)
    ("bahan pokok", "beras"), ("kebutuhan pokok", "sagu"),
    ("hasil kebun", "cengkeh"), ("hasil pertanian", "jagung"), ("makanan kering", "abon"),
    ("pernak pernik", "gantung"), ("pernak-pernik", "bros"),
])
def test_the_shipped_families_answer_how_buyers_name_them(query, item):
    plan = plan_query(query)
    assert item in [alt.term for group in plan.groups for alt in group if alt.kind == "hypernym"], [
        [(alt.term, alt.kind) for alt in group] for group in plan.groups]


@pytest.mark.parametrize("query, code", [("tenun Bau-Bau", "7472"), ("snorkeling wangi-wangi", "7407"),
                                         ("kopi Konawe Kepulauan", "7412"), ("jagung muna barat", "7413")])
def test_hyphenated_and_multi_word_places_are_found_whole(vocab, query, code):
    assert plan_query(query, vocab).region_hint == code


def test_a_misspelt_region_still_gives_the_hint(vocab):
    plan = plan_query("perak Kendri", vocab)
    assert plan.region_hint == "7471" and plan.corrected == "perak kendari"


def test_a_phrase_of_known_words_also_accepts_its_one_word_synonym(vocab, tmp_path):
    path = tmp_path / "synonyms.txt"
    path.write_text("singkong, ubi kayu\n", encoding="utf-8")
    plan = plan_query("ubi kayu", Vocab(["Ubi Jalar Ungu", "Gagang Kayu", "Keripik Singkong"]), synonyms=Synonyms(path))
    # every group takes singkong: a listing that says it covers the phrase
    assert kinds(plan) == [[("ubi", "exact"), ("singkong", "synonym")], [("kayu", "exact"), ("singkong", "synonym")]]


def test_what_a_listing_is_near_only_adds_to_the_score(vocab):
    plan = plan_query("kopi dekat pelabuhan", vocab)
    assert plan.roles == (CONCEPT, SOFT, SOFT) and plan.matching() == ([0], 1)


def test_a_named_place_is_a_concept_a_kabupaten_a_preference():
    bokori = plan_query("snorkeling bokori")
    assert bokori.roles == (CONCEPT, CONCEPT)  # an island: what the buyer asks for
    assert [(alt.term, alt.weight) for alt in bokori.groups[1]] == [("region:7403", 0.5), ("bokori", 1.0)]
    assert plan_query("kopi muna").roles == (CONCEPT, PLACE)  # a kabupaten: ranks, never required
    assert plan_query("bokori").roles == (PLACE,)  # alone, it is the query's place


def test_an_item_the_buyer_typed_is_not_the_family_again():
    plan = plan_query("paket wisata")
    assert [alt.term for alt in plan.groups[0]] == ["paket"]
    assert "paket" not in [alt.term for alt in plan.groups[1]] and "tur" in [alt.term for alt in plan.groups[1]]


def test_a_name_that_starts_with_an_item_is_one_of_the_family_unless_an_item_is_typed(vocab, synonyms, hypernyms):
    plan = plan_query("bumbu dapur", vocab, synonyms=synonyms, hypernyms=hypernyms)
    heads = plan.groups[2]
    assert all(alt.kind == "head" and alt.weight == WEIGHT_FAMILY_HEAD for alt in heads)
    assert plan.role(2) == SOFT and 2 not in plan.matching()[0] and 2 not in plan.counted()
    # "bumbu dapur jahe": the buyer asks for jahe; kunyit must not rank first for starting a name
    typed = plan_query("bumbu dapur jahe", vocab, synonyms=synonyms, hypernyms=hypernyms)
    assert not any(alt.kind == "head" for group in typed.groups for alt in group)
    assert [alt.term for alt in typed.groups[0]] == ["bumbu", "kunyit"]


def test_a_family_reached_through_an_english_word_is_the_family(vocab, tmp_path):
    path = tmp_path / "hypernyms.txt"
    path.write_text("camilan: keripik, bagea, @camilan\nminyak: vco, kelapa, @minyak-atsiri\n", encoding="utf-8")
    hypernyms = Hypernyms(path)
    camilan = analyze("camilan")[0]
    # (no synonyms: the shipped list's synonyms of camilan would be equivalents of "snacks" too)
    (tmp_path / "synonyms.txt").write_text("", encoding="utf-8")
    plan = plan_query("snacks", vocab, hypernyms=hypernyms, synonyms=Synonyms(tmp_path / "synonyms.txt"))
    assert [alt.term for alt in plan.groups[0]] == [camilan, "keripik", "bagea", "category:camilan"]
    # as the Indonesian family word: its category once more, and a name that starts with the
    # family word or an item
    assert kinds(plan)[1:] == [[("category:camilan", "family")],
                               [(f"head:{camilan}", "head"), ("head:keripik", "head"), ("head:bagea", "head")]]
    assert plan.roles == (CONCEPT, SOFT, SOFT)
    # A word of a longer equivalent is no family: "coconut oil" is minyak kelapa, not every minyak.
    plan = plan_query("coconut oil", vocab, hypernyms=hypernyms, synonyms=Synonyms(tmp_path / "synonyms.txt"))
    assert kinds(plan) == [[("minyak", "english")], [("kelapa", "english")]]
    # An item the buyer also named (kelapa) is what is asked for: no family soft group lifts
    # the family's other items (minyak nilam, in the family's category).
    plan = plan_query("coconut cooking oil", vocab, hypernyms=hypernyms, synonyms=Synonyms(tmp_path / "synonyms.txt"))
    assert plan.roles == (CONCEPT, CONCEPT, CONCEPT)
    assert "vco" in [alt.term for alt in plan.groups[2]]


def test_a_typo_the_stemmer_cut_is_corrected_from_what_was_typed():
    vocab = Vocab(["Teripang Kering", "Ikan Asin", "Ikan Bakar", "Ikan Asap"])
    # "teripan" looks like ter- + ipan; the buyer typed teripang without its g
    assert [alt.term for alt in plan_query("teripan", vocab).groups[0]][:2] == ["ipan", "teripang"]


def test_a_known_english_word_with_an_indonesian_phrase_becomes_the_phrase(vocab):
    vocab.add("Seaweed Chips")  # a listing says the English word
    groups = [[alt.term for alt in group] for group in plan_query("seaweed", vocab).groups]
    assert groups == [["rumput", "seaweed"], ["laut", "seaweed"]]


def test_a_kecamatan_of_an_area_and_a_direction_also_matches_the_area_named():
    # "Tiworo Kepulauan" is in Muna Barat; a listing says "Selat Tiworo", rarely the kecamatan.
    plan = plan_query("tiworo kepulauan")
    assert [(alt.term, alt.kind) for alt in plan.groups[0]] == [("region:7413", "place"), ("tiworo", "exact")]
    assert plan.roles == (PLACE,)
    assert [alt.term for alt in plan_query("kopi poleang timur").groups[1]] == ["region:7406", "poleang"]
    # The area's word names places of two regions, or is a common word once folded: none.
    assert [alt.term for alt in plan_query("wakorumba selatan").groups[0]] == ["region:7402"]
    assert [alt.term for alt in plan_query("wangi-wangi selatan").groups[0]] == ["region:7407"]
    # A kabupaten named by another's name and a direction never matches the other's name.
    assert [alt.term for alt in plan_query("buton utara").groups[0]] == ["region:7409"]


def test_a_word_that_says_what_a_thing_is_for_only_adds_to_the_score():
    # "bumbu masak" is a bumbu: "masak" (as "siap masak" says) never decides a match.
    plan = plan_query("bumbu masak")
    assert plan.roles[-1] == SOFT and plan.groups[-1][0].term == "masak"
    assert plan.matching() == ([0], 1)


def test_the_coconut_palm_is_kelapa():
    plan = plan_query("coconut palm sugar")
    assert [[alt.term for alt in group] for group in plan.groups] == [["kelapa"], ["gula"]]


@pytest.mark.parametrize("word, root", [
    ("ulekan", "ulekan"),  # the tool, not "ulek" of sambal ulek
    ("kukusan", "kukusan"),  # the steamer, not "kukus" of ikan kukus
    ("parutan", "parutan"),  # the grater, not "parut" of kelapa parut
    ("periuk", "periuk"),  # a root, not pe- + riuk
    ("kuningan", "kuningan"),  # brass, not "kuning" (yellow)
    ("perunggu", "perunggu"),
    ("perhiasan", "perhiasan"),  # jewelry, not "hias" of hiasan dinding (a decoration)
    ("manisan", "manisan"),  # candied sweets, not "manis" of pemanis (the sweeteners)
])
def test_tool_and_metal_names_that_look_affixed_are_kept_whole(word, root):
    assert analyze(word) == [root]


@pytest.mark.parametrize("typed, equivalent", [
    ("katombo", "ikan kembung"),  # Makassar/Bugis name of the fish
    ("martabak manis", "terang bulan"),
    ("jalangkote", "kue pastel"),
    ("sanggara", "pisang goreng"),
    ("tinutuan", "bubur manado"),
    ("belacan", "terasi"),
    ("pekak", "bunga lawang"),
    ("jambu batu", "jambu biji"),
    ("durian belanda", "sirsak"),
    ("ketela pohon", "singkong"),
    ("lipa sabbe", "sarung sutra"),
    ("arit", "sabit"),
    ("gincu", "lipstik"),
    ("pondok wisata", "homestay"),
    ("ketinting", "katinting"),
])
def test_the_shipped_file_has_regional_names_for_one_thing(typed, equivalent):
    assert tuple(analyze(equivalent)) in Synonyms().alternatives(tuple(analyze(typed)))


@pytest.mark.parametrize("word, not_the_same", [
    ("cakalang", "tongkol"),  # two fish
    ("onde", "klepon"),  # onde-onde is another kue in Java
    ("wajan", "kuali"),  # a kuali is also a clay pot
    ("ketan", "pulut"),  # one way only, as a family: in Sultra listings pulut is mostly jagung pulut
])
def test_names_only_sometimes_the_same_thing_are_not_synonyms(word, not_the_same):
    assert (not_the_same,) not in Synonyms().alternatives((word,))


def test_pulut_and_ketela_reach_the_narrower_names_one_way():
    # A buyer typing pulut wants ketan; one typing ketan is not offered every jagung pulut.
    assert "ketan" in [alt.term for alt in plan_query("pulut").groups[0]]
    assert "pulut" not in [alt.term for group in plan_query("ketan").groups for alt in group]
    # Ketela is ketela pohon (singkong) or ketela rambat (ubi jalar).
    assert {"singkong", "ubi"} <= {alt.term for alt in plan_query("ketela").groups[0]}
    assert "ketela" not in [alt.term for group in plan_query("singkong").groups for alt in group]


def test_a_misspelt_spelling_variant_is_corrected_to_the_word_the_index_keeps(synonyms):
    # "kasoame" is one letter from kasoami (analysis.VARIANTS), which the index keeps as kasuami:
    # two letters from kasuami itself, too many for a seven-letter word
    vocabulary = Vocab(["Kasuami Kukus Wakatobi", "Kasuami Goreng", "Kopi Robusta"])
    plan = plan_query("kasoame", vocabulary, synonyms=synonyms, hypernyms=Hypernyms(os.devnull))
    assert kinds(plan) == [[("kasoame", "exact"), ("kasuami", "typo")]]
    assert plan.corrected == "kasuami"


def test_household_goods_in_english_are_the_words_sellers_write():
    assert [[alt.term for alt in group] for group in plan_query("rattan tray").groups] == [["rotan"], ["nampan", "baki"]]
    assert [[alt.term for alt in group] for group in plan_query("fish floss").groups] == [["abon"], ["ikan"]]


def test_the_catalogs_own_product_words_have_their_english():
    # buyers' English for the catalogs' frequent words (seafood, materials, forms, places)
    def terms(text):
        return [[alt.term for alt in group] for group in plan_query(text).groups]
    assert terms("dried cuttlefish") == [["cumi"], ["kering"]]
    assert terms("silk sarong") == [["sutra", "sutera"], ["sarung"]]
    assert terms("hand woven") == [["tenun", "anyam"]]
    assert terms("grilled snapper") == [["bakar"], ["kakap"]]
    assert terms("chili paste") == [["sambal"]]
    assert terms("virgin coconut oil") == [["minyak"], ["kelapa"], ["murni"]]
    # candy is permen or manisan, and manisan (candied sweets) is not the family pemanis
    assert terms("seaweed candy") == [["rumput"], ["laut"], ["permen", "manisan"]]
    assert analyze("manisan pemanis") == ["manisan", "manis"]
