"""The auditor's pages: the log, its checkpoints, whole-log verification, export and proofs."""

from __future__ import annotations

import tempfile
import time
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    render_template,
    request,
    stream_template,
    stream_with_context,
)
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional

from subsidy.access import Role, page_roles
from subsidy.audit import checkpoints, merkle, queries
from subsidy.audit.signing import signing_key
from subsidy.audit.verification import Outcome, export_log, verify_log_steps
from subsidy.errors import DomainError
from subsidy.unit_of_work import discard_changes
from subsidy.web.labels import ACTION_LABELS as ACTIONS
from subsidy.web.labels import label
from subsidy.web.messages import refusal_line

bp = Blueprint("audit_pages", __name__, url_prefix="/audit")

PAGE_SIZE = 50
CHECKPOINTS_SHOWN = 10
EXPORT_CHUNK = 64 * 1024
auditors = page_roles(Role.AUDITOR, Role.ADMIN)


class LogFilters(FlaskForm):
    class Meta:
        csrf = False

    start = IntegerField(validators=[Optional(), NumberRange(min=0, max=2**62)])
    action = StringField(validators=[Optional(), Length(max=64)])
    subject = StringField(validators=[Optional(), Length(max=128)])


class VerifyLogForm(FlaskForm):
    """Only the CSRF token: the button starts a long read, so it must come from our page."""


def _when(timestamp: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(timestamp) if timestamp else None
    except ValueError:
        return None


def _checkpoint_rows() -> list[dict]:
    public_key = signing_key().public_key
    rows = []
    for checkpoint in queries.checkpoints_page(limit=CHECKPOINTS_SHOWN):
        problem = checkpoints.checkpoint_problem(public_key, checkpoint)
        rows.append(
            {
                **checkpoint,
                "time": _when(checkpoint["timestamp"]),
                "valid": problem is None,
                "problem": problem,
            }
        )
    return rows


def _render_log(verify_form: VerifyLogForm, result: dict | None = None, status: int = 200):
    filters = LogFilters(formdata=request.args)
    if not filters.validate():
        filters = LogFilters(formdata=None)
    action = (filters.action.data or "").strip() or None
    subject = (filters.subject.data or "").strip() or None
    head = queries.tree_head()
    last_start = max(0, head["tree_size"] - PAGE_SIZE)
    start = filters.start.data
    if start is None:
        # The whole log opens at its newest entries; a filtered one from its first match.
        start = 0 if action or subject else last_start
    page = queries.entries_page(start, PAGE_SIZE, action, subject)
    for item in page["items"]:
        item["time"] = _when(item["entry"].get("timestamp"))
    args = {key: value for key, value in (("action", action), ("subject", subject)) if value}
    return render_template(
        "audit/log.html",
        filters=filters,
        page=page,
        start=start,
        head=head,
        args=args,
        previous_start=max(0, start - PAGE_SIZE) if start > 0 else None,
        last_start=last_start,
        start_given=filters.start.data is not None,
        checkpoints=_checkpoint_rows(),
        key_id=signing_key().key_id,
        verify_form=verify_form,
        result=result,
        actions=ACTIONS,
        label=label,
    ), status


@bp.route("")
@auditors
def log():
    return _render_log(VerifyLogForm())


@bp.route("/verify", methods=["POST"])
@auditors
def verify():
    """Streams the page while the log is verified: progress lines as entries are checked,
    then the verdict, so an auditor watches a long run instead of a hung request."""
    form = VerifyLogForm()
    if not form.validate_on_submit():
        return _render_log(form, status=400)
    total = queries.tree_head()["tree_size"]
    return stream_template("audit/verifying.html", total=total, steps=_verification_steps(total))


def _verification_steps(total: int):
    started = time.monotonic()
    last_shown = -1.0
    for step in verify_log_steps(step=max(1000, total // 50 or 1)):
        if isinstance(step, Outcome):
            yield {
                "done": True,
                "ok": step.ok,
                "line": step.line,
                "checked": step.size,
                "seconds": time.monotonic() - started,
            }
            return
        now = time.monotonic()
        if now - last_shown >= 0.5 or step == total:
            last_shown = now
            percent = 100 if not total else round(100 * step / total)
            yield {"done": False, "count": step, "percent": percent}


@bp.route("/export.jsonl")
@auditors
def export():
    # export_log writes to a file; a spooled file keeps memory bounded on a large log.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (see chunks)
    try:
        export_log(spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    discard_changes()  # end the long read before streaming to a slow client

    def chunks():
        with spool:
            while chunk := spool.read(EXPORT_CHUNK):
                yield chunk

    response = Response(stream_with_context(chunks()), mimetype="application/jsonl")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.jsonl"'
    return response


@bp.route("/proof")
@auditors
def proof():
    head = queries.tree_head()
    latest = queries.checkpoints_page(limit=1)
    index = request.args.get("index", type=int)
    tree_size = request.args.get("tree_size", type=int)
    if tree_size is None:
        tree_size = latest[0]["tree_size"] if latest else head["tree_size"]
        if index is not None and index >= tree_size:
            tree_size = head["tree_size"]
    context = {"index": index, "tree_size": tree_size, "head": head, "error": None}
    status = 200
    if index is not None:
        try:
            context.update(_proof_of(index, tree_size))
        except DomainError as refusal:
            context["error"], status = refusal_line(refusal), refusal.status
    return render_template("audit/proof.html", **context), status


def _proof_of(index: int, tree_size: int) -> dict:
    found = queries.inclusion_proof(index, tree_size)
    signed = queries.checkpoint_at(tree_size)
    if signed is not None:
        root = bytes.fromhex(signed["root_hash"])
        signed_ok = checkpoints.verify_checkpoint(signing_key().public_key, signed)
    else:
        root = queries.root_at(tree_size)
        signed_ok = None
    verified = merkle.verify_inclusion(
        bytes.fromhex(found["leaf_hash"]),
        index,
        tree_size,
        [bytes.fromhex(node) for node in found["path"]],
        root,
    )
    entry = queries.entries_page(index, 1)["items"]
    return {
        "proof": found,
        "root": root.hex(),
        "signed": signed,
        "signed_time": _when(signed["timestamp"]) if signed else None,
        "signed_ok": signed_ok,
        "verified": verified,
        "entry": entry[0]["entry"] if entry else None,
    }
