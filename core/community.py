"""Community-pass guidance: how riders of a district get into residential compounds."""

from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from core.models import PassGuide


def pass_guide(session: Session, district: str) -> Optional[PassGuide]:
    return session.get(PassGuide, district)
