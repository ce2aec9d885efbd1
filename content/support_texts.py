"""The support texts (`content/support.yaml`): every key the bot needs, checked at start-up.

Operators edit the sentences; the bot fills in the {names}. A missing key, an unknown {name}
or a broken brace is reported with the file and line, so a typo never reaches a citizen as
a crash in the middle of a help session.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from content.local_texts import LOCAL_FIELDS

__all__ = ["FIELDS", "SupportTexts", "load_support_texts"]

_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available

# key -> the {names} the bot fills in; a text may use fewer, never others.
FIELDS: dict[str, frozenset[str]] = {
    "cancel_button": frozenset(),
    "cancel_request_button": frozenset(),
    "skip_button": frozenset(),
    "done_button": frozenset(),
    "menu_button": frozenset(),
    "claim_button": frozenset(),
    "end_button": frozenset(),
    "release_button": frozenset(),
    "consent_yes_button": frozenset(),
    "consent_no_button": frozenset(),
    "place_not_this_button": frozenset(),
    "callback_button": frozenset(),
    "ask_again_button": frozenset(),
    "queue_button": frozenset(),
    "duty_on_button": frozenset(),
    "duty_off_button": frozenset(),
    "delete_data_button": frozenset(),
    "delete_confirm_button": frozenset(),
    "field_log_another_button": frozenset(),
    "today_button": frozenset(),
    "yesterday_button": frozenset(),
    "intake_intro": frozenset(),
    "intake_topic_again": frozenset(),
    "intake_already_open": frozenset({"ref"}),
    "intake_already_active": frozenset({"ref"}),
    "intake_place": frozenset(),
    "intake_place_retry": frozenset(),
    "intake_place_confirm": frozenset({"place"}),
    "intake_place_ok": frozenset({"place"}),
    "intake_place_which": frozenset(),
    "intake_place_which_province": frozenset(),
    "intake_place_unknown": frozenset(),
    "intake_place_give_up": frozenset(),
    "intake_description": frozenset(),
    "intake_mode": frozenset(),
    "intake_consent": frozenset({"days"}),
    "intake_consent_for_call": frozenset({"days"}),
    "intake_phone": frozenset(),
    "intake_phone_again": frozenset(),
    "intake_phone_mode_changed": frozenset(),
    "secret_warning_short": frozenset(),
    "expired_button": frozenset(),
    "form_stopped": frozenset(),
    "request_opened": frozenset({"ref"}),
    "request_opened_nobody_on_duty": frozenset({"ref"}),
    "request_opened_no_team": frozenset({"ref"}),
    "request_opened_nobody": frozenset({"ref"}),
    "request_not_found": frozenset({"ref"}),
    "request_cancelled": frozenset({"ref"}),
    "request_summary_head": frozenset({"name", "ref"}),
    "request_summary_topic": frozenset({"topic"}),
    "request_summary_place": frozenset({"place"}),
    "request_summary_mode": frozenset({"mode"}),
    "request_summary_description": frozenset({"text"}),
    "request_summary_phone": frozenset({"phone"}),
    "nothing_to_cancel": frozenset(),
    "no_session": frozenset(),
    "claim_notice": frozenset(),
    "escalation_notice": frozenset(),
    "claim_taken_notice": frozenset({"ref"}),
    "claim_cancelled_notice": frozenset({"ref"}),
    "claim_closed_notice": frozenset({"ref"}),
    "claim_already_taken": frozenset({"ref"}),
    "claim_closed": frozenset({"ref"}),
    "claim_not_your_commune": frozenset(),
    "claim_too_many": frozenset({"limit"}),
    "claim_won": frozenset(),
    "citizen_claimed": frozenset({"name", "ref"}),
    "relay_to_volunteer": frozenset({"name", "ref", "text"}),
    "relay_to_citizen": frozenset({"name", "text"}),
    "volunteer_default_name": frozenset(),
    "ended_by_citizen": frozenset({"ref"}),
    "idle_closed": frozenset({"ref"}),
    "outcome_prompt": frozenset({"ref"}),
    "outcome_session_still_open": frozenset(),
    "services_prompt": frozenset(),
    "outcome_saved": frozenset(),
    "not_your_session": frozenset(),
    "released": frozenset({"ref"}),
    "citizen_released": frozenset(),
    "transfer_usage": frozenset(),
    "transfer_unknown": frozenset({"handle"}),
    "transfer_not_allowed": frozenset({"handle"}),
    "transfer_busy": frozenset({"handle"}),
    "transfer_received": frozenset(),
    "transferred": frozenset({"handle", "ref"}),
    "citizen_transferred": frozenset({"name"}),
    "sessions_none": frozenset(),
    "sessions_list": frozenset({"count"}),
    "session_focus": frozenset({"name", "ref"}),
    "session_not_yours": frozenset(),
    "rating_prompt": frozenset({"ref"}),
    "rating_thanks_ask_comment": frozenset(),
    "rating_done": frozenset(),
    "rating_already": frozenset(),
    "rating_too_early": frozenset(),
    "citizen_unclaimed": frozenset({"ref"}),
    "callback_needs_phone": frozenset(),
    "callback_queued": frozenset({"ref"}),
    "not_allowed": frozenset(),
    "unknown_command": frozenset({"command"}),
    "whoami": frozenset({"handle", "role"}),
    "whoami_team": frozenset({"team"}),
    "whoami_volunteer": frozenset({"communes", "duty", "limit", "skills"}),
    "duty_on": frozenset(),
    "duty_off": frozenset(),
    "none_yet": frozenset(),
    "all_skills": frozenset(),
    "join_usage": frozenset(),
    "invite_unknown": frozenset(),
    "invite_expired": frozenset(),
    "invite_used_up": frozenset(),
    "join_already": frozenset({"team"}),
    "joined": frozenset({"handle", "team"}),
    "duty_needs_commune": frozenset(),
    "duty_now_on": frozenset({"waiting"}),
    "duty_now_off": frozenset(),
    "duty_usage": frozenset(),
    "skills_list": frozenset(),
    "skills_none": frozenset(),
    "skills_unknown": frozenset(),
    "max_sessions_usage": frozenset({"limit"}),
    "max_sessions_set": frozenset({"limit"}),
    "communes_list": frozenset({"communes"}),
    "commune_which": frozenset(),
    "commune_unknown": frozenset(),
    "queue_empty": frozenset(),
    "queue_head": frozenset({"count"}),
    "invite_no_team": frozenset(),
    "invite_usage": frozenset({"max_uses"}),
    "code_locked": frozenset({"minutes"}),
    "commune_not_yours": frozenset({"commune"}),
    "invite_created": frozenset({"code", "days", "team", "uses"}),
    "make_leader_usage": frozenset(),
    "make_leader_which_commune": frozenset({"candidates"}),
    "team_default_name": frozenset({"place"}),
    "leader_made": frozenset({"handle", "team"}),
    "you_are_leader": frozenset({"team"}),
    "role_revoked": frozenset({"handle"}),
    "report_usage": frozenset(),
    "report_ready": frozenset({"start", "end", "requests", "citizens"}),
    "report_unavailable": frozenset(),
    "field_log_day": frozenset(),
    "field_log_day_again": frozenset({"first"}),
    "field_log_commune": frozenset(),
    "field_log_place": frozenset(),
    "field_log_services": frozenset(),
    "field_log_services_again": frozenset(),
    "field_log_count": frozenset(),
    "field_log_count_again": frozenset({"most"}),
    "field_log_duration": frozenset(),
    "field_log_duration_again": frozenset({"most"}),
    "field_log_notes": frozenset(),
    "field_log_saved": frozenset({"count", "day", "place", "services"}),
    "data_head": frozenset({"channels", "handle", "role", "since"}),
    "data_request": frozenset({"phone", "ref", "status", "topic"}),
    "data_no_phone": frozenset(),
    "data_tail": frozenset({"messages", "requests"}),
    "delete_confirm": frozenset(),
    "delete_done": frozenset(),
    "link_code": frozenset({"code"}),
    "link_code_invalid": frozenset(),
    "link_same_person": frozenset(),
    "link_done": frozenset({"handle"}),
    "link_waiting": frozenset(),
    "link_confirm_prompt": frozenset({"channel"}),
    "link_confirm_button": frozenset(),
    "link_refuse_button": frozenset(),
    "link_confirmed": frozenset({"channel"}),
    "link_refused": frozenset(),
    "link_declined": frozenset(),
    "help_citizen": frozenset(),
    "help_volunteer": frozenset(),
    "help_leader": frozenset(),
    "help_operator": frozenset(),
    "share_phone_button": frozenset(),
    "contact_not_needed": frozenset(),
    "location_not_needed": frozenset(),
    "location_suggest": frozenset(),
    "location_unknown": frozenset(),
    "location_no_map": frozenset(),
    "undeliverable_blocked": frozenset(),
    "undeliverable_window": frozenset(),
    "undeliverable_quota": frozenset(),
    "undeliverable_other": frozenset(),
    "error_apology": frozenset(),
    "assign_usage": frozenset(),
    "assign_not_volunteer": frozenset({"handle"}),
    "assign_not_your_team": frozenset({"handle"}),
    "assign_other_province": frozenset({"commune"}),
    "commune_assigned": frozenset({"handle", "commune"}),
    "commune_assigned_notice": frozenset({"commune"}),
    "commune_unassigned": frozenset({"handle", "code"}),
    "menu_giaoxa": frozenset(),
    "message_given_up": frozenset(),
    "channel_token_failed": frozenset({"channel", "reason"}),
    "deliveries_given_up": frozenset({"channel", "count"}),
    "menu_start": frozenset(),
    "menu_menu": frozenset(),
    "menu_gapnguoi": frozenset(),
    "menu_huy": frozenset(),
    "menu_ketthuc": frozenset(),
    "menu_dulieu": frozenset(),
    "menu_xoadulieu": frozenset(),
    "menu_trogiup": frozenset(),
    "menu_truc": frozenset(),
    "menu_hangdoi": frozenset(),
    "menu_nhan": frozenset(),
    "menu_phien": frozenset(),
    "menu_tra": frozenset(),
    "menu_ghinhan": frozenset(),
    "menu_kynang": frozenset(),
    "menu_xa": frozenset(),
    "menu_moi": frozenset(),
    "menu_baocao": frozenset(),
    "menu_totruong": frozenset(),
    "menu_thuhoi": frozenset(),
    "more_choices": frozenset(),
    "choose_by_number": frozenset(),
    "zalo_attachment_elsewhere": frozenset(),
    "console_link": frozenset({"minutes", "url"}),
    "console_refused": frozenset(),
    "console_unavailable": frozenset(),
    "menu_dangnhap": frozenset(),
    **LOCAL_FIELDS,  # issue 15: the citizen's commune, local details, help days
    # News of the citizen's commune and campaign messages (bot/features/campaigns).
    "menu_nhantin": frozenset(),
    "menu_tatnhantin": frozenset(),
    "subscribe_ask_place": frozenset(),
    "subscribe_place_which": frozenset(),
    "subscribe_place_unknown": frozenset(),
    "subscribe_place_give_up": frozenset(),
    "subscribe_done": frozenset({"place"}),
    "unsubscribe_done": frozenset(),
    "unsubscribe_none": frozenset(),
    "data_subscription": frozenset({"place", "since"}),
    "campaign_footer": frozenset(),
    "campaign_stop_button": frozenset(),
    "campaign_intent_button": frozenset(),
    "campaign_not_allowed": frozenset(),
    "campaign_unknown_province": frozenset({"name"}),
    "campaign_unknown_commune": frozenset({"name"}),
    "campaign_empty": frozenset(),
    "campaign_too_long": frozenset({"length", "limit"}),
    "campaign_not_yours": frozenset({"place"}),
    "campaign_not_found": frozenset({"id"}),
    "campaign_already_started": frozenset({"id"}),
    "campaign_wrong_state": frozenset({"id"}),
    "campaign_daily_limit": frozenset(),
    "menu_guitin": frozenset(),
    "campaign_chat_usage": frozenset(),
    "campaign_chat_use_console": frozenset(),
    "campaign_chat_draft": frozenset({"id", "preview"}),
    "campaign_chat_send_button": frozenset(),
    "campaign_chat_cancel_button": frozenset(),
    "campaign_chat_started": frozenset({"count", "id"}),
    "campaign_chat_cancelled": frozenset({"id"}),
    # Official answers in a support session (bot/features/official).
    "menu_gui": frozenset(),
    "official_no_session": frozenset(),
    "official_usage": frozenset(),
    "official_nothing": frozenset({"query"}),
    "official_choose": frozenset({"query"}),
    "official_citizen_gone": frozenset(),
    "official_head": frozenset({"name"}),
    "official_sent": frozenset({"ref", "title"}),
}


class SupportTexts:
    """Formats a text by key: `texts("request_opened", ref="HT-7K4P")`."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = dict(texts)

    def __call__(self, key: str, **values: Any) -> str:
        text = self._texts[key]
        return text.format(**values) if values else text

    def __contains__(self, key: str) -> bool:
        return key in self._texts


def _load(source: str) -> Any:
    """The data of the YAML text, parsed with libyaml when available (~20x faster than the
    pure-Python parser: the file is read at every start). On an error, the pure-Python parser
    parses it again, for its messages (what operators are shown, and tests expect)."""
    try:
        return yaml.load(source, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        if _FAST_LOADER is yaml.SafeLoader:
            raise
        return yaml.safe_load(source)


def _line_of(source: str, key: str) -> int | None:
    for number, line in enumerate(source.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return None


def check_support_texts(
    path: Path,
) -> tuple[SupportTexts | None, list[tuple[int | None, str, str]]]:
    """Parse and check the file; problems are (line, key, message)."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [(None, "", "file is missing")]
    except UnicodeDecodeError as error:
        return None, [(None, "", f"not UTF-8 text: {error}")]
    try:
        data = _load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return None, [(mark.line + 1 if mark else None, "", f"not valid YAML: {error}")]
    if not isinstance(data, dict):
        return None, [(1, "", "expected a mapping of key: text")]
    problems: list[tuple[int | None, str, str]] = []
    for key in FIELDS:
        if key not in data:
            problems.append((None, key, "missing text"))
    for key, text in data.items():
        if key not in FIELDS:
            message = "unknown key (not used by the bot)"
            problems.append((_line_of(source, str(key)), str(key), message))
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append((_line_of(source, key), key, "must be a non-empty text"))
            continue
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        except ValueError as error:
            message = f"broken braces: {error}; write {{{{ }}}} for a brace"
            problems.append((_line_of(source, key), key, message))
            continue
        unknown = names - FIELDS[key]
        if unknown:
            allowed = ", ".join(sorted(FIELDS[key])) or "none"
            message = f"unknown {{{', '.join(sorted(unknown))}}}; allowed: {allowed}"
            problems.append((_line_of(source, key), key, message))
    texts = SupportTexts({str(k): str(v) for k, v in data.items()}) if not problems else None
    return texts, problems


def load_support_texts(path: Path) -> SupportTexts:
    """Load the texts or raise ValueError listing every problem with its line."""
    texts, problems = check_support_texts(path)
    if texts is None:
        lines = [
            f"{path}:{line or '?'}: {key + ': ' if key else ''}{message}"
            for line, key, message in problems
        ]
        raise ValueError("\n".join(lines))
    return texts
