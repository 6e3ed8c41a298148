"""Typed domain errors; adapters map them to HTTP statuses and MQTT refusals."""

from __future__ import annotations

from hallserver.domain.privacy import mask_personal


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain_error"

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en

    def as_dict(self) -> dict[str, str]:
        """A problem body safe to show: code and messages, personal data masked (a citizen
        may type an ID-card or phone number into any field that ends up in a message)."""
        return {"code": self.code, "message": mask_personal(self.message_zh),
                "message_en": mask_personal(self.message_en)}


# Chinese words for the states and actions named in IllegalTransition messages.
STATE_ZH = {
    "waiting": "等候中", "called": "已叫号", "serving": "办理中", "done": "已办结",
    "no_show": "已过号", "cancelled": "已取消",
    "open": "服务中", "paused": "暂停服务", "away": "离岗", "closed": "未签到",
}
ACTION_ZH = {
    "call": "叫号", "call next": "叫号", "recall": "重呼", "start": "开始办理",
    "complete": "办结", "no-show": "过号", "rejoin": "过号重排", "requeue": "退回队列",
    "transfer": "转移", "pause": "暂停", "away": "离岗", "resume": "恢复服务",
    "sign out": "签退", "cancel": "取消",
}


class IllegalTransition(DomainError):
    """An action that the current state of a ticket or window does not allow."""

    code = "illegal_transition"

    def __init__(self, subject: str, state: str, action: str, state_zh: str | None = None,
                 subject_en: str | None = None) -> None:
        zh_state = state_zh or STATE_ZH.get(state, state)
        super().__init__(
            f"{subject}当前{zh_state}，不能{ACTION_ZH.get(action, action)}",
            f"{subject_en or subject} is {state}; cannot {action}",
        )
        self.subject = subject
        self.state = state
        self.action = action


class Refused(DomainError):
    """A ticket request the hall cannot accept now, with the reason for the citizen."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh, message_en)
        self.code = code


class TooMany(DomainError):
    """Too many attempts: try again after `retry_after_s` seconds (HTTP 429)."""

    code = "too_many"

    def __init__(self, message_zh: str, message_en: str, retry_after_s: int) -> None:
        super().__init__(message_zh, message_en)
        self.retry_after_s = max(1, retry_after_s)


class NotAllowed(DomainError):
    """A staff action refused by the A/B roster or window ownership rules."""

    code = "not_allowed"


class NotFound(DomainError):
    """No such ticket, window, category or item."""

    code = "not_found"


class InvalidRequest(DomainError):
    """A request that contradicts the layout (unknown category, item of another category)."""

    code = "invalid_request"


class IdempotencyConflict(DomainError):
    """An Idempotency-Key reused with a different request body."""

    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "同一个 Idempotency-Key 不能用于不同的取号请求",
            "this Idempotency-Key was used with a different request body",
        )


class Conflict(DomainError):
    """An action that clashes with the current state (a ticket still open, a window held)."""

    code = "conflict"
