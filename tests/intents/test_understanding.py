"""How the matcher reads real messages: openers, two questions, question kinds, its cache."""

import pytest

from bot.matching import build_matcher, content_version
from intents import Lexicon, Matcher, Thresholds, state_file
from intents.evaluation import EvalCase, evaluate
from intents.questions import split_questions


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("quen mat khau vneid", 1),
        ("con toi moi sinh. gio lam giay khai sinh the nao", 1),  # a story, then one question
        ("doi so dien thoai vneid khong dang nhap duoc, voi lai tra tien dien sao", 2),
        ("Làm căn cước ở đâu? Mất bao lâu thì có?", 2),
        ("vneid la gi? ?? ??", 1),  # empty parts are dropped
        ("lam can cuoc o dau, va dang ky tam tru the nao", 2),  # ", và" opens a question
        ("làm căn cước ở đâu, đăng ký tạm trú thế nào", 2),  # the first clause asked already
        ("VNeID và dịch vụ công là gì", 1),  # "và" without a comma joins one question
        ("bố tôi 72 tuổi, chiều nay có người gọi, giờ làm sao", 1),  # a story, then a question
        ("ok?", 1),
        ("", 0),
    ],
)
def test_questions_are_split_at_marks_and_connectors(content, text: str, parts: int) -> None:
    assert len(split_questions(text, content.lexicon)) == parts


def test_short_pieces_stay_with_their_question(content) -> None:
    [only] = split_questions("vneid? la gi vay", content.lexicon)
    assert "vneid" in only


def test_polite_openers_do_not_decide_the_intent(matcher: Matcher) -> None:
    """ "toi muon ..." is also how "I want to volunteer" starts: an opener changes nothing."""
    plain = matcher.match("vneid va dich vu cong")
    assert plain.action == "clarify"  # two services named, no question: which one?
    assert {"dvc.what_is", "vneid.what_is"} & {c.intent for c in plain.choices}
    for opener in ("toi muon hoi ve", "cho bác hỏi", "Tôi muốn hỏi về", "cho em hoi chut"):
        result = matcher.match(f"{opener} vneid va dich vu cong")
        assert (result.intent, result.action, result.score) == (
            plain.intent,
            plain.action,
            plain.score,
        ), opener
        assert [c.intent for c in result.choices] == [c.intent for c in plain.choices], opener


def test_an_opener_alone_leaves_nothing_to_match(content) -> None:
    from intents.normalize import normalize

    assert normalize("cho tôi hỏi", content.lexicon) == ""
    assert normalize("tôi muốn làm tình nguyện viên", content.lexicon) == (
        "toi muon lam tinh nguyen vien"  # not an opener: the whole question
    )


def test_two_questions_are_both_answered_in_order(matcher: Matcher) -> None:
    result = matcher.match(
        "đổi số điện thoại nên không đăng nhập VNeID được, "
        "với lại trả tiền điện bằng điện thoại sao"
    )
    assert result.action == "answer"
    assert result.intent == "vneid.account_issue.new_phone"
    assert result.also is not None
    assert result.also.intent == "cashless.bills"


def test_one_question_asked_twice_is_answered_once(matcher: Matcher) -> None:
    result = matcher.match("quen mat khau vneid? quen mat khau vneid thi lam sao")
    assert result.also is None


def test_question_kinds_are_read_after_normalization(content) -> None:
    kinds = content.lexicon.question_kinds
    assert kinds(["ngay", "chuyen", "doi", "so", "la", "ngay", "nao"]) == {"when"}
    assert "why" in kinds(["tai", "sao", "phai", "co", "ngay", "chuyen", "doi", "so"])
    assert kinds(["lam", "can", "cuoc", "o", "dau"]) == {"where"}
    assert kinds(["vneid"]) == frozenset()


def test_weak_guesses_are_asked_not_answered() -> None:
    intents = [
        ("a.one", ["mo tai khoan ngan hang", "mo the ngan hang"]),
        ("a.two", ["doi mat khau vneid", "quen mat khau vneid"]),
    ]
    strict = Thresholds(answer_threshold=0.99, ambiguity_gap=0.01, clarify_threshold=0.2)
    result = Matcher(intents, Lexicon.empty(), strict).match("mo tai khoan")
    assert result.action == "clarify"
    assert result.choices[0].intent == "a.one"
    never = Thresholds(answer_threshold=0.99, ambiguity_gap=0.01)  # no clarify threshold
    assert Matcher(intents, Lexicon.empty(), never).match("mo tai khoan").action == "fallback"


def test_decoys_are_never_offered_as_choices(matcher: Matcher) -> None:
    for text in ("lam ho chieu o dau", "gia vang hom nay", "ket qua xo so mien bac"):
        result = matcher.match(text)
        assert all(not c.intent.startswith("oos.") for c in result.choices), text


def test_evaluation_scores_what_citizens_get(matcher: Matcher) -> None:
    cases = [
        EvalCase("1", "quen mat khau vneid", "vneid.account_issue"),
        EvalCase("2", "xyzzy plugh qwertz", None),
        EvalCase("3", "xin chao", "nds.date"),  # answered, and wrong
        EvalCase(
            "4",
            "doi so dien thoai vneid khong dang nhap duoc, voi lai tra tien dien sao",
            "vneid.account_issue",
            also="cashless.bills",
        ),
    ]
    figures = evaluate(matcher, cases).as_dict()["experience"]
    assert figures["answered_right"] == pytest.approx(2 / 3, abs=1e-3)
    assert figures["answered_wrong_in_scope"] == pytest.approx(1 / 3, abs=1e-3)
    assert figures["declined"] == 1.0
    assert figures["wrong_answer_rate"] == 0.25
    assert figures["two_questions"] == 1
    assert figures["two_questions_both_answered"] == 1.0


def test_the_index_cache_is_used_and_renewed_when_content_changes(content, tmp_path) -> None:
    from dataclasses import replace

    content = replace(content, root=None)  # no shipped index: the cache is the only source
    cache = tmp_path / "cache"
    first = build_matcher(content, cache)
    [written] = list(cache.glob("index-*"))
    assert written.name == f"index-{content_version(content)}.bin"
    again = build_matcher(content, cache)
    assert again.keys() == first.keys()
    assert again.weights == first.weights  # the perceptron is read back, not trained again
    text = "cho bac hoi lam can cuoc o dau"
    assert again.match(text) == first.match(text)
    # A corrupt cache file is rebuilt, never trusted: not a state file, a file cut short in
    # its arrays or in its header.
    whole = written.read_bytes()
    for damaged in (b"{not json", whole[:-8], whole[:99]):
        written.write_bytes(damaged)
        rebuilt = build_matcher(content, cache)
        assert rebuilt.keys() == first.keys()
        assert rebuilt.match(text) == first.match(text)
        assert written.read_bytes() == whole  # written again
    # Another version of the content gets another file; the old one is removed.
    intent = content.intents["dvc.login"]
    changed_intent = intent.model_copy(update={"examples": [*intent.examples, "vao dvc kieu gi"]})
    changed = type(content)(
        intents={**content.intents, "dvc.login": changed_intent},
        config=content.config,
        messages=content.messages,
        lexicon=content.lexicon,
        support=content.support,
    )
    assert content_version(changed) != content_version(content)
    (cache / "index-0123456789abcdef01234567.json").write_text("{}")  # an earlier format's
    build_matcher(changed, cache)
    assert [p.name for p in cache.glob("index-*")] == [f"index-{content_version(changed)}.bin"]


def test_the_content_version_tells_every_change_of_the_texts_apart(content) -> None:
    """The texts are hashed as one string beside their lengths and each intent's count of
    examples: texts cut elsewhere, or moved to the next intent, are another version."""
    from dataclasses import replace

    first, second = list(content.intents)[:2]

    def version(examples: list[str], title: str, next_examples: list[str] | None = None) -> str:
        intents = dict(content.intents)
        intents[first] = intents[first].model_copy(update={"examples": examples, "title": title})
        if next_examples is not None:
            intents[second] = intents[second].model_copy(update={"examples": next_examples})
        return content_version(replace(content, intents=intents))

    nexts = list(content.intents[second].examples)
    versions = [
        version(["ab", "c"], "t"),
        version(["a", "bc"], "t"),
        version(["abc"], "t"),
        version(["ab"], "ct"),
        version(["ab", "c", "t"], "t"),
        version(["x", "y"], "z"),
        version(["x"], "y", ["z", *nexts]),  # the same texts in the same order, cut elsewhere
        version(["x", "y"], "z\ud800"),  # a lone surrogate is a text like any other
    ]
    assert len(set(versions)) == len(versions)
    assert version(["ab", "c"], "t") == versions[0]  # the same content, the same version
    answer = content.intents[first].model_copy(update={"answer": "another answer"})
    moved = replace(content, intents={**content.intents, first: answer})
    assert content_version(moved) == content_version(content)  # answers are not indexed


def test_the_perceptron_learns_what_tells_siblings_apart() -> None:
    from intents.perceptron import scores, train

    keyed = [
        ("team.join", ["tham gia to cong nghe so", "dang ky lam thanh vien to cong nghe so"]),
        ("team.contact", ["lien he to cong nghe so", "so dien thoai to cong nghe so o dau"]),
    ]
    weights = train(keyed)
    assert weights == train(keyed)  # deterministic: the same content gives the same model
    assert weights["tham"]["team.join"] > 0
    assert weights["lien"]["team.contact"] > 0
    found = scores(weights, ["muon", "tham", "gia", "to", "cong", "nghe", "so"])
    assert max(found, key=lambda intent: found[intent]) == "team.join"


def test_the_perceptron_nudge_can_be_switched_off(content) -> None:
    from intents import Tuning

    keyed = [(i.id, list(i.examples)) for i in content.intents.values()][:5]
    plain = Matcher(keyed, content.lexicon, tuning=Tuning(perceptron_weight=0.0))
    assert plain.weights == {}
    learned = Matcher(keyed, content.lexicon)
    assert {intent for weights in learned.weights.values() for intent in weights} == {
        intent for intent, _ in keyed
    }


def test_the_shipped_index_matches_the_shipped_content(content) -> None:
    """A fresh installation starts quickly only if the shipped index was built from this
    content: after editing content/, run `trolyso content index` (or `make index`)."""
    import gzip

    from bot.matching import SHIPPED_INDEX

    assert content.root is not None
    with gzip.open(content.root / SHIPPED_INDEX, "rb") as stream:
        shipped = state_file.read(stream)
    assert shipped["version"] == content_version(content), "run: trolyso content index"
    assert {intent for intent, _ in shipped["intents"]} == set(content.intents)


def test_a_stale_or_broken_shipped_index_is_never_used(content, tmp_path) -> None:
    import gzip
    import shutil

    from bot.matching import SHIPPED_INDEX

    root = tmp_path / "content"
    shutil.copytree(content.root, root)
    stale = {"version": "0" * 24, "intents": [["dvc.login", ["nonsense"]]], "weights": {}}
    (root / SHIPPED_INDEX).write_bytes(gzip.compress(state_file.dumps(stale)))
    from content import load_content

    copy = load_content(root)
    matcher = build_matcher(copy, tmp_path / "cache")
    assert len(matcher.keys()) == len(copy.intents)  # rebuilt from the content itself
    shipped = (content.root / SHIPPED_INDEX).read_bytes()  # the real one, gzipped
    # A damaged deflate stream (zlib.error), not a truncated file.
    flipped = shipped[:1000] + bytes([shipped[1000] ^ 0xFF]) + shipped[1001:]
    for n, damaged in enumerate([b"not gzip", shipped[:-20], shipped[:40], flipped, shipped]):
        (root / SHIPPED_INDEX).write_bytes(damaged)
        rebuilt = build_matcher(load_content(root), tmp_path / f"other{n}")
        assert len(rebuilt.keys()) == len(copy.intents)
        # Built again (and cached) unless the shipped index was whole.
        assert bool(list((tmp_path / f"other{n}").glob("index-*.bin"))) == (damaged != shipped)
