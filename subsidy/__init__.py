"""East Kazakhstan agricultural subsidies service.

Flask is imported lazily so that ``python -m subsidy.audit.verify`` (the offline verifier)
runs without Flask or SQLAlchemy installed or imported.
"""


def create_app(config: dict | None = None):
    from subsidy.app import build_app

    return build_app(config)
