"""The facade's groups: small objects on :class:`fullcycle.Project`, shaped like the CLI's groups.

project.data         add, get, list, load, lineage            (``fullcycle data ...``)
project.runs         list, get, metric_history                 (``fullcycle runs ...``)
project.models       list, show, register, promote, import_file, trust, load, aliases,
                     set_alias
project.deployments  current, history, production, canary, shadow, promote_canary,
                     rollback, rollback_targets, route   (``fullcycle deploy ...``, ``rollback``)
project.labels       queue, export, import_file, merge, label_one, withdraw, progress, next_task,
                     tasks, feedback
project.tokens       create, list, revoke, authenticate, bootstrap_admin
project.monitor      run, reports, alerts, html, log, latest, raise_alert, close_alerts
project.loop         step, submit, rollouts, active           (``fullcycle loop ...``), and the
                     controller's own state: start_rollout, update_rollout, *_lease
project.dashboard    the dashboard's read-only views

``runs``, ``models``, ``tokens`` and ``monitor`` stay callable as the flat methods they were
(``project.models()`` lists) and carry the group's verbs too (``project.models.show(ref)``).
The interfaces (CLI, dashboard) and the loop hold a Project and call these; only the facade
reaches the store's handles (``Project._db``, ``Project._artifacts``). Each method delegates in
a few lines.
"""

from fullcycle.facade._deployments import Deployments
from fullcycle.facade._groups import (
    Dashboard,
    Data,
    Labels,
    Loop,
    Models,
    Monitor,
    Runs,
    Tokens,
)

__all__ = [
    "Dashboard",
    "Data",
    "Deployments",
    "Labels",
    "Loop",
    "Models",
    "Monitor",
    "Runs",
    "Tokens",
]
