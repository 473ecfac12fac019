"""Specs of the transform modules: columns, cleaning, scaling, filtering, joins, SQL, splits."""

from __future__ import annotations

from typing import Any

from designer.engine.registry import ModuleSpec, ParamSpec, PortSpec
from designer.engine.types import ParamType, PortType
from designer.modules.specs import SANDBOX_HELPERS, SEED_MAX, builtin, sandbox_params

_HELPERS = ("_frames", "fitted", "expressions")


def _spec(*args: Any, **kwargs: Any) -> ModuleSpec:
    return builtin(*args, helpers=_HELPERS, **kwargs)


DTYPE_GROUPS = (
    "any",
    "numeric",
    "integer",
    "float",
    "string",
    "boolean",
    "datetime",
    "categorical",
)
MATH_OPERATIONS = (
    "log",
    "log10",
    "log1p",
    "exp",
    "sqrt",
    "square",
    "abs",
    "sign",
    "reciprocal",
    "floor",
    "ceil",
    "round",
)
CAST_TYPES = ("unchanged", "integer", "float", "string", "boolean", "datetime", "categorical")


def _in(
    name: str = "dataset", description: str = "The input table.", optional: bool = False
) -> PortSpec:
    return PortSpec(name, PortType.DATAFRAME, description, optional)


def _out(name: str = "dataset", description: str = "The resulting table.") -> PortSpec:
    return PortSpec(name, PortType.DATAFRAME, description)


def _transform_out(description: str) -> PortSpec:
    return PortSpec("transform", PortType.TRANSFORM, description)


def _columns(description: str, name: str = "columns") -> ParamSpec:
    return ParamSpec(name, ParamType.COLUMNS, (), description=description)


def _seed(description: str = "Random seed; the same seed gives the same result.") -> ParamSpec:
    return ParamSpec(
        "seed",
        ParamType.INT,
        0,
        description=description,
        minimum=0,
        maximum=SEED_MAX,
        nullable=True,
    )


SPECS = [
    _spec(
        "transform.select_columns",
        "Select columns in dataset",
        "Data transformation",
        """Keeps (include) or drops (exclude) columns chosen by name, by type (numeric, string,
        boolean, datetime, categorical) or by a regular expression on the name. A column matches
        when any of the given criteria match it. Named columns keep the order you list them in.""",
        "transform:select_columns",
        inputs=(_in(),),
        outputs=(_out(),),
        params=(
            _columns("Columns chosen by name."),
            ParamSpec("mode", ParamType.ENUM, "include", choices=("include", "exclude")),
            ParamSpec(
                "types",
                ParamType.ENUM,
                "any",
                label="By type",
                description="Also match every column of this type ('any' matches none by type).",
                choices=DTYPE_GROUPS,
            ),
            ParamSpec(
                "pattern",
                ParamType.STRING,
                "",
                description="Also match columns whose name matches this regular expression.",
            ),
        ),
    ),
    _spec(
        "transform.edit_metadata",
        "Edit metadata",
        "Data transformation",
        """Renames columns, casts them to another type (integer, float, string, boolean, datetime,
        categorical) and marks them as the label or as features. Train model uses the column
        marked as label when its own label param is left empty.""",
        "transform:edit_metadata",
        inputs=(_in(),),
        outputs=(_out(),),
        params=(
            ParamSpec("columns", ParamType.COLUMNS, description="The columns to edit."),
            ParamSpec(
                "new_names",
                ParamType.STRING,
                "",
                description="Comma-separated new names, one per column (empty keeps names).",
            ),
            ParamSpec("cast", ParamType.ENUM, "unchanged", choices=CAST_TYPES),
            ParamSpec(
                "role",
                ParamType.ENUM,
                "unchanged",
                description="Mark the (single) column as label, or the columns as features.",
                choices=("unchanged", "label", "feature", "clear"),
            ),
        ),
    ),
    _spec(
        "transform.clean_missing",
        "Clean missing data",
        "Data transformation",
        """Handles missing values in the chosen columns (all columns with missing values when
        none are chosen): remove the rows or the columns that have them, or replace them with the
        column's mean, median or most frequent value, or with a constant. A report lists each
        column, how many values were missing and what was done; the fitted cleaning is a
        transform that Apply transformation can replay on other data (e.g. the test set).""",
        "transform:clean_missing",
        inputs=(_in(),),
        outputs=(
            _out(description="The cleaned table."),
            _out("report", "One row per column: missing count, action and fill value."),
            _transform_out("The fitted cleaning, for Apply transformation."),
        ),
        params=(
            _columns("Columns to clean; empty means every column with missing values."),
            ParamSpec(
                "strategy",
                ParamType.ENUM,
                "remove_rows",
                choices=("remove_rows", "remove_columns", "mean", "median", "mode", "constant"),
            ),
            ParamSpec(
                "constant",
                ParamType.STRING,
                "",
                description="Replacement for the 'constant' strategy (cast to the column type).",
            ),
        ),
    ),
    _spec(
        "transform.normalize",
        "Normalize data",
        "Data transformation",
        """Rescales numeric columns: z-score (mean 0, standard deviation 1), min-max (to the 0 to 1
        range) or robust (median 0, interquartile range 1). Fitted on this input; the fitted
        scaler is the second output, so Apply transformation scales test data with the training
        statistics.""",
        "transform:normalize",
        inputs=(_in(),),
        outputs=(
            _out(description="The table with rescaled columns."),
            _transform_out("The fitted scaler, for Apply transformation."),
        ),
        params=(
            _columns("Numeric columns to rescale; empty means every numeric column."),
            _columns("Columns to leave unchanged (e.g. the label).", "exclude"),
            ParamSpec("method", ParamType.ENUM, "zscore", choices=("zscore", "minmax", "robust")),
        ),
    ),
    builtin(
        "transform.pca",
        "Principal component analysis",
        "Data transformation",
        """Replaces numeric columns by their first principal components (PC1, PC2, …): the
        directions of largest variance, as scikit-learn's PCA finds them, after standardizing
        each column (unless turned off) so that units do not decide. Outputs the table with the
        components after the columns left as they were, the variance each component explains,
        each column's weight in each component, and the fitted projection, so Apply
        transformation projects test or scoring data the same way.""",
        "pca:pca",
        inputs=(_in(),),
        outputs=(
            _out(description="The table with the components instead of the chosen columns."),
            _out(
                "variance",
                "One row per component: explained variance, its ratio of the whole, cumulative.",
            ),
            _out("weights", "One row per column: its weight in each component."),
            _transform_out("The fitted projection, for Apply transformation."),
        ),
        params=(
            _columns("Numeric columns to reduce; empty means every numeric column."),
            _columns("Columns to leave unchanged (e.g. the label).", "exclude"),
            ParamSpec(
                "count",
                ParamType.INT,
                2,
                label="Components",
                description="How many components to keep.",
                minimum=1,
                maximum=10000,
            ),
            ParamSpec(
                "standardize",
                ParamType.BOOL,
                True,
                description="Scale each column to unit variance first (PCA of the correlations).",
            ),
        ),
        helpers=("_frames", "fitted"),
    ),
    builtin(
        "transform.smote",
        "SMOTE",
        "Data transformation",
        """Adds synthetic rows of a minority class, each between one of its rows and one of its
        nearest neighbours in that class (SMOTE, as imbalanced-learn makes them; SMOTE-NC when
        some features are text or booleans, which it copies from the neighbours). Use it on the
        training rows only, after the split: the original rows come first, unchanged, then the
        new ones. Integer columns stay integers (a new value is cut to a whole number).""",
        "oversample:smote",
        inputs=(_in(description="The data, with the label column."),),
        outputs=(_out(description="The rows, then the synthetic rows of the minority class."),),
        params=(
            ParamSpec(
                "label",
                ParamType.COLUMN,
                "",
                label="Label column",
                description="The class column; empty uses the column marked as label.",
            ),
            ParamSpec(
                "percentage",
                ParamType.INT,
                100,
                label="SMOTE percentage",
                description="How much the minority class grows: 100 doubles it.",
                minimum=1,
                maximum=10000,
            ),
            ParamSpec(
                "neighbors",
                ParamType.INT,
                5,
                label="Nearest neighbours",
                description="Neighbours a synthetic row may be made towards.",
                minimum=1,
                maximum=1000,
            ),
            ParamSpec(
                "minority",
                ParamType.STRING,
                "",
                label="Class to oversample",
                description="As written in the label column; empty means the least frequent.",
            ),
            _seed(),
        ),
        helpers=("_frames", "training"),
    ),
    builtin(
        "transform.group_into_bins",
        "Group data into bins",
        "Data transformation",
        """Numbers each value of numeric columns by the bin it falls in (0, 1, 2, …): bins
        holding about as many rows each (quantiles), bins of equal width, or bins between edges
        you give, as scikit-learn's KBinsDiscretizer fits and numbers them. Appends a
        `<column>_bin` column or replaces the column; a missing value stays missing. Also lists
        each bin's edges and rows, and outputs the fitted bins, so Apply transformation numbers
        test or scoring data with the same edges (values beyond them fall in the first or last
        bin).""",
        "binning:group_into_bins",
        inputs=(_in(),),
        outputs=(
            _out(description="The table with the bin numbers."),
            _out("bins", "One row per column and bin: its number, edges and rows."),
            _transform_out("The fitted bins, for Apply transformation."),
        ),
        params=(
            _columns("Numeric columns to bin; empty means every numeric column."),
            _columns("Columns to leave unchanged (e.g. the label).", "exclude"),
            ParamSpec(
                "method",
                ParamType.ENUM,
                "quantiles",
                choices=("quantiles", "equal_width", "custom"),
            ),
            ParamSpec(
                "bins",
                ParamType.INT,
                10,
                label="Number of bins",
                description="For quantiles and equal width (ties can merge quantile bins).",
                minimum=2,
                maximum=1000,
            ),
            ParamSpec(
                "edges",
                ParamType.STRING,
                "",
                label="Custom edges",
                description="For custom: increasing numbers, e.g. 18, 30, 65 (four bins).",
            ),
            ParamSpec("mode", ParamType.ENUM, "append", choices=("append", "replace")),
        ),
        helpers=("_frames", "fitted"),
    ),
    builtin(
        "transform.text_features",
        "Extract N-gram features from text",
        "Text analytics",
        """Turns text columns into numbers a learner can use: one column per word or run of up
        to N words (n-gram) of the vocabulary fitted on this input, named `column[n-gram]`,
        weighted by TF-IDF, term frequency, counts or presence, as scikit-learn's
        TfidfVectorizer computes them. Lists the vocabulary (each n-gram's rows and IDF) and
        outputs the fitted vocabularies, so Apply transformation turns test or scoring text
        into the same columns (n-grams it has not seen count for nothing; missing text has
        none).""",
        "text:text_features",
        inputs=(_in(),),
        outputs=(
            _out(description="The table with the n-gram columns (the text dropped unless kept)."),
            _out("vocabulary", "One row per n-gram: its column, how many rows have it, its IDF."),
            _transform_out("The fitted vocabularies, for Apply transformation."),
        ),
        params=(
            _columns("Text columns; empty means every text column."),
            ParamSpec(
                "ngrams",
                ParamType.INT,
                1,
                label="Longest n-gram",
                description="1: single words; 2: words and pairs of words; …",
                minimum=1,
                maximum=5,
            ),
            ParamSpec(
                "weighting", ParamType.ENUM, "tf_idf", choices=("tf_idf", "tf", "counts", "binary")
            ),
            ParamSpec(
                "vocabulary",
                ParamType.INT,
                1000,
                label="Largest vocabulary",
                description="Per column: the n-grams most frequent across the rows are kept.",
                minimum=1,
                maximum=20000,
            ),
            ParamSpec(
                "min_documents",
                ParamType.INT,
                1,
                label="Fewest rows",
                description="An n-gram must appear in at least this many rows.",
                minimum=1,
            ),
            ParamSpec("stop_words", ParamType.ENUM, "none", choices=("none", "english")),
            ParamSpec("lowercase", ParamType.BOOL, True),
            ParamSpec("keep_text", ParamType.BOOL, False, description="Keep the text columns."),
        ),
        helpers=("_frames", "fitted"),
    ),
    builtin(
        "transform.lda",
        "Latent Dirichlet Allocation",
        "Text analytics",
        """Finds topics in a text column: each topic is a mix of words, each row's text a mix of
        topics, as scikit-learn's CountVectorizer (words or runs of up to N words, stop words,
        vocabulary limits) and LatentDirichletAllocation fit them on the rows with text. Appends
        one `<column>_topic_<k>` column per topic: the row's share of that topic, the shares of
        a row summing to 1 (missing text: missing values). Lists each topic's ten top words
        with their weights, and outputs the fitted topic model, so Apply transformation gives
        test or scoring text its topics the same way (words it has not seen count for
        nothing).""",
        "lda:latent_dirichlet_allocation",
        inputs=(_in(),),
        outputs=(
            _out(description="The table with the topic columns appended."),
            _out("topics", "One row per topic: its ten top words and their weights."),
            _transform_out("The fitted topic model, for Apply transformation."),
        ),
        params=(
            ParamSpec(
                "column",
                ParamType.COLUMN,
                label="Text column",
                description="The column of text to find topics in.",
            ),
            ParamSpec(
                "topics",
                ParamType.INT,
                5,
                label="Number of topics",
                description="How many topics to find.",
                minimum=2,
                maximum=1000,
            ),
            ParamSpec(
                "ngram_max",
                ParamType.INT,
                1,
                label="Longest n-gram",
                description="1: single words; 2: words and pairs of words; …",
                minimum=1,
                maximum=5,
            ),
            ParamSpec(
                "max_features",
                ParamType.INT,
                1000,
                label="Largest vocabulary",
                description="The words most frequent across the rows are kept; empty keeps all.",
                minimum=1,
                nullable=True,
            ),
            ParamSpec(
                "min_df",
                ParamType.INT,
                1,
                label="Fewest rows",
                description="A word must appear in at least this many rows.",
                minimum=1,
            ),
            ParamSpec(
                "max_df",
                ParamType.FLOAT,
                1.0,
                label="Largest share of rows",
                description="A word in more than this share of the rows is left out (1: none).",
                minimum=0.0,
                maximum=1.0,
            ),
            ParamSpec("stop_words", ParamType.ENUM, "english", choices=("none", "english")),
            ParamSpec(
                "learning",
                ParamType.ENUM,
                "batch",
                label="Learning method",
                description="Batch: every row in each pass; online: mini-batches (big tables).",
                choices=("batch", "online"),
            ),
            ParamSpec(
                "max_iter",
                ParamType.INT,
                10,
                label="Passes",
                description="The most passes over the rows.",
                minimum=1,
                maximum=1000,
            ),
            _seed(),
        ),
        helpers=("_frames", "fitted"),
    ),
    builtin(
        "transform.math",
        "Apply math operation",
        "Data transformation",
        """Applies one math function to numeric columns: log, log10, log1p, exp, sqrt, square,
        abs, sign, reciprocal, floor, ceil or round (half to even), as numpy computes it in
        float64. Appends a `<column>_<operation>` column or replaces the column; a missing
        value stays missing, and a value outside the function's domain (the log of 0, the
        square root of a negative number) is refused, naming the column. Stateless, so it runs
        the same in real-time endpoints.""",
        "math_ops:apply_math",
        inputs=(_in(),),
        outputs=(_out(),),
        params=(
            _columns("Numeric columns; empty means every numeric column."),
            _columns("Columns to leave unchanged (e.g. the label).", "exclude"),
            ParamSpec(
                "operation",
                ParamType.ENUM,
                "log",
                choices=MATH_OPERATIONS,
            ),
            ParamSpec("mode", ParamType.ENUM, "append", choices=("append", "replace")),
        ),
        helpers=("_frames",),
    ),
    builtin(
        "transform.clip",
        "Clip values",
        "Data transformation",
        """Caps outliers in numeric columns: values below the lower bound or above the upper
        one become the bound (or missing, if chosen). The bounds are percentiles of each
        column's values present (as pandas' quantile interpolates them; 1 and 99 by default) or
        the same constants for every column; leave one empty to clip one side only. Lists each
        column's bounds and how many values passed them, and outputs the fitted bounds, so Apply
        transformation clips test or scoring data at the training bounds.""",
        "clip:clip_values",
        inputs=(_in(),),
        outputs=(
            _out(description="The table with the chosen columns clipped (as float64)."),
            _out("bounds", "One row per column: its bounds and the values below and above."),
            _transform_out("The fitted bounds, for Apply transformation."),
        ),
        params=(
            _columns("Numeric columns to clip; empty means every numeric column."),
            _columns("Columns to leave unchanged (e.g. the label).", "exclude"),
            ParamSpec(
                "method", ParamType.ENUM, "percentiles", choices=("percentiles", "constants")
            ),
            ParamSpec(
                "lower",
                ParamType.FLOAT,
                1.0,
                label="Lower bound",
                description="A percentile (0 to 100) or a constant; empty: no lower bound.",
                nullable=True,
            ),
            ParamSpec(
                "upper",
                ParamType.FLOAT,
                99.0,
                label="Upper bound",
                description="A percentile (0 to 100) or a constant; empty: no upper bound.",
                nullable=True,
            ),
            ParamSpec("replace", ParamType.ENUM, "bound", choices=("bound", "missing")),
        ),
        helpers=("_frames", "fitted"),
    ),
    _spec(
        "transform.apply_transform",
        "Apply transformation",
        "Data transformation",
        """Applies a transform fitted by another module (Normalize data, Clean missing data,
        Convert to indicator values, Principal component analysis, Group data into bins, Clip
        values, Extract N-gram features from text, Latent Dirichlet Allocation, Filter based
        feature selection) to a table, with what was learned at fitting time.""",
        "transform:apply_transform",
        inputs=(PortSpec("transform", PortType.TRANSFORM, "A fitted transform."), _in()),
        outputs=(_out(),),
    ),
    _spec(
        "transform.remove_duplicates",
        "Remove duplicate rows",
        "Data transformation",
        """Removes rows that repeat an earlier (or later) row on the chosen key columns (all
        columns when none are chosen).""",
        "transform:remove_duplicates",
        inputs=(_in(),),
        outputs=(_out(),),
        params=(
            _columns("Key columns; empty compares whole rows."),
            ParamSpec("keep", ParamType.ENUM, "first", choices=("first", "last")),
        ),
    ),
    _spec(
        "transform.filter_rows",
        "Filter rows",
        "Data transformation",
        """Keeps the rows for which a boolean expression is true, e.g. `age >= 18 and income >
        1000`, written in pandas query syntax; put column names with spaces in backticks.""",
        "transform:filter_rows",
        inputs=(_in(),),
        outputs=(_out(),),
        params=(
            ParamSpec("expression", ParamType.STRING, description="A pandas query expression."),
        ),
    ),
    _spec(
        "transform.join",
        "Join data",
        "Data transformation",
        """Joins two tables on key columns: inner, left outer, right outer or full outer. Columns
        present in both tables (other than the keys) get the suffixes _left and _right. A join
        whose rows cannot fit in the memory a step may use is refused before it runs, with the
        number of rows it would make (a key value repeated on both sides multiplies its rows).""",
        "transform:join",
        inputs=(_in("left", "The left table."), _in("right", "The right table.")),
        outputs=(_out(),),
        params=(
            ParamSpec("keys", ParamType.COLUMNS, description="Key columns of the left table."),
            _columns("Key columns of the right table; empty uses the same names.", "right_keys"),
            ParamSpec("how", ParamType.ENUM, "inner", choices=("inner", "left", "right", "full")),
        ),
    ),
    _spec(
        "transform.add_rows",
        "Add rows",
        "Data transformation",
        """Appends the rows of the second table below the first. Both tables must have the same
        columns, unless 'union' is chosen, which fills the missing ones with empty values.""",
        "transform:add_rows",
        inputs=(_in("top", "The first table."), _in("bottom", "The table appended below.")),
        outputs=(_out(),),
        params=(
            ParamSpec("columns_mismatch", ParamType.ENUM, "error", choices=("error", "union")),
        ),
    ),
    builtin(
        "transform.add_columns",
        "Add columns",
        "Data transformation",
        """Puts the columns of the second table beside the first's, pairing rows by position
        (the first row with the first row, and so on), so both tables must have the same number
        of rows; Join data matches rows by key instead. A column of the second table whose name
        the first has already gets the suffix _right (_right2, _right3… if that is taken too).""",
        "transform:add_columns",
        inputs=(
            _in("left", "The first table."),
            _in("right", "The table whose columns are added."),
        ),
        outputs=(_out(),),
        helpers=(*_HELPERS, "names"),
    ),
    _spec(
        "transform.one_hot",
        "Convert to indicator values",
        "Data transformation",
        """Replaces each chosen categorical column (every text or categorical column when none
        are chosen) by one 0/1 indicator column per category, named column-category. The fitted
        categories are a transform, so test data gets the same columns.""",
        "transform:one_hot",
        inputs=(_in(),),
        outputs=(_out(), _transform_out("The fitted categories, for Apply transformation.")),
        params=(
            _columns("Categorical columns; empty means every text or categorical column."),
            _columns("Columns to leave unchanged (e.g. the label).", "exclude"),
            ParamSpec(
                "keep_original", ParamType.BOOL, False, description="Keep the source column."
            ),
        ),
    ),
    builtin(
        "transform.sql",
        "Apply SQL transformation",
        "Data transformation",
        """Runs an SQLite query over one to three tables, available as t1, t2 and t3. Several
        statements separated by semicolons may run (e.g. CREATE TABLE then SELECT); the last
        one must return rows, which become the output. A list or record column (from Parquet)
        is its JSON text: read it with json_extract(column, '$[0]'). The query runs in the
        sandbox with a time limit; it cannot attach databases, write files or load
        extensions.""",
        "sql:sql_transform",
        inputs=(
            _in("t1", "Table t1."),
            _in("t2", "Table t2.", optional=True),
            _in("t3", "Table t3.", optional=True),
        ),
        outputs=(_out(),),
        params=(
            ParamSpec(
                "query",
                ParamType.CODE,
                "SELECT * FROM t1;",
                language="sql",
                description="SQLite SQL.",
            ),
            *sandbox_params("the query"),
        ),
        helpers=(*_HELPERS, *SANDBOX_HELPERS, "designer.sandbox.harness.sql"),
    ),
    _spec(
        "transform.split_rows",
        "Split data",
        "Data transformation",
        """Splits the rows at random into a training and a test set; `fraction` is the share of
        rows that go to the test set. With a stratify column both sets keep its class
        proportions. Same as scikit-learn's train_test_split with the same seed.""",
        "split:split_rows",
        inputs=(_in(),),
        outputs=(_out("train", "The training rows."), _out("test", "The test rows.")),
        params=(
            ParamSpec(
                "fraction",
                ParamType.FLOAT,
                0.25,
                description="Share of rows in the test set.",
                minimum=0.0,
                maximum=1.0,
            ),
            _seed(),
            ParamSpec(
                "stratify",
                ParamType.COLUMN,
                None,
                description="Column whose class proportions both sets keep (empty: none).",
                nullable=True,
            ),
            ParamSpec("shuffle", ParamType.BOOL, True, description="Shuffle before splitting."),
        ),
    ),
    _spec(
        "transform.split_by_expression",
        "Split data by expression",
        "Data transformation",
        """Sends the rows for which a boolean expression (pandas query syntax) is true to the
        first output and all other rows to the second.""",
        "split:split_by_expression",
        inputs=(_in(),),
        outputs=(_out("matched", "Rows where the expression holds."), _out("rest", "Other rows.")),
        params=(
            ParamSpec("expression", ParamType.STRING, description="A pandas query expression."),
        ),
    ),
    _spec(
        "transform.partition_sample",
        "Partition and sample",
        "Data transformation",
        """Samples a random share of rows (optionally stratified), takes the first N rows,
        assigns every row to one of K folds (adding a 'Fold' column), or picks one fold from a
        table that has a 'Fold' column.""",
        "split:partition_sample",
        inputs=(_in(),),
        outputs=(_out(),),
        params=(
            ParamSpec(
                "mode",
                ParamType.ENUM,
                "sample",
                choices=("sample", "head", "assign_folds", "pick_fold"),
            ),
            ParamSpec(
                "fraction",
                ParamType.FLOAT,
                0.1,
                description="Share of rows to sample.",
                minimum=0.0,
                maximum=1.0,
            ),
            ParamSpec(
                "count", ParamType.INT, 100, description="Rows to keep in 'head' mode.", minimum=0
            ),
            ParamSpec(
                "folds", ParamType.INT, 5, description="Number of folds.", minimum=2, maximum=100
            ),
            ParamSpec("fold", ParamType.INT, 0, description="Fold to pick (0-based).", minimum=0),
            _seed(),
            ParamSpec(
                "stratify",
                ParamType.COLUMN,
                None,
                description="Column whose class proportions are kept when sampling or folding.",
                nullable=True,
            ),
        ),
    ),
]
