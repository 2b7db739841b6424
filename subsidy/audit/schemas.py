from marshmallow import Schema, fields, validate


class EntriesQuerySchema(Schema):
    start = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    action = fields.String(validate=validate.Length(max=64))
    subject = fields.String(validate=validate.Length(max=128))


class EntryItemSchema(Schema):
    index = fields.Integer(required=True)
    leaf_hash = fields.String(required=True)
    entry = fields.Dict(required=True)


class EntriesPageSchema(Schema):
    items = fields.List(fields.Nested(EntryItemSchema), required=True)
    next = fields.Integer(allow_none=True, required=True)


class CheckpointSchema(Schema):
    tree_size = fields.Integer(required=True)
    root_hash = fields.String(required=True)
    timestamp = fields.String(required=True)
    key_id = fields.String(required=True)
    signature = fields.String(required=True)


class TreeHeadSchema(Schema):
    tree_size = fields.Integer(required=True)
    root_hash = fields.String(required=True)


_SIZE = validate.Range(min=0, max=2**62)


class InclusionQuerySchema(Schema):
    index = fields.Integer(required=True, validate=_SIZE)
    tree_size = fields.Integer(required=True, validate=_SIZE)


class InclusionProofSchema(Schema):
    index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    leaf_hash = fields.String(required=True)
    path = fields.List(fields.String(), required=True)


class ConsistencyQuerySchema(Schema):
    first = fields.Integer(required=True, validate=_SIZE)
    second = fields.Integer(required=True, validate=_SIZE)


class ConsistencyProofSchema(Schema):
    first = fields.Integer(required=True)
    second = fields.Integer(required=True)
    path = fields.List(fields.String(), required=True)


class EntryByIdQuerySchema(Schema):
    id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))
    tree_size = fields.Integer(validate=_SIZE)


class EntryByIdSchema(Schema):
    id = fields.Integer(required=True)
    index = fields.Integer(required=True)
    leaf_hash = fields.String(required=True)
    entry = fields.Dict(required=True)
    tree_size = fields.Integer()
    path = fields.List(fields.String())
