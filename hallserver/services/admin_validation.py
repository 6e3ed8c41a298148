"""Layout validation for administrators: HallConfig's own errors, worded in Chinese and
English, each naming the field (path) it is about.

The checks are the YAML file's checks: `HallConfig.model_validate` with its field rules and
its cross-reference pass (`reference_issues`). This module only words their findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from hallserver.config.models import Loc, ReferenceIssues, format_loc
from hallserver.config.wording import reason_en, reason_zh, where, zh_reason
from hallserver.domain.errors import InvalidRequest
from hallserver.domain.privacy import mask_personal


@dataclass(frozen=True)
class FieldIssue:
    """One problem of a submitted layout: where (path) and what, in both languages."""

    path: str
    where: str
    where_en: str
    message: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        """JSON form (masked: free text, even a key name, may hold a phone or ID number)."""
        return {"path": mask_personal(self.path), "where": mask_personal(self.where),
                "where_en": mask_personal(self.where_en),
                "message": mask_personal(self.message),
                "message_en": mask_personal(self.message_en)}


class LayoutInvalid(InvalidRequest):
    """A layout refused by the models; `issues` names every offending field."""

    code = "layout_invalid"

    def __init__(self, issues: list[FieldIssue]) -> None:
        first = issues[0]
        more_zh = f"（共 {len(issues)} 处）" if len(issues) > 1 else ""
        more_en = f" ({len(issues)} problems)" if len(issues) > 1 else ""
        super().__init__(
            f"布局未保存：{first.where}：{first.message}{more_zh}",
            f"layout not saved: {first.where_en}: {first.message_en}{more_en}",
        )
        self.issues = issues

    def as_dict(self) -> dict[str, Any]:
        """The problem body plus every located issue."""
        body: dict[str, Any] = dict(super().as_dict())
        body["errors"] = [i.as_dict() for i in self.issues]
        return body


def issues_of(document: Any, exc: ValidationError) -> list[FieldIssue]:
    """Every problem of a validation error, the reference checks expanded one by one."""
    out: list[FieldIssue] = []

    def add(loc: Loc, zh: str, en: str) -> None:
        w_zh, w_en = where(document, loc)
        out.append(FieldIssue(format_loc(loc), w_zh, w_en, zh, en))

    for err in exc.errors():
        loc: Loc = tuple(err["loc"])
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, ReferenceIssues):
            for sub, message in cause.issues:
                add(loc + sub, zh_reason(message), message)
            continue
        add(loc, reason_zh(err), reason_en(err))
    return out


def field_issue(document: Any, loc: Loc, zh: str, en: str) -> FieldIssue:
    """An issue found by the administration's own checks (not the models')."""
    w_zh, w_en = where(document, loc)
    return FieldIssue(format_loc(loc), w_zh, w_en, zh, en)
