"""The base of every device config model, and the small types the models share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from devices.protocol.topics import ID_PATTERN

SCHEMA_VERSION = 1
MIN_PASSWORD = 8
SERVER_ACCOUNT = "hallserver"  # broker user name of the hall server itself

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
WindowNumber = Annotated[int, Field(ge=1, le=999)]
Language = Literal["zh", "en"]


class ConfigBase(BaseModel):
    """Base of every device config model: unknown keys are errors, values are immutable.

    Inputs are hidden in validation errors because a value may come from `!secret`.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, hide_input_in_errors=True,
    )

    # Keys that were removed or renamed, with the migration hint shown instead of
    # "unknown key" (ESPHome habit: an old file says what to change).
    removed_keys: ClassVar[Mapping[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _migrations(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, hint in cls.removed_keys.items():
                if key in data:
                    raise PydanticCustomError(
                        "removed_key", "'{key}' is not a setting: {hint}",
                        {"key": key, "hint": hint},
                    )
        return data


class Text(ConfigBase):
    """A label: Chinese first, English alongside."""

    zh: str = Field(min_length=1, max_length=120, description="Chinese text (shown first)")
    en: str = Field(min_length=1, max_length=120, description="English text (shown alongside)")
