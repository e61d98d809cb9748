"""fullcycle.store: the only package that speaks SQL or touches the store's files.

db.py            the engine, migrations on open (one process migrates), read/write transactions
tables.py        the metadata tables, one per noun; migrations/ holds Alembic's versions
artifacts.py     content-addressed files (local or fsspec), sha256 checked on every read
datasets.py runs.py models.py evaluations.py deployments.py rollouts.py labels.py
                 one module per noun; deployments move the production alias in the same
                 transaction
events.py alerts.py   the audit log and deduplicated alerts
logs.py          the prediction log's index of sealed segments, and feedback (an upsert)
leases.py        one holder at a time, expiring
tokens.py        API tokens, stored as hashes
reports.py counts.py dashboard.py provenance.py segment_moves.py gc.py
                 monitor reports, counts, the dashboard's and the trace's queries, archive, gc
"""
