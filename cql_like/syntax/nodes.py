"""The syntax tree of a CQL library: frozen dataclasses, each carrying its source location.

Nothing here knows FHIR or runtime values; literals keep their source text.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SourceLocation

# ---- type specifiers


@dataclass(frozen=True, slots=True)
class NamedType:
    loc: SourceLocation
    namespace: str | None
    name: str


@dataclass(frozen=True, slots=True)
class ListType:
    loc: SourceLocation
    element: TypeSpec


@dataclass(frozen=True, slots=True)
class IntervalType:
    loc: SourceLocation
    point: TypeSpec


@dataclass(frozen=True, slots=True)
class TupleType:
    loc: SourceLocation
    elements: tuple[tuple[str, TypeSpec], ...]


@dataclass(frozen=True, slots=True)
class ChoiceType:
    loc: SourceLocation
    choices: tuple[TypeSpec, ...]


TypeSpec = NamedType | ListType | IntervalType | TupleType | ChoiceType

# ---- expressions


@dataclass(frozen=True, slots=True)
class Literal:
    loc: SourceLocation
    kind: str  # null | boolean | string | number | datetime | time
    text: str


@dataclass(frozen=True, slots=True)
class QuantityLiteral:
    loc: SourceLocation
    value: str
    unit: str


@dataclass(frozen=True, slots=True)
class Identifier:
    loc: SourceLocation
    name: str


@dataclass(frozen=True, slots=True)
class Member:
    loc: SourceLocation
    source: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    loc: SourceLocation
    name: str
    args: tuple[Expr, ...]
    qualifier: Expr | None = None  # `Lib.F(x)`: the expression before the dot


@dataclass(frozen=True, slots=True)
class Indexer:
    loc: SourceLocation
    source: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class Unary:
    loc: SourceLocation
    op: str  # not | exists | negate | start_of | end_of | width_of | singleton_from | ...
    operand: Expr
    component: str | None = None  # for `year from X`


@dataclass(frozen=True, slots=True)
class Binary:
    loc: SourceLocation
    op: str
    left: Expr
    right: Expr
    precision: str | None = None


@dataclass(frozen=True, slots=True)
class NullTest:
    loc: SourceLocation
    operand: Expr
    test: str  # null | true | false
    negated: bool


@dataclass(frozen=True, slots=True)
class TypeOp:
    loc: SourceLocation
    op: str  # is | as | cast
    operand: Expr
    type: TypeSpec


@dataclass(frozen=True, slots=True)
class Convert:
    loc: SourceLocation
    operand: Expr
    type: TypeSpec | None
    unit: str | None


@dataclass(frozen=True, slots=True)
class Between:
    loc: SourceLocation
    operand: Expr
    low: Expr
    high: Expr
    properly: bool


@dataclass(frozen=True, slots=True)
class DurationBetween:
    loc: SourceLocation
    precision: str  # singular: day, month ...
    low: Expr
    high: Expr
    difference: bool


@dataclass(frozen=True, slots=True)
class TimingPhrase:
    loc: SourceLocation
    kind: str  # same | during | includes | before_after | within | overlaps | meets | starts | ends
    boundary: str | None = None  # starts | ends | occurs (applies to the left operand)
    properly: bool = False
    precision: str | None = None
    relation: str | None = None  # before | after
    or_on: bool = False  # `on or before`, `before or on`, `same or before`
    offset: QuantityLiteral | None = None
    offset_mode: str | None = None  # exact | or_more | or_less | less_than | more_than


@dataclass(frozen=True, slots=True)
class Timing:
    loc: SourceLocation
    left: Expr
    phrase: TimingPhrase
    right: Expr


@dataclass(frozen=True, slots=True)
class IntervalSelector:
    loc: SourceLocation
    low: Expr
    high: Expr
    low_closed: bool
    high_closed: bool


@dataclass(frozen=True, slots=True)
class ListSelector:
    loc: SourceLocation
    elements: tuple[Expr, ...]
    element_type: TypeSpec | None = None


@dataclass(frozen=True, slots=True)
class TupleSelector:
    loc: SourceLocation
    elements: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class InstanceSelector:
    loc: SourceLocation
    type_name: str
    elements: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class CodeSelector:
    loc: SourceLocation
    code: str
    system: str
    display: str | None


@dataclass(frozen=True, slots=True)
class ConceptSelector:
    loc: SourceLocation
    codes: tuple[Expr, ...]
    display: str | None


@dataclass(frozen=True, slots=True)
class IfThenElse:
    loc: SourceLocation
    condition: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True, slots=True)
class Case:
    loc: SourceLocation
    comparand: Expr | None
    items: tuple[tuple[Expr, Expr], ...]
    otherwise: Expr


@dataclass(frozen=True, slots=True)
class Retrieve:
    loc: SourceLocation
    resource_type: NamedType
    code_path: str | None
    code_op: str | None  # in | = | ~
    terminology: Expr | None


@dataclass(frozen=True, slots=True)
class AliasedSource:
    loc: SourceLocation
    source: Expr
    alias: str
    parenthesized: bool = False  # `(expr) A`: any expression may be a source only in parentheses


@dataclass(frozen=True, slots=True)
class Inclusion:
    loc: SourceLocation
    negated: bool  # `without`
    source: AliasedSource
    condition: Expr


@dataclass(frozen=True, slots=True)
class SortItem:
    loc: SourceLocation
    key: Expr | None
    descending: bool


@dataclass(frozen=True, slots=True)
class Query:
    loc: SourceLocation
    sources: tuple[AliasedSource, ...]
    lets: tuple[tuple[str, Expr], ...]
    inclusions: tuple[Inclusion, ...]
    where: Expr | None
    return_expr: Expr | None
    return_distinct: bool
    sort: tuple[SortItem, ...]


Expr = (
    Literal
    | QuantityLiteral
    | Identifier
    | Member
    | Call
    | Indexer
    | Unary
    | Binary
    | NullTest
    | TypeOp
    | Convert
    | Between
    | DurationBetween
    | Timing
    | IntervalSelector
    | ListSelector
    | TupleSelector
    | InstanceSelector
    | CodeSelector
    | ConceptSelector
    | IfThenElse
    | Case
    | Retrieve
    | Query
)

# ---- library-level definitions


@dataclass(frozen=True, slots=True)
class UsingDef:
    loc: SourceLocation
    model: str
    version: str | None


@dataclass(frozen=True, slots=True)
class IncludeDef:
    loc: SourceLocation
    name: str
    version: str | None
    alias: str


@dataclass(frozen=True, slots=True)
class CodeSystemDef:
    loc: SourceLocation
    name: str
    url: str
    version: str | None
    private: bool


@dataclass(frozen=True, slots=True)
class ValueSetDef:
    loc: SourceLocation
    name: str
    url: str
    version: str | None
    private: bool


@dataclass(frozen=True, slots=True)
class CodeDef:
    loc: SourceLocation
    name: str
    code: str
    system: str
    display: str | None
    private: bool


@dataclass(frozen=True, slots=True)
class ConceptDef:
    loc: SourceLocation
    name: str
    codes: tuple[str, ...]
    display: str | None
    private: bool


@dataclass(frozen=True, slots=True)
class ParameterDef:
    loc: SourceLocation
    name: str
    type: TypeSpec | None
    default: Expr | None
    private: bool


@dataclass(frozen=True, slots=True)
class ContextDef:
    loc: SourceLocation
    name: str


@dataclass(frozen=True, slots=True)
class ExpressionDef:
    loc: SourceLocation
    name: str
    expression: Expr
    private: bool
    context: str


@dataclass(frozen=True, slots=True)
class OperandDef:
    loc: SourceLocation
    name: str
    type: TypeSpec


@dataclass(frozen=True, slots=True)
class FunctionDef:
    loc: SourceLocation
    name: str
    operands: tuple[OperandDef, ...]
    return_type: TypeSpec | None
    body: Expr
    private: bool
    context: str


@dataclass(frozen=True, slots=True)
class LibrarySource:
    """One parsed .cql file."""

    file: str
    name: str | None
    version: str | None
    usings: tuple[UsingDef, ...]
    includes: tuple[IncludeDef, ...]
    codesystems: tuple[CodeSystemDef, ...]
    valuesets: tuple[ValueSetDef, ...]
    codes: tuple[CodeDef, ...]
    concepts: tuple[ConceptDef, ...]
    parameters: tuple[ParameterDef, ...]
    contexts: tuple[ContextDef, ...]
    defines: tuple[ExpressionDef, ...]
    functions: tuple[FunctionDef, ...]
    name_loc: SourceLocation | None = None
