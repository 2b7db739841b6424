"""What the public may read of an applicant: a natural person (an IIN: individuals and peasant
farms registered on their head's IIN) by initials only and without the IIN; a company in full.
The register, its open data and the public /verify page all show applicants this way."""

from __future__ import annotations

import functools
import re

from subsidy.applicants.ids import id_kind

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def masked_name(name: str) -> str:
    """«Серікбаев Нұрлан Қайратұлы» -> «С. Н. Қ.»: enough to tell entries apart, not to identify."""
    initials = [word[0].upper() + "." for word in _WORD.findall(name)[:3]]
    return " ".join(initials) or "—"


def public_applicant(applicant) -> dict:
    """``applicant``: anything with ``kind``, ``name`` and ``iin_bin`` (a model or a row)."""
    natural = _natural_person(applicant.iin_bin)
    kind = applicant.kind
    return {
        "kind": getattr(kind, "value", kind),
        "name": masked_name(applicant.name) if natural else applicant.name,
        "iin_bin": None if natural else applicant.iin_bin,
        "masked": natural,
    }


@functools.lru_cache(maxsize=8192)
def _natural_person(iin_bin: str) -> bool:
    """An IIN rather than a BIN (validated in full, so remembered: a page repeats applicants)."""
    return id_kind(iin_bin) == "iin"
