"""The hourly look at every running A/B test (`rq cron`): what the readout says now, kept.

Each look stores every variant's best evidence against A so far (test.peaks), so the
always-valid p-value is the best over the looks and a winner, once clear, stays clear
however the numbers move after (app.analytics.ab_readout). The first look that finds a clear
winner or loser notes when (clear_at). A test set to stop by itself (auto_stop) stops at the
first look that finds one clear and every variant with at least min_presaves pre-savers; the
winner is still staff's to choose.
"""
import logging
import math

from sqlalchemy import select

from app.analytics import ab_report
from app.extensions import db
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.models import AbTest
from app.models.ab_test import RUNNING
from app.releases import ab_tests

QUEUE = "default"
EVERY = 3600  # seconds between two looks
log = logging.getLogger(__name__)


@tenant_job
def look_all(label_id=None):
    """Look at every running test once; counts."""
    running = db.session.scalars(select(AbTest).where(AbTest.state == RUNNING)
                                 .order_by(AbTest.id)).all()
    stopped = sum(look(test) for test in running)
    return {"looked": len(running), "stopped": stopped}


def look(test, now=None):
    """One look at ``test``: its peaks kept, a clear result noted; True when it stopped."""
    now = now or now_utc()
    arms, readout = ab_report.numbers(test.release, test)
    test.peaks = {c.variant: c.evidence for c in readout if math.isfinite(c.evidence)}
    test.looked_at = now
    clear = [c for c in readout if c.verdict != "not yet"]
    if clear and test.clear_at is None:
        test.clear_at = now
    enough = all(arm["presavers"] >= test.min_presaves for arm in arms)
    if test.auto_stop and clear and enough:
        ab_tests.stop(test.release)
        log.info("A/B test %s stopped by itself: %s", test.id,
                 ", ".join(f"{c.variant} {c.verdict}" for c in clear))
        return True
    return False
