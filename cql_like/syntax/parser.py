"""Source text -> nodes. The only module that imports lark."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.tree import Meta

from ..errors import Diagnostic, ErrorSink, SourceLocation
from . import nodes as n

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "'": "'", '"': '"', "\\": "\\", "/": "/", "`": "`"}
_ESCAPE_RE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)")

_SINGULAR = {
    "years": "year", "months": "month", "weeks": "week", "days": "day", "hours": "hour",
    "minutes": "minute", "seconds": "second", "milliseconds": "millisecond",
}  # fmt: skip


# literal alias -> (kind, fixed text or None, characters to strip from the token: `@`, `@T`)
_LITERALS: dict[str, tuple[str, str | None, int]] = {
    "null_literal": ("null", "null", 0), "true_literal": ("boolean", "true", 0),
    "false_literal": ("boolean", "false", 0), "string_literal": ("string", None, 0),
    "number_literal": ("number", None, 0), "datetime_literal": ("datetime", None, 1),
    "time_literal": ("time", None, 2),
}  # fmt: skip
# grammar aliases that become one node type each (handled in _ToNodes.__default__)
_UNARY = {
    "not_": "not", "exists": "exists", "negate": "negate", "start_of": "start", "end_of": "end",
    "width_of": "width", "singleton_from": "singleton", "point_from": "point", "successor_of": "successor",
    "predecessor_of": "predecessor", "distinct": "distinct", "flatten": "flatten",
}  # fmt: skip
_NULL_TESTS = {
    "is_null": ("null", False), "is_not_null": ("null", True), "is_true": ("true", False),
    "is_not_true": ("true", True), "is_false": ("false", False), "is_not_false": ("false", True),
}  # fmt: skip


def _unescape(body: str) -> str:
    def repl(m: re.Match[str]) -> str:
        s = m.group(1)
        if s.startswith("u") and len(s) == 5:
            return chr(int(s[1:], 16))
        return _ESCAPES.get(s, s)

    return _ESCAPE_RE.sub(repl, body)


@cache
def _lark() -> Lark:
    return Lark.open(
        "grammar.lark",
        rel_to=__file__,
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,  # LALR tables cached in the temp dir (keyed by grammar and options): ~1.5 s -> ~0.1 s
    )


class _ToNodes(Transformer[Token, Any]):
    def __init__(self, file: str, text: str) -> None:
        super().__init__()
        self.file = file
        self.text = text

    def _loc(self, meta: Meta) -> SourceLocation:
        return SourceLocation(self.file, getattr(meta, "line", 0), getattr(meta, "column", 0))

    def _tloc(self, tok: Token) -> SourceLocation:
        return SourceLocation(self.file, tok.line or 0, tok.column or 0)

    # ---- tokens
    def IDENTIFIER(self, tok: Token) -> Token:  # noqa: N802 (lark names terminal callbacks)
        return tok

    def STRING(self, tok: Token) -> str:  # noqa: N802
        return _unescape(str(tok)[1:-1])

    # ---- identifiers and library structure
    @v_args(meta=True)
    def identifier(self, meta: Meta, ch: list[Token]) -> tuple[str, SourceLocation]:
        tok = ch[0]
        text = str(tok)
        name = _unescape(text[1:-1]) if tok.type == "QUOTED_IDENTIFIER" else text
        return name, self._tloc(tok)

    @v_args(meta=True)
    def start(self, meta: Meta, ch: list[Any]) -> n.LibrarySource:
        header = ch[0]
        items = ch[1:]
        context = "Unfiltered"
        bucket: dict[str, list[Any]] = {k: [] for k in (
            "usings", "includes", "codesystems", "valuesets", "codes", "concepts",
            "parameters", "contexts", "defines", "functions")}  # fmt: skip
        for item in items:
            if isinstance(item, n.ContextDef):
                context = item.name
                bucket["contexts"].append(item)
            elif isinstance(item, tuple) and item and item[0] == "define":
                bucket["defines"].append(n.ExpressionDef(item[1], item[2], item[3], item[4], context))
            elif isinstance(item, tuple) and item and item[0] == "function":
                _, loc, name, ops, ret, body, private = item
                bucket["functions"].append(n.FunctionDef(loc, name, ops, ret, body, private, context))
            else:
                key = {
                    n.UsingDef: "usings", n.IncludeDef: "includes", n.CodeSystemDef: "codesystems",
                    n.ValueSetDef: "valuesets", n.CodeDef: "codes", n.ConceptDef: "concepts",
                    n.ParameterDef: "parameters",
                }[type(item)]  # fmt: skip
                bucket[key].append(item)
        name, version, name_loc = header if header else (None, None, None)
        return n.LibrarySource(
            file=self.file, name=name, version=version, name_loc=name_loc,
            **{k: tuple(v) for k, v in bucket.items()},
        )  # fmt: skip

    def library_def(self, ch: list[Any]) -> tuple[str, str | None, SourceLocation]:
        (name, loc), version = ch
        return name, version, loc

    def using_def(self, ch: list[Any]) -> n.UsingDef:
        (name, loc), version = ch
        return n.UsingDef(loc, name, version)

    def include_def(self, ch: list[Any]) -> n.IncludeDef:
        (name, loc), version, alias = ch
        return n.IncludeDef(loc, name, version, alias[0] if alias else name)

    def access(self, ch: list[Token]) -> bool:
        return str(ch[0]) == "private"

    def codesystem_def(self, ch: list[Any]) -> n.CodeSystemDef:
        private, (name, loc), url, version = ch
        return n.CodeSystemDef(loc, name, url, version, bool(private))

    def valueset_def(self, ch: list[Any]) -> n.ValueSetDef:
        private, (name, loc), url, version = ch
        return n.ValueSetDef(loc, name, url, version, bool(private))

    def code_def(self, ch: list[Any]) -> n.CodeDef:
        private, (name, loc), code, (system, _), display = ch
        return n.CodeDef(loc, name, code, system, display, bool(private))

    def concept_def(self, ch: list[Any]) -> n.ConceptDef:
        private, (name, loc), *rest = ch
        display = rest[-1]
        codes = tuple(c[0] for c in rest[:-1])
        return n.ConceptDef(loc, name, codes, display, bool(private))

    def parameter_def(self, ch: list[Any]) -> n.ParameterDef:
        private, (name, loc), type_spec, default = ch
        return n.ParameterDef(loc, name, type_spec, default, bool(private))

    def context_def(self, ch: list[Any]) -> n.ContextDef:
        name, loc = ch[0]
        return n.ContextDef(loc, name)

    def expression_def(self, ch: list[Any]) -> tuple[Any, ...]:
        private, (name, loc), expr = ch
        return ("define", loc, name, expr, bool(private))

    def function_def(self, ch: list[Any]) -> tuple[Any, ...]:
        private, (name, loc), *rest = ch
        body = rest[-1]
        ret = rest[-2]
        ops = tuple(o for o in rest[:-2] if o is not None)
        return ("function", loc, name, ops, ret, body, bool(private))

    def operand_def(self, ch: list[Any]) -> n.OperandDef:
        (name, loc), type_spec = ch
        return n.OperandDef(loc, name, type_spec)

    # ---- types
    def named_type(self, ch: list[Any]) -> n.NamedType:
        if len(ch) == 2 and ch[1] is not None:
            (ns, loc), (name, _) = ch
            return n.NamedType(loc, ns, name)
        name, loc = ch[0]
        return n.NamedType(loc, None, name)

    @v_args(meta=True)
    def list_type(self, meta: Meta, ch: list[Any]) -> n.ListType:
        return n.ListType(self._loc(meta), ch[0])

    @v_args(meta=True)
    def interval_type(self, meta: Meta, ch: list[Any]) -> n.IntervalType:
        return n.IntervalType(self._loc(meta), ch[0])

    @v_args(meta=True)
    def tuple_type(self, meta: Meta, ch: list[Any]) -> n.TupleType:
        return n.TupleType(self._loc(meta), tuple(ch))

    def tuple_type_elem(self, ch: list[Any]) -> tuple[str, n.TypeSpec]:
        return ch[0][0], ch[1]

    @v_args(meta=True)
    def choice_type(self, meta: Meta, ch: list[Any]) -> n.ChoiceType:
        return n.ChoiceType(self._loc(meta), tuple(ch))

    # ---- operators
    def __default__(self, data: Any, children: list[Any], meta: Meta) -> Any:
        name = str(data)
        if name.startswith("bin_"):
            left, right = children
            return n.Binary(self._loc(meta), name[4:], left, right)
        if name in _UNARY:
            return n.Unary(self._loc(meta), _UNARY[name], children[-1])
        if name in _LITERALS:
            kind, fixed, strip = _LITERALS[name]
            text = fixed if fixed is not None else str(children[0])[strip:]
            return n.Literal(self._loc(meta), kind, text)
        if name in _NULL_TESTS:
            test, negated = _NULL_TESTS[name]
            return n.NullTest(self._loc(meta), children[0], test, negated)
        return super().__default__(data, children, meta)  # type: ignore[no-untyped-call]

    @v_args(meta=True)
    def in_(self, meta: Meta, ch: list[Any]) -> n.Binary:
        left, precision, right = ch
        return n.Binary(self._loc(meta), "in", left, right, precision)

    @v_args(meta=True)
    def contains(self, meta: Meta, ch: list[Any]) -> n.Binary:
        left, precision, right = ch
        return n.Binary(self._loc(meta), "contains", left, right, precision)

    @v_args(meta=True)
    def component_from(self, meta: Meta, ch: list[Any]) -> n.Unary:
        return n.Unary(self._loc(meta), "component", ch[1], str(ch[0]))

    @v_args(meta=True)
    def convert_type(self, meta: Meta, ch: list[Any]) -> n.Convert:
        return n.Convert(self._loc(meta), ch[0], ch[1], None)

    @v_args(meta=True)
    def convert_unit(self, meta: Meta, ch: list[Any]) -> n.Convert:
        return n.Convert(self._loc(meta), ch[0], None, ch[1])

    @v_args(meta=True)
    def is_type(self, meta: Meta, ch: list[Any]) -> n.TypeOp:
        return n.TypeOp(self._loc(meta), "is", ch[0], ch[1])

    @v_args(meta=True)
    def as_type(self, meta: Meta, ch: list[Any]) -> n.TypeOp:
        return n.TypeOp(self._loc(meta), "as", ch[0], ch[1])

    @v_args(meta=True)
    def cast_type(self, meta: Meta, ch: list[Any]) -> n.TypeOp:
        return n.TypeOp(self._loc(meta), "cast", ch[0], ch[1])

    @v_args(meta=True)
    def between(self, meta: Meta, ch: list[Any]) -> n.Between:
        operand, properly, low, high = ch
        return n.Between(self._loc(meta), operand, low, high, properly is not None)

    @v_args(meta=True)
    def duration_between(self, meta: Meta, ch: list[Any]) -> n.DurationBetween:
        _, precision, low, high = ch
        return n.DurationBetween(self._loc(meta), precision, low, high, False)

    @v_args(meta=True)
    def difference_between(self, meta: Meta, ch: list[Any]) -> n.DurationBetween:
        precision, low, high = ch
        return n.DurationBetween(self._loc(meta), precision, low, high, True)

    def precision(self, ch: list[Token]) -> str:
        return str(ch[0])

    def precision_of(self, ch: list[str]) -> str:
        return ch[0]

    def plural_precision(self, ch: list[Token]) -> str:
        return _SINGULAR[str(ch[0])]

    # ---- timing phrases
    @v_args(meta=True)
    def timing(self, meta: Meta, ch: list[Any]) -> n.Timing:
        left, phrase, right = ch
        return n.Timing(self._loc(meta), left, phrase, right)

    def _b(self, tok: Token | None) -> str | None:
        return str(tok) if tok is not None else None

    @v_args(meta=True)
    def tp_same(self, meta: Meta, ch: list[Any]) -> n.TimingPhrase:
        boundary, precision, rel = ch
        words = str(rel).split()
        relation = words[-1] if len(words) > 1 else None
        return n.TimingPhrase(
            self._loc(meta), "same", boundary=self._b(boundary), precision=precision,
            relation=relation, or_on=relation is not None,
        )  # fmt: skip

    @v_args(meta=True)
    def tp_during(self, meta: Meta, ch: list[Any]) -> n.TimingPhrase:
        boundary, properly, precision = ch
        return n.TimingPhrase(
            self._loc(meta), "during", boundary=self._b(boundary),
            properly=properly is not None, precision=precision,
        )  # fmt: skip

    @v_args(meta=True)
    def tp_includes(self, meta: Meta, ch: list[Any]) -> n.TimingPhrase:
        properly, precision = ch
        return n.TimingPhrase(self._loc(meta), "includes", properly=properly is not None, precision=precision)

    @v_args(meta=True)
    def tp_before_after(self, meta: Meta, ch: list[Any]) -> n.TimingPhrase:
        boundary, offset, (relation, or_on), precision = ch
        quantity, mode = offset if offset else (None, None)
        return n.TimingPhrase(
            self._loc(meta), "before_after", boundary=self._b(boundary), precision=precision,
            relation=relation, or_on=or_on, offset=quantity, offset_mode=mode,
        )  # fmt: skip

    def relation(self, ch: list[Any]) -> tuple[str, bool]:
        first, second = ch
        if str(first).startswith("on"):
            return str(second), True
        return str(first), second is not None

    def offset(self, ch: list[Any]) -> tuple[n.QuantityLiteral, str]:
        if isinstance(ch[0], n.QuantityLiteral):
            mode = "exact" if ch[1] is None else "or_" + str(ch[1]).split()[-1]
            return ch[0], mode
        return ch[1], str(ch[0]).split()[0] + "_than"

    @v_args(meta=True)
    def tp_within(self, meta: Meta, ch: list[Any]) -> n.TimingPhrase:
        boundary, properly, quantity = ch
        return n.TimingPhrase(
            self._loc(meta), "within", boundary=self._b(boundary),
            properly=properly is not None, offset=quantity,
        )  # fmt: skip

    @v_args(meta=True)
    def tp_overlaps(self, meta: Meta, ch: list[Any]) -> n.TimingPhrase:
        rel, precision = ch
        return n.TimingPhrase(self._loc(meta), "overlaps", relation=self._b(rel), precision=precision)

    @v_args(meta=True)
    def tp_meets(self, meta: Meta, ch: list[Any]) -> n.TimingPhrase:
        rel, precision = ch
        return n.TimingPhrase(self._loc(meta), "meets", relation=self._b(rel), precision=precision)

    @v_args(meta=True)
    def tp_boundary(self, meta: Meta, ch: list[Any]) -> n.TimingPhrase:
        word, precision = ch
        return n.TimingPhrase(self._loc(meta), str(word), precision=precision)

    # ---- retrieves and queries
    @v_args(meta=True)
    def retrieve(self, meta: Meta, ch: list[Any]) -> n.Retrieve:
        type_spec, path, terminology = ch
        code_path, code_op = path if path else (None, None)
        return n.Retrieve(self._loc(meta), type_spec, code_path, code_op, terminology)

    def retrieve_in(self, ch: list[Any]) -> tuple[str, str]:
        return ch[0][0], "in"

    def retrieve_equivalent(self, ch: list[Any]) -> tuple[str, str]:
        return ch[0][0], "~"

    def retrieve_equal(self, ch: list[Any]) -> tuple[str, str]:
        return ch[0][0], "="

    @v_args(meta=True)
    def qualified_ref(self, meta: Meta, ch: list[Any]) -> n.Member:
        (lib, loc), (name, _) = ch
        return n.Member(self._loc(meta), n.Identifier(loc, lib), name)

    @v_args(meta=True)
    def query(self, meta: Meta, ch: list[Any]) -> n.Query:
        sources: tuple[n.AliasedSource, ...] = ch[0]
        lets: tuple[tuple[str, n.Expr], ...] = ()
        inclusions: list[n.Inclusion] = []
        where = None
        ret: tuple[bool, n.Expr] | None = None
        sort: tuple[n.SortItem, ...] = ()
        for item in ch[1:]:
            kind, value = item
            if kind == "let":
                lets = value
            elif kind == "inclusion":
                inclusions.append(value)
            elif kind == "where":
                where = value
            elif kind == "return":
                ret = value
            elif kind == "sort":
                sort = value
        return n.Query(
            self._loc(meta), sources, lets, tuple(inclusions), where,
            ret[1] if ret else None, ret[0] if ret else False, sort,
        )  # fmt: skip

    def source_clause(self, ch: list[n.AliasedSource]) -> tuple[n.AliasedSource, ...]:
        return tuple(ch)

    @v_args(meta=True)
    def aliased_source(self, meta: Meta, ch: list[Any]) -> n.AliasedSource:
        start = getattr(meta, "start_pos", None)
        parenthesized = start is not None and self.text[start : start + 1] == "("
        return n.AliasedSource(self._loc(meta), ch[0], ch[1][0], parenthesized)

    def let_clause(self, ch: list[Any]) -> tuple[str, Any]:
        return "let", tuple(ch)

    def let_item(self, ch: list[Any]) -> tuple[str, n.Expr]:
        return ch[0][0], ch[1]

    @v_args(meta=True)
    def with_clause(self, meta: Meta, ch: list[Any]) -> tuple[str, n.Inclusion]:
        return "inclusion", n.Inclusion(self._loc(meta), False, ch[0], ch[1])

    @v_args(meta=True)
    def without_clause(self, meta: Meta, ch: list[Any]) -> tuple[str, n.Inclusion]:
        return "inclusion", n.Inclusion(self._loc(meta), True, ch[0], ch[1])

    def where_clause(self, ch: list[Any]) -> tuple[str, n.Expr]:
        return "where", ch[0]

    def return_clause(self, ch: list[Any]) -> tuple[str, tuple[bool, n.Expr]]:
        mode, expr = ch
        return "return", (mode is None or str(mode) == "distinct", expr)

    @v_args(meta=True)
    def sort_plain(self, meta: Meta, ch: list[Any]) -> tuple[str, tuple[n.SortItem, ...]]:
        return "sort", (n.SortItem(self._loc(meta), None, str(ch[0]).startswith("desc")),)

    def sort_by(self, ch: list[n.SortItem]) -> tuple[str, tuple[n.SortItem, ...]]:
        return "sort", tuple(ch)

    @v_args(meta=True)
    def sort_item(self, meta: Meta, ch: list[Any]) -> n.SortItem:
        key, direction = ch
        desc = direction is not None and str(direction).startswith("desc")
        return n.SortItem(self._loc(meta), key, desc)

    # ---- terms
    @v_args(meta=True)
    def member(self, meta: Meta, ch: list[Any]) -> n.Member:
        source, (name, loc) = ch
        return n.Member(loc, source, name)

    @v_args(meta=True)
    def member_call(self, meta: Meta, ch: list[Any]) -> n.Call:
        source, (name, loc), args = ch
        return n.Call(loc, name, tuple(args or ()), qualifier=source)

    @v_args(meta=True)
    def indexer(self, meta: Meta, ch: list[Any]) -> n.Indexer:
        return n.Indexer(self._loc(meta), ch[0], ch[1])

    @v_args(meta=True)
    def call(self, meta: Meta, ch: list[Any]) -> n.Call:
        (name, loc), args = ch
        return n.Call(loc, name, tuple(args or ()))

    def arguments(self, ch: list[Any]) -> list[Any]:
        return ch

    def identifier_ref(self, ch: list[Any]) -> n.Identifier:
        name, loc = ch[0]
        return n.Identifier(loc, name)

    def bound_closed(self, ch: list[Any]) -> bool:
        return True

    def bound_open(self, ch: list[Any]) -> bool:
        return False

    @v_args(meta=True)
    def interval_selector(self, meta: Meta, ch: list[Any]) -> n.IntervalSelector:
        low_closed, low, high, high_closed = ch
        return n.IntervalSelector(self._loc(meta), low, high, low_closed, high_closed)

    @v_args(meta=True)
    def list_selector(self, meta: Meta, ch: list[Any]) -> n.ListSelector:
        return n.ListSelector(self._loc(meta), tuple(c for c in ch if c is not None))

    @v_args(meta=True)
    def typed_list_selector(self, meta: Meta, ch: list[Any]) -> n.ListSelector:
        return n.ListSelector(self._loc(meta), tuple(c for c in ch[1:] if c is not None), ch[0])

    @v_args(meta=True)
    def tuple_selector(self, meta: Meta, ch: list[Any]) -> n.TupleSelector:
        return n.TupleSelector(self._loc(meta), tuple(ch))

    def tuple_elem(self, ch: list[Any]) -> tuple[str, n.Expr]:
        return ch[0][0], ch[1]

    @v_args(meta=True)
    def instance_selector(self, meta: Meta, ch: list[Any]) -> n.InstanceSelector:
        return n.InstanceSelector(self._loc(meta), ch[0][0], tuple(ch[1:]))

    @v_args(meta=True)
    def code_instance_selector(self, meta: Meta, ch: list[Any]) -> n.InstanceSelector:
        return n.InstanceSelector(self._loc(meta), "Code", tuple(ch))

    @v_args(meta=True)
    def concept_instance_selector(self, meta: Meta, ch: list[Any]) -> n.InstanceSelector:
        return n.InstanceSelector(self._loc(meta), "Concept", tuple(ch))

    @v_args(meta=True)
    def code_selector(self, meta: Meta, ch: list[Any]) -> n.CodeSelector:
        code, (system, _), display = ch
        return n.CodeSelector(self._loc(meta), code, system, display)

    @v_args(meta=True)
    def concept_selector(self, meta: Meta, ch: list[Any]) -> n.ConceptSelector:
        return n.ConceptSelector(self._loc(meta), tuple(ch[:-1]), ch[-1])

    @v_args(meta=True)
    def if_then_else(self, meta: Meta, ch: list[Any]) -> n.IfThenElse:
        return n.IfThenElse(self._loc(meta), ch[0], ch[1], ch[2])

    @v_args(meta=True)
    def case_(self, meta: Meta, ch: list[Any]) -> n.Case:
        comparand, *items, otherwise = ch
        return n.Case(self._loc(meta), comparand, tuple(items), otherwise)

    def case_item(self, ch: list[Any]) -> tuple[n.Expr, n.Expr]:
        return ch[0], ch[1]

    # ---- literals (null/true/false/string/number/datetime/time are built in __default__)
    @v_args(meta=True)
    def quantity(self, meta: Meta, ch: list[Any]) -> n.QuantityLiteral:
        value, unit = ch
        unit_text = unit if isinstance(unit, str) and not isinstance(unit, Token) else str(unit)
        return n.QuantityLiteral(self._loc(meta), str(value), unit_text)


def _describe(exc: UnexpectedInput) -> str:
    if isinstance(exc, UnexpectedToken):
        got = "end of file" if exc.token.type == "$END" else repr(str(exc.token))
        expected = sorted(exc.expected)[:8]
        return f"unexpected {got}; expected one of {', '.join(expected)}"
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected character {exc.char!r}"
    if isinstance(exc, UnexpectedEOF):
        return "unexpected end of file"
    return str(exc)


def parse_text(text: str, file: str) -> n.LibrarySource:
    """Parse CQL source; raises CqlError (code `syntax`) with location and caret."""
    sink = ErrorSink({file: text})
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        loc = SourceLocation(file, exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else 1)
        sink.error(loc, "syntax", _describe(exc))
        sink.raise_if_any()
        raise AssertionError("unreachable") from exc
    result: n.LibrarySource = _ToNodes(file, text).transform(tree)
    return result


def parse_file(path: Path) -> n.LibrarySource:
    return parse_text(path.read_text(encoding="utf-8"), str(path))


__all__ = ["Diagnostic", "parse_file", "parse_text"]
