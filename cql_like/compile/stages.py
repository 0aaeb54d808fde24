"""Compile a parsed library in named stages, collecting every error before reporting.

Stages: includes -> terminology (code systems, value sets, codes, concepts) -> parameters ->
defines and functions (compiled on demand, so a reference cycle is found where it closes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..codegen import fused
from ..codegen.function_call import VALUE_TYPES, define_reference, inlined_call, invoke, plain_define_reference
from ..context import EvaluationContext
from ..errors import ErrorSink, SourceLocation
from ..runtime.clinical import Code, Concept
from ..syntax import nodes as n
from ..terminology import LocalTerminology, ValueSet
from .closures import calling
from .conversions import to_sys
from .expressions import ExprCompiler
from .host import Backend
from .type_ops import resolve_type
from .types import READS_CONTEXT, Compiled, Fn, NodeFacts, assignable

FHIRHELPERS = "FHIRHelpers"
_MISSING = object()
_NO_EVIDENCE: frozenset[str] = frozenset()


@dataclass
class CompiledDefine:
    name: str
    loc: SourceLocation
    private: bool
    type: str = "Any"
    fn: Fn | None = None
    adds_evidence: bool = True  # its body can name a resource (a reference adds what the body named)


@dataclass
class CompiledFunction:
    name: str
    loc: SourceLocation
    private: bool
    params: tuple[tuple[str, str], ...]
    type: str = "Any"
    body: Fn | None = None
    # reads nothing but its arguments, and they are values compared by content: its results can be kept across
    # evaluations (concept-level tests such as "is this drug a platinum agent" repeat across patients)
    pure: bool = False
    kept: dict[Any, Any] = field(default_factory=dict, repr=False)  # pure results by argument values
    adds_evidence: bool = True  # its body can name a resource (a retrieve, a define, a query over resources)
    source: fused.Source | None = None  # the body as fused text, when it has one
    param_reads: frozenset[str] = frozenset()  # the parameters its body reads


@dataclass
class CompiledLibrary:
    name: str
    version: str | None
    file: str
    defines: dict[str, CompiledDefine] = field(default_factory=dict)
    functions: dict[str, list[CompiledFunction]] = field(default_factory=dict)
    parameters: dict[str, tuple[str, Fn | None]] = field(default_factory=dict)
    value_sets: dict[str, ValueSet] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    concepts: dict[str, Concept] = field(default_factory=dict)
    code_systems: dict[str, str] = field(default_factory=dict)
    includes: dict[str, CompiledLibrary] = field(default_factory=dict)
    private_names: set[str] = field(default_factory=set)
    # FHIR resource types this library's own retrieves (and its `Patient` context) read; included libraries
    # keep theirs, Library.retrieved_types joins them
    retrieved_types: set[str] = field(default_factory=set)
    is_fhirhelpers: bool = False
    backend: Backend = "generated"  # how its defines and functions were compiled (host.Backend)

    def with_includes(self) -> list[CompiledLibrary]:
        """This library and every library it includes, directly or not, each once."""
        found: dict[int, CompiledLibrary] = {}
        stack = [self]
        while stack:
            lib = stack.pop()
            if id(lib) not in found:
                found[id(lib)] = lib
                stack.extend(lib.includes.values())
        return list(found.values())


Loader = Callable[[str, str | None, SourceLocation], "CompiledLibrary | None"]


def fhirhelpers_library() -> CompiledLibrary:
    return CompiledLibrary(FHIRHELPERS, "4.0.1", "<built-in FHIRHelpers>", is_fhirhelpers=True)


class LibraryCompiler:
    """Turns one LibrarySource into a CompiledLibrary; `loader` compiles included libraries."""

    def __init__(self, source: n.LibrarySource, sink: ErrorSink, terminology: LocalTerminology,
                 loader: Loader, main: bool, backend: Backend = "generated") -> None:  # fmt: skip
        self.source = source
        self.sink = sink
        self.terminology = terminology
        self.loader = loader
        self.main = main
        self.out = CompiledLibrary(source.name or "Anonymous", source.version, source.file)
        self.out.backend = backend
        self.exprs = ExprCompiler(self, self.error, generated=backend == "generated")
        self._define_nodes = {d.name: d for d in source.defines}
        self._function_nodes: dict[str, list[n.FunctionDef]] = {}
        self._in_progress: list[str] = []
        # id(function) -> (function, its generated apply): one per function, shared by its call sites
        self._applies: dict[int, tuple[CompiledFunction, Callable[[EvaluationContext, Any], Any]]] = {}
        self.context = source.contexts[0].name if source.contexts else "Unfiltered"

    def error(self, loc: SourceLocation, code: str, message: str) -> None:
        self.sink.error(loc, code, message)

    # ---- stages
    def compile(self) -> CompiledLibrary:
        for stage in (self.stage_header, self.stage_includes, self.stage_terminology,
                      self.stage_parameters, self.stage_defines):  # fmt: skip
            stage()
        return self.out

    def stage_header(self) -> None:
        for using in self.source.usings:
            if using.model not in ("FHIR", "System"):
                self.error(using.loc, "unknown-model", f"model {using.model!r} is not supported (use FHIR)")
            elif using.model == "FHIR" and using.version not in (None, "4.0.1"):
                self.error(using.loc, "unknown-model", f"FHIR version {using.version!r} is not supported (use '4.0.1')")
        for ctx in self.source.contexts:
            if ctx.name not in ("Patient", "Unfiltered"):
                self.error(ctx.loc, "unsupported", f"context {ctx.name!r} is not supported (use Patient)")
        seen: dict[str, SourceLocation] = {}
        decls: list[tuple[str, SourceLocation]] = [
            *((d.name, d.loc) for d in self.source.defines),
            *((d.name, d.loc) for d in self.source.parameters),
            *((d.name, d.loc) for d in self.source.valuesets),
            *((d.name, d.loc) for d in self.source.codes),
            *((d.name, d.loc) for d in self.source.concepts),
            *((d.name, d.loc) for d in self.source.codesystems),
        ]
        for name, loc in decls:
            if name in seen:
                self.error(loc, "duplicate-definition", f"{name!r} is already defined at line {seen[name].line}")
            else:
                seen[name] = loc
        for f in self.source.functions:
            self._function_nodes.setdefault(f.name, []).append(f)
        src = self.source
        groups: list[tuple[n.ExpressionDef | n.ValueSetDef | n.CodeDef | n.ConceptDef | n.CodeSystemDef
                           | n.ParameterDef, ...]] = [
            src.defines, src.valuesets, src.codes, src.concepts, src.codesystems, src.parameters
        ]  # fmt: skip
        for group in groups:
            for d in group:
                if d.private:
                    self.out.private_names.add(d.name)

    def stage_includes(self) -> None:
        for inc in self.source.includes:
            if inc.name == FHIRHELPERS:
                if inc.version not in (None, "4.0.1"):
                    self.error(
                        inc.loc, "unknown-library", f"FHIRHelpers version {inc.version!r} is not built in (use '4.0.1')"
                    )
                self.out.includes[inc.alias] = fhirhelpers_library()
                continue
            lib = self.loader(inc.name, inc.version, inc.loc)
            if lib is not None:
                self.out.includes[inc.alias] = lib

    def stage_terminology(self) -> None:
        for cs in self.source.codesystems:
            self.out.code_systems[cs.name] = cs.url
        for vs_def in self.source.valuesets:
            vs = self.terminology.find(vs_def.url, vs_def.version)
            if vs is None:
                self.error(
                    vs_def.loc,
                    "unknown-valueset",
                    f"value set {vs_def.url} ({vs_def.name!r}) was not found in the terminology directories",
                )
                vs = ValueSet(vs_def.url, vs_def.version, frozenset(), {})
            elif vs.problem:
                self.error(vs_def.loc, "unexpandable-valueset", vs.problem)
            self.out.value_sets[vs_def.name] = vs
        for code in self.source.codes:
            url = self.code_system_url(code.system, code.loc)
            self.out.codes[code.name] = Code(code.code, url, None, code.display)
        for concept in self.source.concepts:
            codes = []
            for name in concept.codes:
                if name in self.out.codes:
                    codes.append(self.out.codes[name])
                else:
                    self.error(
                        concept.loc, "unknown-identifier", f"concept {concept.name!r} refers to unknown code {name!r}"
                    )
            self.out.concepts[concept.name] = Concept(tuple(codes), concept.display)

    def stage_parameters(self) -> None:
        for p in self.source.parameters:
            typ = resolve_type(p.type) if p.type else "Any"
            default = self.exprs.compile(p.default, {}) if p.default is not None else None
            if default is not None and typ == "Any":
                typ = default.type
            self.out.parameters[p.name] = (typ, default.fn if default else None)

    def stage_defines(self) -> None:
        for d in self.source.defines:
            self.define(d.name)
        for name, overloads in self._function_nodes.items():
            for f in overloads:
                self.function(name, f)

    # ---- on-demand compilation of defines and functions
    def define(self, name: str) -> CompiledDefine | None:
        done = self.out.defines.get(name)
        if done is not None and done.fn is not None:
            return done
        node = self._define_nodes.get(name)
        if node is None:
            return None
        if name in self._in_progress:
            cycle = " -> ".join([*self._in_progress[self._in_progress.index(name) :], name])
            self.error(node.loc, "cycle", f"definitions refer to each other in a cycle: {cycle}")
            return CompiledDefine(name, node.loc, node.private, "Any", lambda ctx: None)
        self._in_progress.append(name)
        try:
            body = self.exprs.compile_body(node.expression, {})
        finally:
            self._in_progress.pop()
        adds_evidence = body.facts.adds_evidence
        key = (self.out.file, name)
        reference = (
            define_reference(key, body, adds_evidence)
            if self.exprs.generated
            else plain_define_reference(key, body.fn, adds_evidence)
        )
        compiled = CompiledDefine(name, node.loc, node.private, body.type, reference, adds_evidence)
        self.out.defines[name] = compiled
        return compiled

    def function(self, name: str, node: n.FunctionDef) -> CompiledFunction:
        for done in self.out.functions.get(name, []):
            if done.loc == node.loc and done.body is not None:
                return done
        params = tuple((o.name, resolve_type(o.type)) for o in node.operands)
        key = f"function {name}"
        if key in self._in_progress:
            self.error(node.loc, "cycle", f"function {name!r} calls itself; recursion is not supported")
            return CompiledFunction(name, node.loc, node.private, params, "Any", lambda ctx: None)
        self._in_progress.append(key)
        try:
            body = self.exprs.compile_body(node.body, dict(params))
        finally:
            self._in_progress.pop()
        pure = not body.facts.reads_context and all(t in VALUE_TYPES for _, t in params)
        declared = resolve_type(node.return_type) if node.return_type is not None else None
        if declared is not None and not assignable(body.type, declared):
            self.error(
                node.body.loc, "type-mismatch",
                f"function {name!r} is declared to return {declared} but its body is {body.type}",
            )  # fmt: skip
        compiled = CompiledFunction(name, node.loc, node.private, params, body.type, body.fn, pure,
                                    adds_evidence=body.facts.adds_evidence, source=body.src,
                                    param_reads=body.facts.reads & {p for p, _ in params})  # fmt: skip
        self.out.functions.setdefault(name, []).append(compiled)
        return compiled

    # ---- name resolution used by the expression compiler
    def note_retrieved(self, resource_type: str) -> None:
        self.out.retrieved_types.add(resource_type)

    def is_library_alias(self, name: str) -> bool:
        return name in self.out.includes

    def is_fhirhelpers(self, alias: str) -> bool:
        return self.out.includes[alias].is_fhirhelpers

    def code_system_url(self, name: str, loc: SourceLocation) -> str | None:
        url = self.out.code_systems.get(name)
        if url is None:
            self.error(
                loc, "unknown-codesystem", f"code system {name!r} is not declared (add `codesystem \"{name}\": 'url'`)"
            )
        return url

    def resolve_identifier(self, name: str, loc: SourceLocation) -> Compiled | None:
        if name in self._define_nodes:
            d = self.define(name)
            if d is None or d.fn is None:
                return None
            return _define_node(d)
        return self._resolve_in(self.out, name, local=True) or self._context_identifier(name)

    def _context_identifier(self, name: str) -> Compiled | None:
        if name == "Patient" and self.context == "Patient":
            self.out.retrieved_types.add("Patient")
            return Compiled(lambda ctx: ctx.record.patient, "FHIR.Patient", facts=READS_CONTEXT)
        return None

    def _resolve_in(self, lib: CompiledLibrary, name: str, local: bool) -> Compiled | None:
        if not local and name in lib.private_names:
            return None
        if name in lib.parameters:
            typ, default = lib.parameters[name]
            return self._parameter_read(lib, name, default, self.main and local, typ)
        if name in lib.value_sets:
            vs = lib.value_sets[name]
            return Compiled(lambda ctx: vs, "ValueSet", True)
        if name in lib.codes:
            code = lib.codes[name]
            return Compiled(lambda ctx: code, "Code", True)
        if name in lib.concepts:
            concept = lib.concepts[name]
            return Compiled(lambda ctx: concept, "Concept", True)
        if name in lib.code_systems:
            url = lib.code_systems[name]
            return Compiled(lambda ctx: url, "CodeSystem", True)
        if not local and name in lib.defines:
            d = lib.defines[name]
            if d.fn is not None:
                return _define_node(d)
        return None

    def _parameter_read(self, lib: CompiledLibrary, name: str, default: Fn | None, overridable: bool,
                        typ: str) -> Compiled:  # fmt: skip
        read = _parameter(lib, name, default, overridable)
        if not self.exprs.generated:
            return Compiled(read, typ, facts=READS_CONTEXT)
        # read as text (a parameter in a query's where is read once per item): the value given, else the default
        # once computed; `read` runs only when neither is there yet
        f, v = fused.constant(read), fused.fresh("v")
        if overridable:
            missing, given = fused.constant(_MISSING), fused.constant(name)
            text = f"({v} if ({v} := ctx.parameters.get({given.text}, {missing.text})) is not {missing.text} else "
            return Compiled.fused(f"{text}{f.text}(ctx))", (f, missing, given), typ, facts=READS_CONTEXT)
        key = fused.constant(_parameter_key(lib, name))
        text = f"({v}[0] if ({v} := ctx.cache.get({key.text})) is not None else {f.text}(ctx))"
        return Compiled.fused(text, (f, key), typ, facts=READS_CONTEXT)

    def resolve_qualified(self, alias: str, name: str, loc: SourceLocation) -> Compiled | None:
        return self._resolve_in(self.out.includes[alias], name, local=False)

    def call_user(self, name: str, args: list[Compiled], loc: SourceLocation, qualifier: str | None) -> Compiled | None:
        if qualifier is None:
            candidates = [f for f in self._function_nodes.get(name, []) if len(f.operands) == len(args)]
            if not candidates:
                return None
            target = self.function(name, candidates[0])
        else:
            lib = self.out.includes[qualifier]
            overloads = [f for f in lib.functions.get(name, []) if len(f.params) == len(args) and not f.private]
            if not overloads:
                return None
            target = overloads[0]
        # what the body does, but its parameter reads (the call provides them); the arguments' facts are the
        # call node's children's
        facts = NodeFacts(adds_evidence=target.adds_evidence, reads_context=not target.pure)
        operands = [to_sys(self.exprs, a) if not p[1].startswith("FHIR.") else a
                    for a, p in zip(args, target.params, strict=True)]  # fmt: skip
        if not self.exprs.generated:
            # every call through the plain path: the arguments as a tuple, evaluated left to right
            return Compiled(calling(invoke(target, generated=False), [_arguments(operands)], with_ctx=True),
                            target.type, facts=facts)  # fmt: skip
        parts = tuple(fused.of(a) for a in operands)
        inlined = inlined_call(target, parts)
        if inlined is not None:
            return Compiled(None, target.type, src=inlined, facts=facts)
        made = self._applies.get(id(target))
        if made is None:
            made = self._applies[id(target)] = (target, invoke(target))
        apply = fused.constant(made[1])
        # one argument is passed as it is, more as a tuple (evaluated left to right, like the closures did)
        arguments = parts[0].text if len(parts) == 1 else f"({''.join(p.text + ', ' for p in parts)})"
        return Compiled.fused(f"{apply.text}(ctx, {arguments})", (apply, *parts), target.type, facts=facts)


def _define_node(d: CompiledDefine) -> Compiled:
    """A reference to a define: it reads the evaluation's cache, and adds the evidence the define's body named."""
    return Compiled(d.fn, d.type, facts=NodeFacts(adds_evidence=d.adds_evidence, reads_context=True))


def _arguments(operands: list[Compiled]) -> Fn:
    fns = tuple(a.fn for a in operands)
    return lambda ctx: tuple([f(ctx) for f in fns])


def _parameter_key(lib: CompiledLibrary, name: str) -> tuple[str, str]:
    """The evaluation cache entry of a parameter's default."""
    return (lib.file, "parameter " + name)


def _parameter(lib: CompiledLibrary, name: str, default: Fn | None, overridable: bool) -> Fn:
    key = _parameter_key(lib, name)

    def parameter(ctx: EvaluationContext) -> Any:
        if overridable and name in ctx.parameters:
            return ctx.parameters[name]
        hit = ctx.cache.get(key)
        if hit is None:
            hit = (default(ctx) if default is not None else None, frozenset())
            ctx.cache[key] = hit
        return hit[0]

    return parameter
