"""The custom domains' re-checks (`rq cron`): every proven or serving domain once a day, so one
whose records were taken away stops serving after app.domains.verify.GRACE; and every pending
domain of the last NEW_DAYS each hour, so a label that has just set its records is proven
without pressing "Check now". Each domain is checked and committed in a job context of its
own: one failing keeps no other from its check; the job fails afterwards, naming it."""
import logging
from datetime import timedelta

from sqlalchemy import select

from app.domains import verify
from app.extensions import db
from app.jobs.runtime import job_context
from app.localtime import now_utc
from app.models import CustomDomain
from app.models.domain import ACTIVE, PENDING, VERIFIED

QUEUE = "default"
DAILY = "29 4 * * *"   # UTC: away from the retention run and the email tools' reconcile
HOURLY = "11 * * * *"
NEW_DAYS = 7
TIMEOUT = 3600  # each domain can take two checks' timeouts (app.domains.verify.TIMEOUT)
ACTOR = "domain_check"
log = logging.getLogger(__name__)


def recheck_proven(label_id=None):
    """Every verified or active domain (of one label, or all); {hostname: found}."""
    return _recheck(label_id, CustomDomain.state.in_((VERIFIED, ACTIVE)))


def recheck_new(label_id=None):
    """Every pending domain added in the last NEW_DAYS; {hostname: found}."""
    since = now_utc() - timedelta(days=NEW_DAYS)
    return _recheck(label_id, CustomDomain.state == PENDING, CustomDomain.created_at >= since)


def _recheck(label_id, *where):
    stmt = select(CustomDomain.id, CustomDomain.label_id).where(*where).order_by(CustomDomain.id)
    if label_id is not None:
        stmt = stmt.where(CustomDomain.label_id == label_id)
    with job_context(None, ACTOR):
        due = db.session.execute(stmt).all()
    found, failed = {}, []
    for domain_id, owner in due:
        try:
            with job_context(owner, ACTOR):
                domain = db.session.get(CustomDomain, domain_id)
                if domain is not None:  # None: removed since
                    found[domain.hostname] = verify.check(domain)
                    db.session.commit()
        except Exception:
            log.exception("domains: the check of domain %s failed", domain_id)
            failed.append(domain_id)
    if failed:
        raise RuntimeError(f"the check of domain(s) {failed} failed; the others ran")
    return found
