"""Okapi BM25 over syllable unigrams and bigrams, one document per intent; and the sparse sums
both BM25 and the perceptron are made of.

A query's score for every column (a document, or an intent) is the sum of the rows of its
terms. With numpy (a dependency) the rows of a query's terms are gathered and added up in one
`bincount`: a long message of ninety terms costs about as much as a short one, at any size. The
dict sums in pure Python stay as the reference, and serve an install without numpy. Both add
each column's floats in sorted term order, and give the same rankings.
"""

from __future__ import annotations

import array
import heapq
import itertools
import math
import operator
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["VECTOR_FROM", "BM25Index", "Sums", "TermRows", "numpy_or_none", "terms_of"]

# Rows (term, column) from which numpy sums are used, when numpy is installed: always (numpy's
# import, ~0.07 s at start-up, buys a long message's sums ~6x faster even at FAQ size).
VECTOR_FROM = 0

# Without numpy, rows touching at least 1/FULL_ROW_SHARE of the columns are summed whole.
FULL_ROW_SHARE = 6

Row = tuple[list[int], list[float]]


def terms_of(words: Sequence[str]) -> list[str]:
    """Syllable unigrams plus adjacent bigrams ("mat khau" -> mat, khau, mat_khau)."""
    return [*words, *(f"{a}_{b}" for a, b in itertools.pairwise(words))]


INTS, FLOATS = "i", "d"  # array typecodes: 32-bit integers, 64-bit floats
if array.array(INTS).itemsize != 4:  # pragma: no cover - every CPython platform has 4-byte ints
    raise ImportError("array('i') must hold 4-byte integers")


def as_list(found: Any) -> list[Any]:
    """An array's numbers as a list of Python numbers (never of numpy scalars)."""
    return found.tolist() if hasattr(found, "tolist") else list(found)


def join_lines(strings: Sequence[str]) -> str | list[str]:
    """Strings as one line each (a JSON string reads far faster than a list of them); a list
    when one of them holds a line break."""
    joined = "\n".join(strings)
    return joined if joined.count("\n") == max(len(strings) - 1, 0) and strings else list(strings)


def split_lines(found: str | Sequence[str]) -> list[str]:
    """The strings `join_lines` joined."""
    if isinstance(found, str):
        return found.split("\n") if found else []
    return [str(text) for text in found]


def numpy_or_none() -> Any:
    """numpy, or None when it is not installed (the dict sums then serve every size)."""
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is a dependency; this guards a bare install
        return None
    return numpy


class Sums:
    """The summed rows of one query: each touched column's total.

    A column is touched when one of the query's terms has it in its row; untouched columns
    have no total (`get` returns None), which is not the same as a total of 0.
    """

    def __init__(self, totals: dict[int, float]) -> None:
        self._totals = totals

    def __bool__(self) -> bool:
        return bool(self._totals)

    def get(self, column: int) -> float | None:
        """The column's total, None when no term touched it."""
        return self._totals.get(column)

    def best(self, count: int) -> list[tuple[int, float]]:
        """The `count` highest totals, highest first; equal totals in column order."""
        return heapq.nsmallest(count, self._totals.items(), key=lambda item: (-item[1], item[0]))

    def largest_magnitude(self) -> float:
        """The largest absolute total (0.0 when nothing is touched)."""
        return max(map(abs, self._totals.values()), default=0.0)

    def favourite(self, names: Sequence[str]) -> int | None:
        """The touched column with the highest total; on a tie, the one whose name sorts last."""
        if not self._totals:
            return None
        return max(self._totals.items(), key=lambda item: (item[1], names[item[0]]))[0]


class _DenseSums(Sums):
    """The same answers from a numpy vector of every column's total.

    Which columns a term touched is only worked out when an answer depends on it: never for
    rows of positive weights (BM25: touched is a total above 0), rarely for the perceptron.
    """

    def __init__(self, rows: TermRows, totals: Any, columns: Any, long: Sequence[int]) -> None:
        super().__init__({})
        self._rows = rows
        self._np = rows.numpy
        self._dense = totals
        self._columns = columns  # the short rows' entries' columns (None: no term was known)
        self._long = long  # the numbers of the long rows added as whole lines
        self._found = columns is not None
        self._mask: Any = None

    def _touched(self) -> Any:
        if self._mask is None:
            if self._rows.positive:
                self._mask = self._dense > 0.0
            else:
                self._mask = self._np.zeros(len(self._dense), dtype=bool)
                if self._columns is not None:
                    self._mask[self._columns] = True
                for number in self._long:
                    self._mask[self._rows.columns_of(number)] = True
        return self._mask

    def __bool__(self) -> bool:
        return bool(self._found)

    def get(self, column: int) -> float | None:
        value = float(self._dense[column])
        if value == 0.0 and not self._touched()[column]:
            return None
        return value

    def best(self, count: int) -> list[tuple[int, float]]:
        if count <= 0 or not self._found:
            return []
        np = self._np
        dense = self._dense
        if self._rows.positive and count < len(dense):
            # Touched is a total above 0: when the count-th highest total is, every column at
            # least as high is touched, found in one pass without listing the touched ones.
            kth = np.partition(dense, len(dense) - count)[len(dense) - count]
            if kth > 0.0:
                columns = np.flatnonzero(dense >= kth)
                ranked = sorted(((int(c), float(dense[c])) for c in columns), key=_high_first)
                return ranked[:count]
        columns = np.flatnonzero(self._touched())
        if len(columns) > count:
            values = self._dense[columns]
            # Every column at least as high as the count-th highest: ties kept, then ordered.
            kth = np.partition(values, len(values) - count)[len(values) - count]
            columns = columns[values >= kth]
        ranked = sorted(((int(c), float(self._dense[c])) for c in columns), key=_high_first)
        return ranked[:count]

    def largest_magnitude(self) -> float:
        # Untouched columns hold 0.0, which never raises the largest magnitude.
        if not self._found:
            return 0.0
        return max(float(self._dense.max()), -float(self._dense.min()))  # no |x| array made

    def favourite(self, names: Sequence[str]) -> int | None:
        if not self._found:
            return None
        np = self._np
        top = self._dense.max()
        if top > 0.0:  # untouched columns hold 0.0: the highest total is a touched one
            tied = np.flatnonzero(self._dense == top)
        else:
            touched = self._touched()
            top = self._dense[touched].max()
            tied = np.flatnonzero(touched & (self._dense == top))
        return max((int(c) for c in tied), key=lambda c: names[c])


def _max_idf(size: int) -> float:
    """The idf of a term no document has: the weight of an unknown query term."""
    return math.log(1.0 + (size + 0.5) / 0.5) if size else 1.0


def _high_first(item: tuple[int, float]) -> tuple[float, int]:
    return -item[1], item[0]


class TermRows:
    """Rows of weights by term over numbered columns, summed for a query's terms.

    Stored flat (every row's columns and values one after another, and where each row starts),
    which is also the form written to the index cache: loading it builds nothing per term; a
    row is cut out of the flat lists the first time a query needs it.
    """

    def __init__(
        self,
        terms: Sequence[str],
        offsets: Sequence[int],
        columns: Sequence[int],
        values: Sequence[float],
        width: int,
        vector_from: int = VECTOR_FROM,
    ) -> None:
        self._number = dict(zip(terms, range(len(terms)), strict=True))
        self.width = width
        self.entries = len(columns)
        self.numpy: Any = numpy_or_none() if self.entries >= vector_from else None
        self._rows: dict[str, Row] = {}
        self._full: dict[str, list[float]] = {}  # long rows, spelled out over every column
        self._full_from = max(8, width // FULL_ROW_SHARE)
        self._offsets = as_list(offsets)
        self._columns: Any  # a list, or a numpy array
        self._values: Any
        if self.numpy is None:
            self._columns, self._values = as_list(columns), as_list(values)
            lowest, highest = min(columns, default=0), max(columns, default=0)
            # Every weight above 0 (BM25): a column is touched exactly when its total is.
            self.positive = min(values, default=1.0) > 0.0
        else:
            np = self.numpy
            self._columns = np.asarray(columns, dtype=np.int32)
            self._values = np.asarray(values, dtype=np.float64)
            lowest = int(self._columns.min()) if self.entries else 0
            highest = int(self._columns.max()) if self.entries else 0
            self.positive = bool(self._values.min() > 0.0) if self.entries else True
        if len(self._number) != len(terms) or len(self._offsets) != len(terms) + 1:
            raise ValueError("inconsistent rows")
        if (
            self._offsets[0] != 0
            or self._offsets[-1] != self.entries
            or len(values) != len(columns)
        ):
            raise ValueError("inconsistent rows")
        if self.numpy is not None:
            self._bounds = self.numpy.asarray(offsets, dtype=self.numpy.intp)
            if self.numpy.any(self._bounds[1:] < self._bounds[:-1]):
                raise ValueError("inconsistent rows")
        elif any(a > b for a, b in itertools.pairwise(self._offsets)):
            raise ValueError("inconsistent rows")
        if self.entries and not 0 <= lowest <= highest < width:
            raise ValueError("a column out of range")
        if self.numpy is not None:
            self._spell_long_rows()

    def _spell_long_rows(self) -> None:
        """With numpy: where each row starts, as an array (short rows are gathered in one
        pass), and rows over 1/FULL_ROW_SHARE of the columns spelled out as lines of a matrix
        (adding a line is one contiguous pass; a few MB at 2,000 intents)."""
        np = self.numpy
        long = np.flatnonzero(np.diff(self._bounds) >= self._full_from).tolist()
        self._line_of: dict[int, int] = {number: line for line, number in enumerate(long)}
        self._lines = np.zeros((len(long), self.width), dtype=np.float64)
        for line, number in enumerate(long):
            start, end = self._offsets[number], self._offsets[number + 1]
            self._lines[line, self._columns[start:end]] = self._values[start:end]

    @classmethod
    def from_rows(
        cls, rows: Mapping[str, Row], width: int, vector_from: int = VECTOR_FROM
    ) -> TermRows:
        """Rows given as term -> (columns, values), each column at most once per row."""
        offsets = [0]
        columns: list[int] = []
        values: list[float] = []
        for row_columns, row_values in rows.values():
            columns.extend(row_columns)
            values.extend(row_values)
            offsets.append(len(columns))
        return cls(list(rows), offsets, columns, values, width, vector_from)

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], width: int, vector_from: int = VECTOR_FROM
    ) -> TermRows:
        """Rows from `state()` of earlier ones."""
        return cls(
            split_lines(state["terms"]),
            state["offsets"],
            state["columns"],
            state["values"],
            width,
            vector_from,
        )

    def state(self) -> dict[str, Any]:
        """The rows, flat: terms one a line (a JSON string reads far faster than a list of
        them), the numbers as arrays (numpy's, or `array.array` of INTS and FLOATS), which
        intents/state_file.py writes as their raw bytes."""
        if self.numpy is None:
            columns, values = array.array(INTS, self._columns), array.array(FLOATS, self._values)
        else:
            columns, values = self._columns, self._values
        return {
            "terms": join_lines(list(self._number)),
            "offsets": array.array(INTS, self._offsets),
            "columns": columns,
            "values": values,
        }

    def row_length(self, term: str) -> int | None:
        """How many columns a term's row has weights for; None for an unknown term."""
        number = self._number.get(term)
        return None if number is None else self._offsets[number + 1] - self._offsets[number]

    def row(self, term: str) -> Row:
        """One term's row as lists (empty for an unknown term)."""
        if self.numpy is None:
            return self._row(term) or ([], [])
        number = self._number.get(term)
        if number is None:
            return [], []
        start, end = self._offsets[number], self._offsets[number + 1]
        return self._columns[start:end].tolist(), self._values[start:end].tolist()

    def _row(self, term: str) -> Row | None:
        row = self._rows.get(term)
        if row is None:
            number = self._number.get(term)
            if number is None:
                return None
            start, end = self._offsets[number], self._offsets[number + 1]
            row = self._rows[term] = (self._columns[start:end], self._values[start:end])
        return row

    def columns_of(self, number: int) -> Any:
        """The columns of row `number` (the flat entries it spans)."""
        return self._columns[self._offsets[number] : self._offsets[number + 1]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._number)

    @property
    def vectorized(self) -> bool:
        """Whether sums use numpy (a large table with numpy installed)."""
        return self.numpy is not None

    def sums(self, terms: Iterable[str]) -> Sums:
        """Each touched column's total over the distinct terms given (in a fixed order, so
        that the same query always adds its floats up the same way)."""
        if self.numpy is not None:
            return self._dense_sums(terms)
        totals: dict[int, float] = {}
        get = totals.get
        full: list[float] | None = None  # the long rows' sum, over every column
        held: set[int] = set()  # the columns the long rows touch
        for term in sorted(set(terms)):
            row = self._row(term)
            if row is None:
                continue
            if len(row[0]) >= self._full_from:
                spelled = self._spelled(term, row)
                full = spelled if full is None else list(map(operator.add, full, spelled))
                held.update(row[0])
                continue
            for column, value in zip(*row, strict=True):
                totals[column] = get(column, 0.0) + value
        if full is not None:
            for column in held:
                totals[column] = get(column, 0.0) + full[column]
        return Sums(totals)

    def _spelled(self, term: str, row: Row) -> list[float]:
        """A long row over every column (0.0 where it has no weight): summed in one C loop."""
        spelled = self._full.get(term)
        if spelled is None:
            spelled = [0.0] * self.width
            for column, value in zip(*row, strict=True):
                spelled[column] = value
            self._full[term] = spelled
        return spelled

    def _dense_sums(self, terms: Iterable[str]) -> Sums:
        """The query's short rows gathered and added up in one `bincount`, its long rows (a
        common word's, over most columns) added as whole lines: as the dict sums do, each
        column's short entries in sorted term order, then the long rows' total."""
        np = self.numpy
        number_of = self._number.get
        numbers = [n for term in sorted(set(terms)) if (n := number_of(term)) is not None]
        if not numbers:
            return _DenseSums(self, np.zeros(self.width, dtype=np.float64), None, ())
        line_of = self._line_of
        long = [n for n in numbers if n in line_of]
        short = [n for n in numbers if n not in line_of] if long else numbers
        if not short:
            columns = np.zeros(0, dtype=np.intp)
            totals = np.zeros(self.width, dtype=np.float64)
        elif len(short) == 1:
            start, end = self._offsets[short[0]], self._offsets[short[0] + 1]
            columns = self._columns[start:end]
            totals = np.bincount(columns, weights=self._values[start:end], minlength=self.width)
        else:
            rows = np.asarray(short, dtype=np.intp)
            starts = self._bounds[rows]
            lengths = self._bounds[rows + 1] - starts
            # Entry k of the gathered rows is flat entry k + (its row's start - entries before).
            before = np.cumsum(lengths) - lengths
            entries = np.arange(int(lengths.sum()), dtype=np.intp)
            entries += np.repeat(starts - before, lengths)
            columns = self._columns[entries]
            totals = np.bincount(columns, weights=self._values[entries], minlength=self.width)
        if len(long) == 1:
            totals += self._lines[line_of[long[0]]]
        elif long:
            # The lines added one by one into one vector, in the order `sum(axis=0)` adds them
            # (the same floats), without copying every line out first: ~3x faster.
            lines = self._lines
            added = lines[line_of[long[0]]].copy()
            for number in long[1:]:
                added += lines[line_of[number]]
            totals += added
        return _DenseSums(self, totals, columns, long)


class BM25Index:
    """BM25 scores of a query against a fixed set of documents (each a bag of terms)."""

    def __init__(
        self,
        documents: Sequence[Iterable[str]],
        k1: float = 1.2,
        b: float = 0.75,
        vector_from: int = VECTOR_FROM,
    ) -> None:
        counts = [Counter(doc) for doc in documents]
        self.size = len(counts)
        lengths = [sum(c.values()) for c in counts]
        average = (sum(lengths) / self.size) if self.size else 1.0
        df: Counter[str] = Counter()
        for counter in counts:
            df.update(counter.keys())
        self._idf: dict[str, float] = {term: self._idf_of(n) for term, n in df.items()}
        self.max_idf = _max_idf(self.size)
        # Precompute each posting's saturated term weight: scoring is then a sum of lookups.
        postings: dict[str, Row] = {}
        for doc_id, counter in enumerate(counts):
            norm = k1 * (1.0 - b + b * lengths[doc_id] / average)
            for term, tf in counter.items():
                weight = self._idf[term] * tf * (k1 + 1.0) / (tf + norm)
                row = postings.get(term)
                if row is None:
                    postings[term] = row = ([], [])
                row[0].append(doc_id)
                row[1].append(weight)
        self.rows = TermRows.from_rows(postings, self.size, vector_from)

    @classmethod
    def from_state(cls, state: Mapping[str, Any], vector_from: int = VECTOR_FROM) -> BM25Index:
        """An index from `state()` of an earlier one: nothing is counted or weighed again."""
        index = cls.__new__(cls)
        index.size = int(state["size"])
        index.rows = TermRows.from_state(state, index.size, vector_from)
        index._idf = {}  # worked out again from the rows' lengths, when a query asks
        index.max_idf = _max_idf(index.size)
        return index

    def state(self) -> dict[str, Any]:
        """Everything the index holds (its rows' numbers as arrays: `TermRows.state()`)."""
        return {"size": self.size, **self.rows.state()}

    def _idf_of(self, documents: int) -> float:
        """The inverse document frequency of a term in `documents` of the documents."""
        return math.log(1.0 + (self.size - documents + 0.5) / (documents + 0.5))

    def sums(self, terms: Iterable[str]) -> Sums:
        """Scores of every document that shares at least one term with the query."""
        return self.rows.sums(terms)

    def scores(self, terms: Iterable[str]) -> dict[int, float]:
        """Scores of every document that shares at least one term with the query, as a dict."""
        found = self.sums(terms)
        return {doc: score for doc in range(self.size) if (score := found.get(doc)) is not None}

    def term_weight(self, term: str) -> float:
        """How informative a query term is; unknown terms weigh as the rarest possible term."""
        idf = self._idf.get(term)
        if idf is None:
            documents = self.rows.row_length(term)  # a row has one weight per document
            idf = self.max_idf if documents is None else self._idf_of(documents)
            if documents is not None:
                self._idf[term] = idf
        return idf
