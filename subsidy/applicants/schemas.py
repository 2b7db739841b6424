from marshmallow import Schema, fields, validate

KINDS = ["individual", "peasant_farm", "legal_entity", "cooperative"]


class ApplicantCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    iin_bin = fields.String(required=True, validate=validate.Length(max=32))
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    district = fields.String(required=True, validate=validate.Length(min=1, max=16))
    members = fields.List(
        fields.String(validate=validate.Length(max=32)),
        load_default=list,
        validate=validate.Length(max=500),
    )


class DistrictRefSchema(Schema):
    code = fields.String()
    name = fields.String()
    name_kk = fields.String()


class ApplicantRefSchema(Schema):
    id = fields.Integer()
    iin_bin = fields.String()
    kind = fields.String()
    name = fields.String()


class ApplicantBriefSchema(Schema):
    """An applicant as other resources show it: the district by its code."""

    id = fields.Integer()
    iin_bin = fields.String()
    kind = fields.String()
    name = fields.String()
    district = fields.String()


class ApplicantSchema(Schema):
    id = fields.Integer(required=True)
    iin_bin = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    district = fields.Nested(DistrictRefSchema, required=True)
    members = fields.List(fields.Nested(ApplicantRefSchema), required=True)
    member_of = fields.List(fields.Nested(ApplicantRefSchema), required=True)
    created_at = fields.AwareDateTime(required=True)
