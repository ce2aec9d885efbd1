"""Load and validate the content folder; every problem names its file, line, intent and field.

Operators edit YAML by hand or export it from a spreadsheet, so the loader collects *all*
problems of a folder in one pass instead of stopping at the first, and says exactly where each
one is.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from content.schema import (
    FaqFile,
    Intent,
    MatchingConfig,
    Messages,
    OpenersFile,
    QuestionWordsFile,
    SynonymsFile,
    TeencodeFile,
)
from content.support_texts import SupportTexts, check_support_texts
from content.yaml_cache import load_yaml, text_of
from intents.lexicon import Lexicon
from intents.normalize import fold

__all__ = [
    "Content",
    "ContentError",
    "Problem",
    "cross_check",
    "default_content_dir",
    "line_in",
    "load_content",
    "load_lexicon",
]

Severity = Literal["error", "warning"]
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
_Model = TypeVar("_Model", bound=BaseModel)


def default_content_dir() -> Path:
    """The content folder shipped with the project (this package's directory)."""
    return Path(__file__).resolve().parent


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, located as precisely as possible."""

    file: str
    message: str
    line: int | None = None
    intent: str | None = None
    field: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.intent:
            parts.append(f"intent {self.intent!r}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return f"{self.severity}: {', '.join(parts)}: {self.message}"


class ContentError(Exception):
    """Raised when the content folder has errors; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in errors))


@dataclass(frozen=True)
class Content:
    """Everything the bot reads from the content folder, validated."""

    intents: Mapping[str, Intent]
    config: MatchingConfig
    messages: Messages
    lexicon: Lexicon
    support: SupportTexts
    warnings: tuple[Problem, ...] = field(default=())
    root: Path | None = None  # the folder it was loaded from

    def in_topic(self, topic: str) -> list[Intent]:
        """Top-level (two-part id) intents of a topic, in file order, for menus."""
        return [i for i in self.intents.values() if i.topic == topic and i.id.count(".") == 1]


class _YamlFile:
    """A parsed YAML file that can tell the line of any value by its path."""

    def __init__(self, path: Path, root: Path, cache_dir: Path | None = None) -> None:
        self.path = path
        self.name = (
            str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
        )
        self._raw = path.read_bytes()
        self._text: str | None = None
        self.data: Any = load_yaml(self._raw, self.name, cache_dir)

    @property
    def text(self) -> str:
        """The file's text, decoded when first asked for (a cached file's data needs none)."""
        if self._text is None:
            self._text = text_of(self._raw)
        return self._text

    def line_of(self, loc: Sequence[int | str]) -> int | None:
        # Composing the node tree is slow, so it is done only when there is an error to locate.
        return line_in(yaml.compose(self.text, Loader=_FAST_LOADER), loc)


def line_in(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The line (1-based) of the deepest node of a composed YAML tree that `loc` reaches."""
    node, line = root, None if root is None else root.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == key), None)
            if pair is None:
                break
            # Point at the key ("examples:"), which is where an operator looks.
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                break
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _problems_from(error: ValidationError, source: _YamlFile) -> Iterator[Problem]:
    for item in error.errors():
        loc = list(item["loc"])
        intent = None
        field_path = [str(part) for part in loc]
        if len(loc) >= 2 and loc[0] == "intents" and isinstance(loc[1], int):
            raw = source.data["intents"][loc[1]] if isinstance(source.data, dict) else None
            intent = raw.get("id") if isinstance(raw, dict) else None
            intent = str(intent) if intent is not None else f"#{loc[1] + 1}"
            field_path = [str(part) for part in loc[2:]]
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        yield Problem(
            file=source.name,
            line=source.line_of(loc),
            intent=intent,
            field=".".join(field_path) or None,
            message=message,
        )


def _parse(
    path: Path,
    root: Path,
    model: type[_Model],
    problems: list[Problem],
    cache_dir: Path | None = None,
) -> _Model | None:
    """Parse and validate one file; append problems instead of raising."""
    try:
        source = _YamlFile(path, root, cache_dir)
    except FileNotFoundError:
        problems.append(Problem(file=str(path), message="file is missing"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(
            Problem(
                file=str(path.relative_to(root.parent)),
                line=None if mark is None else mark.line + 1,
                message=f"not valid YAML: {getattr(exc, 'problem', exc)}",
            )
        )
        return None
    except UnicodeDecodeError as exc:
        problems.append(Problem(file=str(path), message=f"not UTF-8 text: {exc.reason}"))
        return None
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        problems.extend(_problems_from(exc, source))
        return None


def load_lexicon(root: Path, problems: list[Problem] | None = None) -> Lexicon:
    """The folded word tables of `content/lexicon/` (teencode, synonyms, openers, questions)."""
    sink: list[Problem] = [] if problems is None else problems
    teencode_file = _parse(root / "lexicon" / "teencode.yaml", root, TeencodeFile, sink)
    synonyms_file = _parse(root / "lexicon" / "synonyms.yaml", root, SynonymsFile, sink)
    protected = frozenset(
        fold(word) for word in (teencode_file.protected if teencode_file else [])
    )
    teencode: dict[str, tuple[str, ...]] = {}
    fillers: frozenset[str] = frozenset()
    if teencode_file is not None:
        for short, long in teencode_file.teencode.items():
            teencode[fold(short, protected)] = tuple(fold(long, protected).split())
        fillers = frozenset(
            unicodedata.normalize("NFC", word).lower() for word in teencode_file.fillers
        )
    synonyms: dict[tuple[str, ...], tuple[str, ...]] = {}
    if synonyms_file is not None:
        for group in synonyms_file.synonyms:
            canonical = tuple(fold(group.canonical, protected).split())
            synonyms[canonical] = canonical  # so "o dau" is kept whole, not re-read as "dau"
            for variant in group.variants:
                synonyms[tuple(fold(variant, protected).split())] = canonical
    openers_path = root / "lexicon" / "openers.yaml"
    if openers_path.exists():  # optional: a content folder without it drops no openers
        openers_file = _parse(openers_path, root, OpenersFile, sink)
        for phrase in openers_file.phrases() if openers_file else ():
            key = tuple(fold(phrase, protected).split())
            if len(key) > 1:  # a single word is never dropped: it may be the question
                synonyms.setdefault(key, ())
    questions: dict[tuple[str, ...], str] = {}
    questions_path = root / "lexicon" / "question_words.yaml"
    if questions_path.exists():  # optional, like openers
        questions_file = _parse(questions_path, root, QuestionWordsFile, sink)
        for kind, phrases in (questions_file.question_words if questions_file else {}).items():
            for phrase in phrases:
                # The same normalization as messages, so "thế nào" meets "như thế nào".
                words = Lexicon(teencode, synonyms, fillers, protected).rewrite_synonyms(
                    fold(phrase, protected).split()
                )
                if words:
                    questions[tuple(words)] = kind
    return Lexicon(
        teencode=teencode,
        synonyms=synonyms,
        fillers=fillers,
        protected=protected,
        questions=questions,
    )


def cross_check(intents: Mapping[str, Intent], where: Mapping[str, str]) -> Iterator[Problem]:
    """Rules that span intents: follow-ups exist, narrower ids extend an existing id."""
    for intent in intents.values():
        parts = intent.id.split(".")
        if len(parts) > 2:
            parent = ".".join(parts[:-1])
            if parent not in intents:
                yield Problem(
                    file=where[intent.id],
                    intent=intent.id,
                    field="id",
                    message=f"a narrower id must extend an existing id; {parent!r} does not exist",
                )
        for follow_up in intent.follow_ups:
            if follow_up not in intents:
                yield Problem(
                    file=where[intent.id],
                    intent=intent.id,
                    field="follow_ups",
                    message=f"unknown intent {follow_up!r}",
                )


def load_content(root: Path | None = None, cache_dir: Path | None = None) -> Content:
    """Load and validate the whole content folder, or raise ContentError listing every problem.

    With `cache_dir`, the FAQ files are read through JSON copies kept there
    (content/yaml_cache.py): the same data, several times faster for a large FAQ.
    """
    root = (root or default_content_dir()).resolve()
    problems: list[Problem] = []
    config = _parse(root / "config.yaml", root, MatchingConfig, problems)
    messages = _parse(root / "messages.yaml", root, Messages, problems)
    lexicon = load_lexicon(root, problems)
    intents: dict[str, Intent] = {}
    where: dict[str, str] = {}
    faq_files = sorted((root / "faq").glob("*.yaml"))
    if not faq_files:
        problems.append(Problem(file=str(root / "faq"), message="no *.yaml files"))
    for path in faq_files:
        parsed = _parse(path, root, FaqFile, problems, cache_dir)
        if parsed is None:
            continue
        name = str(path.relative_to(root.parent))
        for intent in parsed.intents:
            if intent.id in intents:
                problems.append(
                    Problem(
                        file=name,
                        intent=intent.id,
                        field="id",
                        message=f"duplicate id, already defined in {where[intent.id]}",
                    )
                )
                continue
            intents[intent.id] = intent
            where[intent.id] = name
    problems.extend(cross_check(intents, where))
    support_path = root / "support.yaml"
    support, support_problems = check_support_texts(support_path)
    support_name = str(support_path.relative_to(root.parent))
    for line, key, message in support_problems:
        problems.append(Problem(file=support_name, line=line, field=key or None, message=message))
    errors = [p for p in problems if p.severity == "error"]
    if errors or config is None or messages is None or support is None:
        raise ContentError(problems)
    return Content(
        intents=intents,
        config=config,
        messages=messages,
        lexicon=lexicon,
        support=support,
        warnings=tuple(problems),
        root=root,
    )
