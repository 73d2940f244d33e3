"""What the release rules announce. The jobs act on it (app.jobs.lifecycle.listen, connected by
create_app), so the rules never import the jobs that schedule them."""
from blinker import Namespace

_signals = Namespace()

# sender: the release, flushed; replacing: the instants whose advance jobs are now stale
instants_changed = _signals.signal("release-instants-changed")
# sender: the release, committed as released: release day starts
released_now = _signals.signal("release-released-now")
