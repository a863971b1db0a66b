from rerank_tui.recall.tokenize import TOKENIZER_VERSION, Tokenizer


def test_words_are_lowercased_stemmed_and_stopworded():
    assert Tokenizer()("The Running of the Workers") == ["run", "worker"]


def test_options_switch_stemming_and_stopwords_off():
    tok = Tokenizer(stem=False, stopwords=False)
    assert tok("The Running workers") == ["the", "running", "workers"]


def test_snake_case_identifier_keeps_whole_and_parts():
    assert Tokenizer()("num_workers") == ["num_work", "num", "worker"]


def test_camel_case_and_acronyms_split():
    tok = Tokenizer()
    assert tok("DataLoader") == ["dataload", "data", "loader"]
    assert tok("HTTPServer") == ["httpserver", "http", "server"]


def test_a_typed_lowercase_identifier_matches_the_camel_case_one():
    tok = Tokenizer()
    assert tok("dataloader")[0] == tok("DataLoader")[0]
    assert tok("httpserver")[0] == tok("HTTPServer")[0]


def test_plain_acronyms_and_versions_are_not_split():
    tok = Tokenizer()
    assert tok("GPUs fp16 qwen3") == ["gpus", "fp16", "qwen3"]


def test_identifier_splitting_can_be_disabled():
    assert Tokenizer(split_identifiers=False, stem=False)("DataLoader num_workers") == ["dataloader", "num_workers"]


def test_chinese_runs_become_overlapping_bigrams():
    assert Tokenizer()("数据加载") == ["数据", "据加", "加载"]


def test_single_cjk_character_is_kept():
    assert Tokenizer()("的") == ["的"]


def test_mixed_chinese_and_code():
    tokens = Tokenizer()("设置DataLoader的num_workers参数")
    assert tokens == ["设置", "dataload", "data", "loader", "的", "num_work", "num", "worker", "参数"]


def test_japanese_kana_and_korean_hangul_are_bigrammed():
    assert Tokenizer()("データ") == ["デー", "ータ"]
    assert Tokenizer()("한국어") == ["한국", "국어"]


def test_full_width_latin_is_normalised():
    assert Tokenizer()("ＰｙＴｏｒｃｈ") == Tokenizer()("PyTorch")


def test_punctuation_and_empty_text_give_no_terms():
    assert Tokenizer()("") == []
    assert Tokenizer()("... --- !!!") == []


def test_cache_key_names_version_and_settings():
    assert TOKENIZER_VERSION in Tokenizer().cache_key()
    assert Tokenizer().cache_key() != Tokenizer(stem=False).cache_key()
    assert Tokenizer().cache_key() == Tokenizer().cache_key()


def test_repeated_calls_are_stable_with_the_term_cache():
    tok = Tokenizer()
    first = tok("Workers workers WORKERS")
    assert first == tok("Workers workers WORKERS") == ["worker", "worker", "worker"]
