from __future__ import annotations

from flask import Response

from subsidy.access import Role, public, roles
from subsidy.api_docs import Blueprint
from subsidy.audit import queries
from subsidy.audit.schemas import (
    CheckpointSchema,
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    EntriesPageSchema,
    EntriesQuerySchema,
    InclusionProofSchema,
    InclusionQuerySchema,
    TreeHeadSchema,
)
from subsidy.audit.signing import signing_key

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
