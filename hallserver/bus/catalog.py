"""The service catalog (一次性告知) a kiosk or terminal shows: built from the current layout."""

from __future__ import annotations

from devices.protocol import messages as m
from hallserver.config.models import HallConfig, I18nText


def _text(value: I18nText) -> m.Text:
    return m.Text(zh=value.zh[:200], en=value.en[:200])


def service_catalog(cfg: HallConfig, version: int, request_id: str) -> m.ServiceCatalog:
    """Every category with its zone, windows and items, at layout `version`."""
    categories = []
    for c in cfg.categories:
        zone = cfg.zone(c.zone)
        items = [m.CatalogItem(
            code=i.code, name=_text(i.name), promised_limit_days=i.promised_limit_days,
            legal_limit_days=i.legal_limit_days, promised_unit=i.promised_unit.value,
            legal_unit=i.legal_unit.value,
            materials=[m.CatalogMaterial(name=x.name[:200], original=x.original,
                                         copies=x.copies,
                                         note=x.note[:200] if x.note else None)
                       for x in i.materials],
            fee_yuan=i.fee.amount_yuan, fee_note=i.fee.note[:200] if i.fee.note else None,
            expected_minutes=i.expected_minutes)
            for i in cfg.items if i.category == c.code]
        categories.append(m.CatalogCategory(
            code=c.code, prefix=c.prefix, name=_text(c.name), zone=zone.id,
            zone_name=_text(zone.name), floor=zone.floor,
            windows=[w.number for w in cfg.windows_serving(c.code)], items=items))
    return m.ServiceCatalog(request_id=request_id, version=version,
                            hall_name=_text(cfg.hall.name), categories=categories)
