"""Preprocess text: each cleaning step, Snowball's stems, scikit-learn's stop words, refusals."""

from __future__ import annotations

import pandas as pd
import pytest
import snowballstemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from designer.engine.context import StepError
from designer.modules.specs.text import LANGUAGES

REF = "transform.preprocess_text@1"
MESSY = (
    "Visit https://Example.com/a?b=1 or WWW.y.org, mail Jo.Doe+x@mail.co.uk now!! "
    "3.14 and 1,000 cats"
)
WORLD = "Ça coûte 5 €, naïve! हिन्दी भाषा; 東京、日本。 Привет‼ snake_case"
NOTES = pd.DataFrame(
    {
        "note": [MESSY, WORLD, None, "  ...  ", "The Runners were RUNNING  fast"],
        "stars": [5, 1, 4, 3, 3],
    }
)


def cleaned(run, params: dict[str, object], table: pd.DataFrame = NOTES) -> list[object]:
    out = run(REF, {"columns": ["note"], **params}, dataset=table)["dataset"]
    assert list(out.columns) == list(table.columns) and out["stars"].equals(table["stars"])
    return out["note"].tolist()


def test_the_defaults_clean_for_n_grams_and_missing_stays_missing(run) -> None:
    got = cleaned(run, {})
    assert got[:2] == ["visit mail cats", "ça coûte naïve हिन्दी भाषा 東京 日本 привет snake case"]
    assert pd.isna(got[2]) and got[3] == ""  # nothing left is empty text, not missing
    assert got[4] == "runners running fast"


@pytest.mark.parametrize(
    ("switch", "first"),
    [
        ("lowercase", "Visit mail cats"),
        ("remove_urls", "visit https example com b www y org mail cats"),
        ("remove_emails", "visit mail jo doe x mail uk cats"),
        ("remove_numbers", "visit mail 3 14 1 000 cats"),
        ("remove_special_characters", "visit mail !! cats"),
        ("remove_stop_words", "visit or mail now and cats"),
    ],
)
def test_each_step_can_be_left_out(run, switch, first) -> None:
    assert cleaned(run, {switch: False})[0] == first


def test_punctuation_and_symbols_go_and_every_script_stays(run) -> None:
    params = {"lowercase": False, "remove_numbers": False, "remove_stop_words": False}
    assert cleaned(run, params)[1] == "Ça coûte 5 naïve हिन्दी भाषा 東京 日本 Привет snake case"


def test_stop_words_are_scikit_learns_in_any_case(run) -> None:
    table = pd.DataFrame({"note": [" ".join(sorted(ENGLISH_STOP_WORDS)).upper() + " Kept"]})
    assert cleaned(run, {"lowercase": False}, table.assign(stars=1)) == ["Kept"]


@pytest.mark.parametrize("language", ["english", "french", "german", "russian", "hindi"])
def test_stems_are_snowballs(run, language) -> None:
    words = {
        "english": "running generously connections",
        "french": "continuation continuellement majestueusement",
        "german": "aufeinanderfolgenden häuser katzen",
        "russian": "вечерами прекрасная бегущими",
        "hindi": "लड़कियों किताबें खेलते",
    }[language]
    table = pd.DataFrame({"note": [words, None], "stars": [1, 2]})
    params = {"stem": True, "language": language, "remove_stop_words": False}
    expected = " ".join(snowballstemmer.stemmer(language).stemWords(words.split()))
    assert expected != words
    assert cleaned(run, params, table)[0] == expected


def test_stop_words_go_before_the_other_words_are_stemmed(run) -> None:
    assert cleaned(run, {"stem": True})[4] == "runner run fast"


def test_the_languages_offered_are_snowballs() -> None:
    variants = {"porter", "dutch_porter"}
    assert set(LANGUAGES) == set(snowballstemmer.algorithms()) - variants


def test_appended_columns_keep_the_text_and_categories_are_text(run) -> None:
    table = NOTES.assign(kind=pd.Categorical(["X-1", None, "y", "X-1", "y"]))
    params = {"columns": ["kind", "note"], "mode": "append", "remove_numbers": False}
    out = run(REF, params, dataset=table)["dataset"]
    assert list(out.columns) == [*table.columns, "kind_preprocessed", "note_preprocessed"]
    assert out["note"].equals(table["note"])
    assert out["kind_preprocessed"].tolist()[::2] == ["x 1", "y", "y"]


@pytest.mark.parametrize(
    ("params", "where", "message"),
    [
        ({}, "columns", "columns: choose at least one text column"),
        ({"columns": ["stars"]}, "columns", "columns: not text: 'stars' (int64)"),
        ({"columns": ["title"]}, "columns", "columns: column 'title' not found"),
        (
            {"columns": ["note"], "language": "french"},
            "remove_stop_words",
            "remove_stop_words: stop words are removed in English only, and the language is french",
        ),
        (
            {"columns": ["note"], "mode": "append"},
            "dataset",
            "dataset: 'note_preprocessed' already exist",
        ),
    ],
)
def test_what_cannot_be_cleaned_is_named(run, params, where, message) -> None:
    table = NOTES.assign(note_preprocessed="x")
    with pytest.raises(StepError) as refused:
        run(REF, params, dataset=table)
    assert str(refused.value).startswith(message)
    assert where in (refused.value.param, refused.value.port)


def test_another_language_is_stemmed_without_stop_words(run) -> None:
    params = {"language": "french", "remove_stop_words": False, "stem": True}
    table = pd.DataFrame({"note": ["Les chats mangeaient"], "stars": [1]})
    assert cleaned(run, params, table) == ["le chat mang"]
