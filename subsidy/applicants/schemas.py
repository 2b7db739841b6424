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
    head_iin = fields.String(validate=validate.Length(max=32))
    iban = fields.String(validate=validate.Length(max=64))
    bic = fields.String(validate=validate.Length(max=32))


class BankAccountInSchema(Schema):
    """A Kazakh IBAN (spaces allowed) and its bank's BIC; checked by the service."""

    iban = fields.String(required=True, validate=validate.Length(min=1, max=64))
    bic = fields.String(required=True, validate=validate.Length(min=1, max=32))


class BankAccountSchema(Schema):
    iban = fields.String(required=True)
    bic = fields.String(required=True)
    changed_at = fields.AwareDateTime(required=True)


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


class OwnApplicantBriefSchema(ApplicantBriefSchema):
    """The brief record as its own applicant sees it (``/auth/me``): with the account and head."""

    bank_account = fields.Nested(BankAccountSchema, allow_none=True)
    head_iin = fields.String(allow_none=True)


class ApplicantSchema(Schema):
    id = fields.Integer(required=True)
    iin_bin = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    district = fields.Nested(DistrictRefSchema, required=True)
    members = fields.List(fields.Nested(ApplicantRefSchema), required=True)
    member_of = fields.List(fields.Nested(ApplicantRefSchema), required=True)
    created_at = fields.AwareDateTime(required=True)
    # Only for the applicant itself and officials; absent for the other roles.
    bank_account = fields.Nested(BankAccountSchema, allow_none=True)
    head_iin = fields.String(allow_none=True)
