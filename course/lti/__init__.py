"""LTI 1.3: the course as a *tool* that an LMS (the *platform*: Moodle, Canvas, Blackboard, ...) launches.

Built on PyLTI1p3 (IMS LTI 1.3 Core, Deep Linking 2.0, Names and Role Provisioning Services 2.0,
Assignment and Grade Services 2.0), which validates the OIDC login, the launch JWT (signature
against the platform's JWKS, nonce, state, deployment) and signs the tool's own messages. This
package adds what the library leaves to its host: platforms and keys kept in the database
(:mod:`course.lti.registry`), launch state in the database so several app processes work
(:mod:`course.lti.storage`), adapters for a framework-neutral request (:mod:`course.lti.tool`),
and what a launch means for the course (:mod:`course.lti.launches`: account, role, cohort,
landing page), the roster (:mod:`course.lti.roster`) and the grade passback (:mod:`course.lti.grades`).

The HTTP endpoints are in ``course.ui.lti_routes``.
"""
