from marshmallow import Schema, fields


class DistrictSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "Russian name"})
    name_kk = fields.String(required=True)
    name_en = fields.String(required=True)
