"""Operator-edited FAQ content: the YAML files in this folder, their schema and their loader."""

from content.loader import Content, ContentError, Problem, default_content_dir, load_content

__all__ = ["Content", "ContentError", "Problem", "default_content_dir", "load_content"]
