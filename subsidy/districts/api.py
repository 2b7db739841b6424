from __future__ import annotations

from subsidy.access import public
from subsidy.api_docs import Blueprint
from subsidy.districts.queries import all_districts
from subsidy.districts.schemas import DistrictSchema

blp = Blueprint("districts", __name__, url_prefix="/districts", description="Districts")


@blp.route("", methods=["GET"])
@public
@blp.response(200, DistrictSchema(many=True))
def list_districts():
    return [
        {"code": d.code, "name": d.name_ru, "name_kk": d.name_kk, "name_en": d.name_en}
        for d in all_districts()
    ]
