"""Every route declares who may call it; a route added without a declaration fails here."""

from subsidy.access import ACCESS_ATTR

# Framework routes that serve no data of ours.
UNDECLARED_OK = {"static", "api-docs.openapi_json"}


def test_every_route_declares_its_access(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDECLARED_OK:
            continue
        view = app.view_functions[rule.endpoint]
        if not getattr(view, ACCESS_ATTR, None):
            missing.append(f"{rule.rule} ({rule.endpoint})")
    assert missing == []
