"""Official answers inside a support session: a volunteer's `/gui` (issue 15)."""
