"""Preprocess text: lowercase; remove URLs, emails, numbers, punctuation, stop words; stem."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame, output_targets
from designer.modules.text_columns import chosen_text_columns

URL = re.compile(r"\b(?:https?://|ftp://|www\.)\S+", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # digits of every script, 3.14 and 1,000 whole
REMOVED = {"remove_urls": URL, "remove_emails": EMAIL, "remove_numbers": NUMBER}  # in this order
SPACES = re.compile(r"\s+")
Word = Callable[[re.Match[str]], str]  # a word found in the text -> what replaces it


@dataclass(frozen=True)
class Cleaning:
    """What Preprocess text does to each value, step by step."""

    lowercase: bool
    removed: tuple[re.Pattern[str], ...]  # URLs, emails, numbers: each becomes a space
    special_characters: bool
    word: Word | None  # drops stop words and stems the others, or None


@cache
def special_characters() -> dict[int, str]:
    """Every punctuation mark and symbol of Unicode (categories P* and S*), mapped to a space."""
    return {
        code: " "
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code))[0] in "PS"
    }


@cache
def word_pattern() -> re.Pattern[str]:
    """A word: letters and digits (\\w), the combining marks of every script (category M*: the
    vowel signs of Hindi) and the zero-width joiners (Persian), in a run."""
    marks = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c))[0] == "M"]
    return re.compile(rf"[\w\u200c\u200d{_ranges(marks)}]+")


def _ranges(codes: list[int]) -> str:
    """Increasing code points as the inside of a regex class: runs become ranges (a-z), which
    it matches far faster than a list of characters."""
    runs = [[c for _, c in run] for _, run in groupby(enumerate(codes), lambda p: p[1] - p[0])]
    return "".join(
        re.escape(chr(run[0])) + (f"-{re.escape(chr(run[-1]))}" if len(run) > 1 else "")
        for run in runs
    )


@dataclass(frozen=True)
class TextPreprocessing:
    """Preprocess text resolved for a table: the cleaning, and each chosen column's output
    column (itself, or `<column>_preprocessed` appended)."""

    cleaning: Cleaning
    targets: dict[str, str]

    def replay(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The cleaning on a real-time call's arrays, as the step does it on a table."""
        out = dict(columns)
        for column, target in self.targets.items():
            texts = pd.Series(columns[column], dtype=object).astype("str")
            out[target] = clean(texts, self.cleaning).to_numpy(dtype=object)
        return out


def resolve(params: Mapping[str, Any], df: pd.DataFrame) -> TextPreprocessing:
    """The cleaning and the columns the step's params choose in `df`, refused by name."""
    columns = chosen_text_columns(params, df)
    cleaning = _cleaning(params)
    append = str(params.get("mode") or "replace") == "append"
    return TextPreprocessing(
        cleaning, output_targets(df, columns, "preprocessed" if append else None)
    )


def preprocess_text(ctx: StepContext) -> Mapping[str, Any]:
    """Clean each chosen text column, in its place or appended as `<column>_preprocessed`."""
    df = frame(ctx, "dataset", allow_empty=True)
    preprocessing = resolve(ctx.params, df)
    out = df.copy(deep=False)  # copy-on-write copies a column on write
    for column, target in preprocessing.targets.items():
        out[target] = clean(df[column].astype("str"), preprocessing.cleaning)
    return {"dataset": out}


def _cleaning(params: Mapping[str, Any]) -> Cleaning:
    """The cleaning the step's params ask for; stop words in another language are refused."""
    language = str(params.get("language") or "english")
    stop_words = bool(params.get("remove_stop_words", True))
    if stop_words and language != "english":
        raise StepError(
            f"remove_stop_words: stop words are removed in English only, and the language is "
            f"{language}; turn remove_stop_words off, or choose english as the language",
            param="remove_stop_words",
        )
    return Cleaning(
        lowercase=bool(params.get("lowercase", True)),
        removed=tuple(pattern for name, pattern in REMOVED.items() if params.get(name, True)),
        special_characters=bool(params.get("remove_special_characters", True)),
        word=_word(stop_words, language if params.get("stem") else None),
    )


def _word(stop_words: bool, language: str | None) -> Word | None:
    """What replaces a word: nothing for a stop word, else its stem in `language` (or itself)."""
    if not stop_words and language is None:
        return None
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    stops = ENGLISH_STOP_WORDS if stop_words else frozenset()
    stem = _stemmer(language) if language else str
    return lambda match: "" if match[0].lower() in stops else stem(match[0])


def _stemmer(language: str) -> Callable[[str], str]:
    """The Snowball stemmer of a language, remembering the words it has stemmed."""
    import snowballstemmer

    stem: Callable[[str], str] = cache(snowballstemmer.stemmer(language).stemWord)
    return stem


def clean(texts: pd.Series, cleaning: Cleaning) -> pd.Series:
    """Text through the cleaning's steps, whitespace collapsed; missing values stay missing."""
    if cleaning.lowercase:
        texts = texts.str.lower()
    for pattern in cleaning.removed:
        texts = texts.str.replace(pattern, " ", regex=True)
    if cleaning.special_characters:
        texts = texts.str.translate(special_characters())
    if cleaning.word is not None:
        texts = texts.str.replace(word_pattern(), cleaning.word, regex=True)
    return texts.str.replace(SPACES, " ", regex=True).str.strip()
