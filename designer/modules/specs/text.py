"""Specs of the text analytics modules: preprocess text and feature hashing."""

from __future__ import annotations

from designer.engine.registry import ParamSpec, PortSpec
from designer.engine.types import ParamType, PortType
from designer.modules.specs import builtin

CATEGORY = "Text analytics"
_HELPERS = ("_frames", "text_columns")
# snowballstemmer's stemmers, less its two Porter variants (english and dutch stem those words)
LANGUAGES = (
    "arabic",
    "armenian",
    "basque",
    "catalan",
    "czech",
    "danish",
    "dutch",
    "english",
    "esperanto",
    "estonian",
    "finnish",
    "french",
    "german",
    "greek",
    "hindi",
    "hungarian",
    "indonesian",
    "irish",
    "italian",
    "lithuanian",
    "nepali",
    "norwegian",
    "persian",
    "polish",
    "portuguese",
    "romanian",
    "russian",
    "serbian",
    "sesotho",
    "spanish",
    "swedish",
    "tamil",
    "turkish",
    "yiddish",
)
NORMS = ("none", "l1", "l2")
_TABLE = PortSpec("dataset", PortType.DATAFRAME, "The input table.")


def _remove(name: str, what: str, description: str) -> ParamSpec:
    """A `remove_<name>` switch, on by default."""
    return ParamSpec(
        f"remove_{name}", ParamType.BOOL, True, label=f"Remove {what}", description=description
    )


SPECS = [
    builtin(
        "transform.preprocess_text",
        "Preprocess text",
        CATEGORY,
        """Cleans text columns for Extract N-gram features or Feature hashing: lowercases,
        removes URLs, email addresses, numbers, punctuation and symbols (letters of every
        script are kept) and English stop words (scikit-learn's list), stems words with the
        Snowball stemmer of the chosen language, and always collapses runs of whitespace into
        one space. Replaces each column or appends `<column>_preprocessed`; a missing value
        stays missing. Stateless, so it runs the same in real-time endpoints.""",
        "text_cleaning:preprocess_text",
        inputs=(_TABLE,),
        outputs=(PortSpec("dataset", PortType.DATAFRAME, "The table with the cleaned text."),),
        params=(
            ParamSpec(
                "columns", ParamType.COLUMNS, (), description="Text columns to clean (one or more)."
            ),
            ParamSpec("lowercase", ParamType.BOOL, True, description="Lowercase every letter."),
            _remove("urls", "URLs", "Web addresses: http://…, https://…, ftp://…, www.…"),
            _remove("emails", "email addresses", "name@domain.tld"),
            _remove("numbers", "numbers", "Runs of digits, with their decimal separators."),
            _remove(
                "special_characters",
                "special characters",
                "Punctuation and symbols of every script become spaces.",
            ),
            _remove("stop_words", "stop words", "English stop words (any case), e.g. the, and."),
            ParamSpec(
                "stem",
                ParamType.BOOL,
                False,
                label="Stem words",
                description="Each word becomes its stem (Snowball): running → run.",
            ),
            ParamSpec(
                "language",
                ParamType.ENUM,
                "english",
                choices=LANGUAGES,
                description="The stemmer's language; stop words are English only.",
            ),
            ParamSpec("mode", ParamType.ENUM, "replace", choices=("replace", "append")),
        ),
        helpers=_HELPERS,
    ),
    builtin(
        "transform.feature_hashing",
        "Feature hashing",
        CATEGORY,
        """Turns text columns into a fixed number of numeric columns without a vocabulary: each
        word, or run of words (n-gram), is hashed into one of 2^bits buckets and counted, as
        scikit-learn's HashingVectorizer does it (lowercased, words of two or more letters or
        digits). Appends `<column>_hash_0` … `<column>_hash_<2^bits-1>` float columns per
        column; missing text has no n-grams. Different n-grams may share a bucket. Needs no
        fitting, so test and scoring data hash the same, and it runs in real-time
        endpoints.""",
        "hashing:feature_hashing",
        inputs=(_TABLE,),
        outputs=(PortSpec("dataset", PortType.DATAFRAME, "The table with the hash columns."),),
        params=(
            ParamSpec(
                "columns", ParamType.COLUMNS, (), description="Text columns to hash (one or more)."
            ),
            ParamSpec(
                "bits",
                ParamType.INT,
                10,
                label="Hashing bits",
                description="Each text column becomes 2^bits columns: 10 makes 1,024.",
                minimum=1,
                maximum=20,
            ),
            ParamSpec(
                "ngram_min",
                ParamType.INT,
                1,
                label="Shortest n-gram",
                description="1: single words; 2: pairs of words; …",
                minimum=1,
                maximum=5,
            ),
            ParamSpec(
                "ngram_max",
                ParamType.INT,
                1,
                label="Longest n-gram",
                description="At least the shortest.",
                minimum=1,
                maximum=5,
            ),
            ParamSpec(
                "alternate_sign",
                ParamType.BOOL,
                False,
                description="Sign each n-gram by a second hash, so collisions tend to cancel "
                "out; off: counts.",
            ),
            ParamSpec(
                "norm",
                ParamType.ENUM,
                "none",
                choices=NORMS,
                description="Scale each row: none keeps counts; l1 to shares; l2 to unit length.",
            ),
            ParamSpec("keep_text", ParamType.BOOL, False, description="Keep the text columns."),
        ),
        helpers=_HELPERS,
    ),
]
