"""cql_like: a compiled, three-valued CQL 1.5 subset over FHIR R4 (plain JSON dicts).

terminology = LocalTerminology.from_dirs([Path("policies/_shared/valuesets")])
library = load_library(Path("Policy.cql"), terminology=terminology, library_paths=[Path("policies/_shared")])
results = library.evaluate(PatientRecord.from_bundle(bundle), now=now, parameters={"OrderId": "mr-1"})
"""

from .errors import CqlError, CqlEvaluationError, Diagnostic, SourceLocation
from .fhir.record import PatientRecord
from .library import Library, LibraryPool, load_library
from .results import Results
from .runtime.clinical import Code, Concept
from .runtime.interval import Interval
from .runtime.quantity import Quantity
from .runtime.temporal import Date, DateTime
from .terminology import LocalTerminology, ValueSet

__all__ = [
    "Code",
    "Concept",
    "CqlError",
    "CqlEvaluationError",
    "Date",
    "DateTime",
    "Diagnostic",
    "Interval",
    "Library",
    "LibraryPool",
    "LocalTerminology",
    "PatientRecord",
    "Quantity",
    "Results",
    "SourceLocation",
    "ValueSet",
    "load_library",
]
