"""Export the JSON Schema of device files into `firmware_configs/schema/`.

One file per device type (`kiosk.schema.json`, ...) and `device.schema.json` for any
device. A test compares the committed files with a fresh export, so they never go stale:
after changing a model, run `hallserver devices schema`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from devices.config.models import MODELS, DeviceUnion

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
COMBINED = "device.schema.json"


def _document(schema: dict[str, Any], title: str) -> str:
    doc = {"$schema": JSON_SCHEMA_DIALECT, **schema, "title": title}
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def schema_files() -> dict[str, str]:
    """File name -> JSON text of every exported schema."""
    files = {
        f"{device_type.value}.schema.json": _document(
            model.model_json_schema(), f"OneWindow {device_type.value} device file")
        for device_type, model in MODELS.items()
    }
    files[COMBINED] = _document(TypeAdapter(DeviceUnion).json_schema(),
                                "OneWindow device file (any type, chosen by `type`)")
    return files


def export_schemas(outdir: Path) -> list[Path]:
    """Write every schema file into `outdir`; returns the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_files().items():
        path = outdir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
