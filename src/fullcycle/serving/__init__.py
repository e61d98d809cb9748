"""fullcycle.serving: the inference server.

app.py        the one ASGI app: assembles the routers, the Host/Origin guard, the lifespan
routes/       one router per resource (predict, v2, feedback, admin, trace, metrics); each
              route declares its role beside it
statuses.py   the one error -> HTTP status map (the server's and the dashboard's)
oip.py        Open Inference Protocol v2 shapes, OpenAPI request documents
payload.py    body -> records: strict JSON, /predict and v2 shapes, a signature validator
runtime.py    the deployment as one reference; canary by request-id hash; shadow; swaps
batcher.py    micro-batching: one validate + predict call for concurrent requests
logbook.py    the prediction log writer: bounded queue, group commit, fast/strict
segments.py   seal JSON Lines segments into Parquet, recover, read_log (DuckDB)
metrics.py    Prometheus metrics in a registry per app
models.py     LoadedModel / ModelSource: what the registry and the contract provide
server.py     build the app per worker process from a model-source factory; run()
"""
