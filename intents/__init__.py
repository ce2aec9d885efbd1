"""Vietnamese text normalization and intent matching (no I/O, no channel, no database)."""

from intents.lexicon import Lexicon
from intents.matcher import Candidate, Matcher, MatchResult, Thresholds, Tuning
from intents.normalize import fold, normalize, normalize_tokens
from intents.tones import unify_tones

__all__ = [
    "Candidate",
    "Lexicon",
    "MatchResult",
    "Matcher",
    "Thresholds",
    "Tuning",
    "fold",
    "normalize",
    "normalize_tokens",
    "unify_tones",
]
