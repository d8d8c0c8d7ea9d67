import pytest

from services.search.analysis import STOPWORDS, analyze, fold, query_terms, stem, tokenize


@pytest.mark.parametrize("word, root", [
    ("tenunan", "tenun"), ("menenun", "tenun"), ("penenun", "tenun"), ("tenunannya", "tenun"),
    ("memasak", "masak"), ("masakan", "masak"), ("dimasak", "masak"),
    ("mengolah", "olah"), ("olahan", "olah"), ("diolah", "olah"), ("pengolahan", "olah"),
    ("anyaman", "anyam"), ("menganyam", "anyam"), ("ukiran", "ukir"), ("mengukir", "ukir"),
    ("menyulam", "sulam"), ("sulaman", "sulam"), ("merajut", "rajut"),
    ("kerajinan", "rajin"), ("pengrajin", "rajin"), ("perajin", "rajin"),
    ("dikemas", "kemas"), ("kemasan", "kemas"), ("dikemaskan", "kemas"),
    ("minuman", "minum"), ("makanan", "makan"), ("pemanis", "manis"), ("sayuran", "sayur"),
    ("berisi", "isi"), ("terbaik", "baik"), ("pembuat", "buat"), ("penjual", "jual"),
    ("perkebunan", "kebun"), ("pertanian", "tani"), ("rasanya", "rasa"), ("belilah", "beli"),
])
def test_stemmer_finds_the_root(word, root):
    assert stem(word) == root


@pytest.mark.parametrize("word", [
    # short words, roots that look affixed, product and place names
    "kopi", "ikan", "madu", "beras", "terasi", "terigu", "durian", "pedas", "permen", "melon",
    "kelapa", "keripik", "kerupuk", "mentah", "dingin", "kendari", "wakatobi", "selatan",
    "sekolah", "pantai", "pulau", "sagu",
])
def test_stemmer_does_not_over_stem(word):
    assert stem(word) == word


def test_fold_lowercases_and_strips_accents():
    assert fold("Kopi CAFÉ Crème") == "kopi cafe creme"


def test_tokenize_keeps_numbers_and_a_number_with_its_unit_together():
    assert tokenize("Madu 250ml, isi 2 botol") == ["madu", "250ml", "isi", "2", "botol"]


@pytest.mark.parametrize("written, term", [
    ("250g", "250g"), ("250 g", "250g"), ("250 gr", "250g"), ("250 gram", "250g"),
    ("1 kg", "1000g"), ("1kg", "1000g"), ("1.000 gr", "1000g"), ("5kg", "5000g"), ("2 ons", "200g"),
    ("1 liter", "1000ml"), ("1,5 l", "1500ml"), ("500 ml", "500ml"), ("2 meter", "200cm"),
])
def test_measures_written_any_way_are_one_term_in_the_base_unit(written, term):
    assert analyze(written) == [term]


@pytest.mark.parametrize("code", ["abc12de34", "v60", "2in1", "sku0042x"])
def test_a_code_stays_one_term_and_never_falls_into_fragments(code):
    assert analyze(code) == [code]


def test_thousands_separators_join_and_decimals_keep_their_point():
    assert analyze("Rp 15.000") == ["rp", "15000"]
    assert analyze("1,5") == ["1.5"]


@pytest.mark.parametrize("text", ["oleh2", "oleh-oleh", "Oleh-Oleh", "oleh oleh"])
def test_reduplication_collapses_to_the_base_word(text):
    assert query_terms(text) == ["oleh"]


def test_partial_reduplication_meets_the_base_word():
    assert query_terms("buah-buahan") == ["buah"]


@pytest.mark.parametrize("variant, canonical", [
    ("kripik", "keripik"), ("coklat", "cokelat"), ("mente", "mete"), ("sambel", "sambal"),
    ("krupuk", "kerupuk"), ("cemilan", "camilan"), ("cabe", "cabai"), ("kasoami", "kasuami"),
    ("anget", "hangat"), ("seger", "segar"), ("pedes", "pedas"), ("sholat", "salat"), ("shalat", "salat"),
    ("trepang", "teripang"), ("tripang", "teripang"),
])
def test_spelling_variants_meet(variant, canonical):
    assert analyze(variant) == analyze(canonical)


def test_variants_survive_affixes():
    assert analyze("kripiknya") == analyze("keripik")


def test_stopwords_are_dropped():
    assert analyze("kopi khas Muna yang enak dan murah dari Kendari untuk keluarga") == [
        "kopi", "muna", "enak", "murah", "kendari", "keluarga",
    ]
    assert {"yang", "dan", "di", "ke", "dari", "untuk", "dengan", "khas"} <= STOPWORDS


def test_only_stopwords_give_no_terms():
    assert query_terms("yang di dari") == []
    assert analyze("yang di", keep_stopwords=True) == ["yang", "di"]


def test_empty_and_none():
    assert analyze("") == [] and analyze(None) == [] and query_terms("  !? ") == []


def test_document_and_query_forms_meet():
    # what a seller writes vs what a buyer types
    assert set(query_terms("tenun")) <= set(analyze("Kain Tenunan Ikat Muna"))
    assert set(query_terms("kripik pisang")) <= set(analyze("Keripik Pisang Kepok Manis"))
    assert set(query_terms("kacang mente")) <= set(analyze("Kacang Mete Goreng"))
    assert set(query_terms("coklat")) <= set(analyze("Cokelat batangan dari kakao Kolaka"))


@pytest.mark.parametrize("typed, listed", [("cengkih", "cengkeh"), ("nginep", "penginapan"), ("nyewa", "sewa"),
                                           ("mancing", "memancing"), ("duren", "durian")])
def test_older_spellings_and_colloquial_verbs_meet_the_listing(typed, listed):
    assert analyze(typed) == analyze(listed)


def test_reduplication_with_a_suffix_is_the_base_word():
    assert query_terms("buah2an") == query_terms("buah-buahan") == ["buah"]
    assert analyze("kue2an") == ["kue"]


@pytest.mark.parametrize("text, tokens", [
    # No digit: plain words, hyphenated reduplication collapsed, a lone hyphen a separator.
    ("Keripik Pisang oleh-oleh khas Muna", ["keripik", "pisang", "oleh", "khas", "muna"]),
    ("Kain tenun-ikat Buton", ["kain", "tenun", "ikat", "buton"]),
    # Amount words make a number first, so the text still goes the whole way: one measure.
    ("Beras setengah kilo", ["beras", "500g"]),
    ("Gula aren sekilo", ["gula", "aren", "1000g"]),
])
def test_text_without_digits_gives_the_same_tokens_as_the_whole_pipeline(text, tokens):
    assert tokenize(text) == tokens
