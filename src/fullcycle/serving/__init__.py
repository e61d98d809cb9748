"""fullcycle.serving: the inference server.

app.py        the one ASGI app: assembles the routers, the Host/Origin guard, the lifespan
routes/       one router per resource (predict, v2, feedback, admin, trace, metrics); each
              route declares its role beside it
statuses.py   the one error -> HTTP status map (the server's and the dashboard's)
oip.py        Open Inference Protocol v2 shapes, OpenAPI request documents
payload.py    body -> records: strict JSON, /predict and v2 shapes, a signature validator
runtime.py    the deployment as one reference; canary by request-id hash; shadow; swaps
batcher.py    micro-batching: one validate + predict call for concurrent requests
logbook.py    the prediction log writer: bounded queue, group commit, fast/strict, supervised
logsafe.py    records serialised (or reduced) on the request side; loghealth.py its state
quarantine.py a damaged sealed segment moved aside, the window read from the rest
segments.py   seal JSON Lines segments into Parquet, recover, read_log (DuckDB)
feedback.py   /feedback: labels checked and normalised at the door, orphans bounded
tensors.py    OIP tensors (JSON and the binary extension) <-> records
metrics.py    Prometheus metrics from one table (multiprocess with several workers)
quality.py    the quality gauges (drift, live metric, canary, labels waiting) on scrape
dashboards.py the Grafana dashboard and alert rules, generated from the metrics table
guard.py      allowed hosts and origins; headerguard.py bounds slow request headers
logformat.py  text or JSON logs; the access record
models.py     LoadedModel / ModelSource: what the registry and the contract provide
source.py     the registry as a model source; server.py builds the app per worker; run()
"""
