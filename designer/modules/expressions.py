"""Row expressions in pandas query syntax, with errors that name the expression."""

from __future__ import annotations

from typing import Any

import pandas as pd

from designer.engine.context import StepError


def query_mask(df: pd.DataFrame, expression: Any, param: str) -> pd.Series:
    """Evaluate a pandas query expression to a boolean row mask, or raise a clear StepError."""
    text = str(expression or "").strip()
    if not text:
        raise StepError(f"{param}: enter an expression, e.g. `age >= 18`", param=param)
    if "@" in text:
        raise StepError(f"{param}: '@' variables are not available in `{text}`", param=param)
    try:
        result = df.eval(text)
    except pd.errors.UndefinedVariableError as exc:
        raise StepError(
            f"{param}: {exc} in `{text}`; column names with spaces go in backticks", param=param
        ) from exc
    except SyntaxError as exc:
        raise StepError(f"{param}: invalid syntax in `{text}`: {exc.msg}", param=param) from exc
    except Exception as exc:  # pandas raises many types for a bad expression
        raise StepError(f"{param}: cannot evaluate `{text}`: {exc}", param=param) from exc
    if not isinstance(result, pd.Series) or not pd.api.types.is_bool_dtype(result):
        raise StepError(
            f"{param}: `{text}` must be a condition that is true or false for each row", param=param
        )
    return result.fillna(False).astype(bool)
