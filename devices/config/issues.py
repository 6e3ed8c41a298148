"""Turn pydantic errors on device files into issues located by file, line and key path."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from hallserver.config.loader import ConfigIssue, LineMap, line_of

Loc = tuple[str | int, ...]


def dotted(loc: Loc) -> str:
    """Render a data path as `a.b[0].c`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def data_loc(data: Any, loc: Loc) -> Loc:
    """Map a pydantic location onto the file's data: drop union tags and member names."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict):
            if part in node:
                out.append(part)
                node = node[part]
            elif part not in node.values():  # a discriminator tag is not a key: skip it
                out.append(part)  # a missing or unknown key: the path ends here
                break
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        else:
            break  # a scalar: the rest names union members, not keys
    return tuple(out)


def validation_issues(file: str, lines: LineMap, data: Any,
                      exc: ValidationError) -> list[ConfigIssue]:
    """Located issues of a ValidationError; errors at the same key are merged into one."""
    merged: dict[Loc, list[str]] = {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = data_loc(data, tuple(err["loc"]))
        ctx = err.get("ctx") or {}
        kind = err["type"]
        msg = err["msg"].removeprefix("Value error, ")
        if kind == "removed_key":
            loc = (*loc, str(ctx["key"]))
        elif kind == "extra_forbidden":
            msg = "unknown key (not in the schema; check spelling)"
        elif kind == "missing":
            msg = "required key is missing"
        elif kind in {"union_tag_invalid", "union_tag_not_found"}:
            key = str(ctx["discriminator"]).strip("'")
            loc = (*loc, key)
            msg = (f"unknown {key} {ctx['tag']!r}: expected one of {ctx['expected_tags']}"
                   if kind == "union_tag_invalid" else "required key is missing")
        msgs = merged.setdefault(loc, [])
        if msg not in msgs:
            msgs.append(msg)
    return [ConfigIssue(file, line_of(lines, loc), dotted(loc), " or ".join(msgs))
            for loc, msgs in merged.items()]
