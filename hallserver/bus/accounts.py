"""Broker accounts and the ACL each one gets.

A device's MQTT username is its device id (unique within a hall); the hall server logs in with
its own account (username `hallserver`). Every broker we run or configure (the embedded amqtt
broker, Mosquitto) enforces exactly the rules of `devices.protocol.topics.device_acl` and
`server_acl`: nothing here invents a rule.

Passwords are never logged: `BrokerAccount` keeps the password out of its repr.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from devices.protocol.topics import ID_PATTERN, AclRule, device_acl, server_acl, valid_id

Role = Literal["device", "server"]
ROLES: tuple[Role, ...] = ("device", "server")
SERVER_USERNAME = "hallserver"
"""The username the hall server logs in with."""
USERNAME_PLACEHOLDER = "%u"
"""Where an ACL pattern puts the username (Mosquitto's `pattern` syntax)."""


class AccountError(ValueError):
    """An account list the brokers cannot enforce (bad username, duplicate, no password)."""


@dataclass(frozen=True)
class BrokerAccount:
    """One broker login. For a device, `username` is its device id."""

    username: str
    password: str = field(repr=False)
    role: Role = "device"

    def __post_init__(self) -> None:
        # The username is substituted into ACL patterns and used as the client id, so it must
        # be a plain id: no `/`, `+`, `#`, `:` or spaces that could widen a rule.
        if not valid_id(self.username):
            raise AccountError(f"broker username {self.username[:40]!r} must match {ID_PATTERN}")
        if self.role not in ROLES:
            raise AccountError(f"account {self.username!r}: role must be one of {ROLES}")
        if not self.password:
            raise AccountError(f"account {self.username!r} has an empty password")
        if any(ch in self.password for ch in "\r\n\x00"):
            raise AccountError(f"account {self.username!r}: password contains a line break or NUL")
        if self.role == "device" and self.username == SERVER_USERNAME:
            raise AccountError(f"a device cannot use the server's username {SERVER_USERNAME!r}")


def acl_for(account: BrokerAccount, hall: str) -> list[AclRule]:
    """The ACL of one account in `hall`, with `%u` replaced by the account's username."""
    if account.role == "server":
        return server_acl(hall)
    return [
        AclRule(rule.access, rule.pattern.replace(USERNAME_PLACEHOLDER, account.username))
        for rule in device_acl(hall)
    ]


def check_accounts(accounts: Iterable[BrokerAccount]) -> tuple[BrokerAccount, ...]:
    """The accounts as a tuple; raises AccountError on a duplicate username."""
    result = tuple(accounts)
    seen: set[str] = set()
    for account in result:
        if not isinstance(account, BrokerAccount):
            raise AccountError(f"not a BrokerAccount: {type(account).__name__}")
        if account.username in seen:
            raise AccountError(f"duplicate broker username {account.username!r}")
        seen.add(account.username)
    return result
