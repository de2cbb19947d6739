from __future__ import annotations

from course.accounts import Role
from course.oidc import RoleMapping, role_from_claims, subject_of

MAPPING = RoleMapping.from_settings(
    {"role_claim": "groups", "educator_values": ["educators"], "admin_values": ["course-admins"]}
)


def test_claim_values_map_to_the_highest_role() -> None:
    assert role_from_claims({"groups": ["staff", "educators"]}, MAPPING) is Role.EDUCATOR
    assert role_from_claims({"groups": ["educators", "course-admins"]}, MAPPING) is Role.ADMIN
    assert role_from_claims({"groups": "educators"}, MAPPING) is Role.EDUCATOR
    assert role_from_claims({"groups": []}, MAPPING) is Role.LEARNER
    assert role_from_claims({}, MAPPING) is Role.LEARNER


def test_default_mapping_makes_everyone_a_learner() -> None:
    assert role_from_claims({"groups": ["educators"]}, RoleMapping()) is Role.LEARNER


def test_subject_joins_issuer_and_sub() -> None:
    assert subject_of({"iss": "https://idp.example", "sub": "42"}) == "https://idp.example|42"
    assert subject_of({"iss": "https://idp.example"}) is None
