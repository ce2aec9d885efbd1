"""The Zalo Bot platform channel (pilots, small communes): text only, numbered choices."""
