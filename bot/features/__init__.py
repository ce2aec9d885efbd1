"""One folder per feature: its rules, its texts and its console pages (see style.md §11)."""
