from __future__ import annotations

from flask import Response, jsonify

from subsidy.access import Role, public, roles
from subsidy.api_docs import Blueprint
from subsidy.audit import queries, queue_queries
from subsidy.audit.schemas import (
    CheckpointSchema,
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    EntriesPageSchema,
    EntriesQuerySchema,
    EntryByIdQuerySchema,
    EntryByIdSchema,
    InclusionProofSchema,
    InclusionQuerySchema,
    TreeHeadSchema,
)
from subsidy.audit.sequencer import RETRY_AFTER
from subsidy.audit.signing import signing_key
from subsidy.errors import error_body

blp = Blueprint("audit", __name__, url_prefix="/audit", description="The transparency log")


@blp.route("/entries", methods=["GET"])
@roles(Role.AUDITOR, Role.ADMIN)
@blp.arguments(EntriesQuerySchema, location="query")
@blp.response(200, EntriesPageSchema)
def list_entries(query):
    return queries.entries_page(**query)


@blp.route("/tree-head", methods=["GET"])
@public
@blp.response(200, TreeHeadSchema)
def tree_head():
    return queries.tree_head()


@blp.route("/checkpoints/latest", methods=["GET"])
@public
@blp.response(200, CheckpointSchema)
@blp.alt_response(404, response="NOT_FOUND")  # none signed yet
def latest_checkpoint():
    return queries.latest_checkpoint()


@blp.route("/public-key", methods=["GET"])
@public
@blp.response(200, {"type": "string"}, content_type="application/x-pem-file")
def public_key():
    return Response(signing_key().public_pem, mimetype="application/x-pem-file")


@blp.route("/proofs/inclusion", methods=["GET"])
@public
@blp.arguments(InclusionQuerySchema, location="query")
@blp.response(200, InclusionProofSchema)
def inclusion_proof(query):
    return queries.inclusion_proof(**query)


@blp.route("/proofs/consistency", methods=["GET"])
@public
@blp.arguments(ConsistencyQuerySchema, location="query")
@blp.response(200, ConsistencyProofSchema)
def consistency_proof(query):
    return queries.consistency_proof(**query)


@blp.route("/entries/by-id", methods=["GET"])
@public
@blp.arguments(EntryByIdQuerySchema, location="query")
@blp.response(200, EntryByIdSchema)
@blp.alt_response(404, response="NOT_FOUND")  # unknown, or queued (with Retry-After)
def entry_by_id(query):
    """An entry by the id a write's response gave it; with ``tree_size``, its inclusion proof.
    While the entry waits in the log's queue: 404 ``queued`` with ``Retry-After``."""
    try:
        return queue_queries.entry_by_id(query["id"], query.get("tree_size"))
    except queue_queries.Queued:
        message = "the entry is queued: the sequencer gives it its index within a second"
        response = jsonify(error_body("queued", message))
        response.status_code = 404
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
