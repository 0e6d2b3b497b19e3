"""One row per lease, in the tracker database that every worker shares."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, UTCDateTime


class Lease(Base):
    """A named piece of work and who holds it until when.

    A holder renews its lease while it works; a holder that died stops renewing, and the
    lease lapses at `expires_at` for another worker to take. A lease with `done_at` marks work
    done once for good (a day's brief).
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(160), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(160))
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
