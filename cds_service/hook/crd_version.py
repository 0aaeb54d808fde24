"""Which Da Vinci CRD versions this service answers in, and which one a hook call gets (CRD dev-1..3).

Discovery declares every served version (`davinci-crd.version`, `major.minor` strings); a client that
knows several picks one with `davinci-crd.requestedVersion` at the root of the request's `extension`.
Without one the answer follows the newest version. 2.0 is served because the Inferno CRD test kit
validates against CRD 2.0.1 (STU2), whose coverage-information knows neither `indeterminate` nor
`expiry-date` nor detail categories; coverage_info.extension_json shapes each version.
"""

from __future__ import annotations

from .errors import BadRequestError, UnprocessableError

CRD_2_0 = "2.0"  # STU2, package hl7.fhir.us.davinci-crd#2.0.1
CRD_2_2 = "2.2"  # STU 2.2, package hl7.fhir.us.davinci-crd#2.2.1
SERVED = (CRD_2_0, CRD_2_2)  # oldest first, as discovery lists them
NEWEST = SERVED[-1]
REQUESTED_VERSION_KEY = "davinci-crd.requestedVersion"


def response_version(requested: object) -> str:
    """The served version for a request's `davinci-crd.requestedVersion` (absent: the newest).

    A patch level is accepted (`2.0.1` is 2.0). A version we do not serve is a CRD constraint broken by
    the client (dev-3 asks for a declared one): 422 rather than an answer in codes it may not know.
    """
    if requested is None:
        return NEWEST
    if not isinstance(requested, str):
        raise BadRequestError(f"extension.{REQUESTED_VERSION_KEY} must be a string")
    major_minor = ".".join(requested.strip().split(".")[:2])
    if major_minor not in SERVED:
        raise UnprocessableError(
            f"CRD version {requested!r} is not served here; extension.{REQUESTED_VERSION_KEY} may be "
            + " or ".join(SERVED)
        )
    return major_minor
