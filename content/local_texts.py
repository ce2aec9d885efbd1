"""The {names} of the support texts for a citizen's commune, local details and help days.

Joined into `content.support_texts.FIELDS`: the texts live in content/support.yaml with the
rest, checked the same way (a missing key or an unknown {name} is reported with its line).
"""

from __future__ import annotations

__all__ = ["LOCAL_FIELDS"]

_NONE: frozenset[str] = frozenset()

LOCAL_FIELDS: dict[str, frozenset[str]] = {
    # the citizen's own commune
    "home_commune_ask": _NONE,
    "home_commune_is": frozenset({"commune"}),
    "home_commune_saved": frozenset({"commune"}),
    "home_commune_which": _NONE,
    "home_commune_unknown": _NONE,
    "home_commune_change_button": _NONE,
    "home_commune_choose_button": _NONE,
    "data_commune": frozenset({"commune"}),
    # local details
    "local_heading": frozenset({"commune"}),
    "local_desk": frozenset({"value"}),
    "local_hours": frozenset({"value"}),
    "local_contact": frozenset({"value"}),
    "local_note": frozenset({"value"}),
    "local_needs_commune": _NONE,
    "local_form_commune": _NONE,
    "local_form_province_button": frozenset({"province"}),
    "local_form_place_typed": _NONE,
    "local_form_desk": frozenset({"current"}),
    "local_form_hours": frozenset({"current"}),
    "local_form_contact": frozenset({"current"}),
    "local_form_note": frozenset({"current"}),
    "local_form_empty": _NONE,
    "local_form_keep_button": _NONE,
    "local_form_clear_button": _NONE,
    "local_form_saved": frozenset({"place"}),
    "local_form_no_communes": _NONE,
    "local_not_yours": frozenset({"commune"}),
    "menu_diaphuong": _NONE,
    # help days
    "helpdays_heading": frozenset({"commune"}),
    "helpdays_nearby_heading": frozenset({"province"}),
    "helpday_line": frozenset({"day", "time", "place", "commune", "topics", "note"}),
    "helpdays_none": frozenset({"commune"}),
    "helpday_remind_button": frozenset({"day"}),
    "helpday_remind_ok": frozenset({"day", "place"}),
    "helpday_remind_again": frozenset({"day"}),
    "helpday_remind_today": frozenset({"day", "place"}),
    "helpday_remind_gone": _NONE,
    "helpday_reminder": frozenset({"day", "time", "place", "commune", "topics", "note"}),
    "helpday_cancelled_notice": frozenset({"day", "time", "place", "commune"}),
    "helpday_offer_intro": _NONE,
    "helpdays_manage_heading": _NONE,
    "helpdays_manage_none": _NONE,
    "helpday_new_button": _NONE,
    "helpday_cancel_button": frozenset({"day"}),
    "helpday_form_commune": _NONE,
    "helpday_form_day": _NONE,
    "helpday_form_day_again": _NONE,
    "helpday_form_time": _NONE,
    "helpday_form_time_again": _NONE,
    "helpday_form_place": _NONE,
    "helpday_form_topics": _NONE,
    "helpday_form_topics_again": _NONE,
    "helpday_form_note": _NONE,
    "helpday_saved": frozenset({"day", "time", "place", "commune"}),
    "helpday_cancelled": frozenset({"day", "told"}),
    "helpday_not_found": _NONE,
    "helpday_not_yours": _NONE,
    "menu_sukien": _NONE,
}
