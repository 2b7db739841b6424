"""The baseline of ``bench.rush``: the least a web app can do per submission — one JSON POST that
inserts one row through SQLAlchemy and answers 201 — served by gunicorn like the service.

``gunicorn 'bench.bare_app:create_app()'`` with ``BENCH_BARE_DATABASE_URL`` set; the table is
created by the benchmark before the server starts (``create_table``), not by the workers.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask, jsonify, request

metadata = sa.MetaData()
rows = sa.Table(
    "bench_bare_rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("program", sa.String(40), nullable=False),
    sa.Column("applicant", sa.String(12), nullable=False),
    sa.Column("quantity", sa.Numeric(14, 2), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def create_table(url: str) -> None:
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def create_app() -> Flask:
    engine = sa.create_engine(os.environ["BENCH_BARE_DATABASE_URL"], pool_pre_ping=True)
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/rows")
    def insert_row():
        payload = request.get_json()
        with engine.begin() as conn:
            new_id = conn.execute(
                sa.insert(rows)
                .values(
                    program=payload["program"],
                    applicant=payload["applicant"],
                    quantity=Decimal(payload["quantity"]),
                    created_at=datetime.now(UTC),
                )
                .returning(rows.c.id)
            ).scalar_one()
        return jsonify(id=new_id), 201

    return app
