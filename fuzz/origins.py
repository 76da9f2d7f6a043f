"""Whose code a source path from a fuzz binary's symbols is: medprep's own (by its place
in the repository, wherever that was checked out), a registry crate's, or the standard
library's. Shared by coverage.py and new_lines.py."""

from __future__ import annotations

import re


def origin(path: str) -> str:
    """medprep's crates by folder, dependencies by crate name, the rest by kind."""
    registry = re.search(r"/registry/src/[^/]+/([^/]+?)-\d[^/]*/", path)
    if registry:
        return registry.group(1)
    if path.startswith("/rustc/"):
        return "std"
    ours = re.search(r"/(core|streaming|python|fuzz)/(src|fuzz_targets)/", path)
    if ours:
        return f"medprep: {ours.group(1)}/"
    return "other"


def medprep_file(path: str) -> str | None:
    """`core/src/decode/pixels.rs` for a file of medprep's, None for anyone else's (the
    standard library's `/rustc/.../library/core/src/...` included)."""
    if not origin(path).startswith("medprep"):
        return None
    ours = re.search(r"/((?:core|streaming|python|fuzz)/(?:src|fuzz_targets)/.*)$", path)
    return ours.group(1) if ours else None
