"""A standalone C2SP transparency-log witness (c2sp.org/tlog-witness@v1.0.0).

A witness keeps, for each log it is configured to trust, the latest checkpoint it has
cosigned, and cosigns a new checkpoint only if it is signed by that log and provably extends
the stored one (an RFC 6962 consistency proof). Clients that require cosignatures from
independent witnesses can then trust that the log shows everyone the same append-only history.
It works with any log that speaks the C2SP formats (signed-note, tlog-checkpoint,
tlog-cosignature), not only the subsidy service's.

Commands (``python -m subsidy.witness --help``)::

    keygen --key FILE --name NAME   write a new Ed25519 key (PEM, mode 0600, never over an
                                    existing file); print the witness vkey (type 0x04)
    vkey   --key FILE --name NAME   print the witness vkey again
    serve  --key FILE --name NAME --state STATE.sqlite --log LOG_VKEY [--log ...]
           [--listen 127.0.0.1:8790] [--prefix /path]

``serve`` answers ``POST <prefix>/add-checkpoint`` exactly as the specification says (see
:mod:`subsidy.witness.core` for the order of the checks) and ``GET <prefix>/`` with the
witness's name, vkey and logs. A log's origin is the name in its vkey; several ``--log`` keys
with one name are all trusted for that origin (key rotation). It prints
``listening on http://HOST:PORT`` (the real port with ``--listen 127.0.0.1:0``) and logs each
refused request as one line on stderr. SIGTERM and SIGINT stop it cleanly.

It imports only the standard library, ``cryptography`` and the pure
:mod:`subsidy.audit.note` and :mod:`subsidy.audit.merkle`. docs/witness.md is the operator's
guide (running it as an independent body, systemd, backups).
"""
