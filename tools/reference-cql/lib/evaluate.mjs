// Evaluate every define of a translated library with cql-execution over one FHIR Bundle (cql-exec-fhir).
import cql from "cql-execution";
import cqlfhir from "cql-exec-fhir";
import { createRequire } from "node:module";
import { codeService } from "./valuesets.mjs";
import { toJson } from "./values.mjs";

const { ParameterDef } = createRequire(import.meta.url)("cql-execution/lib/elm/parameters");

/** "2026-11-23" or a full ISO date-time -> cql.DateTime (UTC when no offset is given). */
export function parseNow(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!m) throw new Error(`--now must be YYYY-MM-DD or an ISO date-time, got ${text}`);
  let offset = 0;
  if (m[8] && m[8] !== "Z") {
    const sign = m[8][0] === "-" ? -1 : 1;
    offset = sign * (Number(m[8].slice(1, 3)) + Number(m[8].slice(4, 6)) / 60);
  }
  const n = (s) => (s == null ? 0 : Number(s));
  return new cql.DateTime(n(m[1]), n(m[2]), n(m[3]), n(m[4]), n(m[5]), n(m[6]), Number((m[7] ?? "0").padEnd(3, "0")), offset);
}

// cql-execution 3.3.2 bug: a parameter with neither a value nor a default evaluates to its ParameterDef object
// (elm/parameters.js returns the definition found in the library), which then compares unequal to everything.
// CQL 1.5 §5.3 (Parameters): such a parameter is null. Patched here so the reference answers per the spec.
const originalParameterExec = ParameterDef.prototype.exec;
ParameterDef.prototype.exec = async function exec(ctx) {
  const value = await originalParameterExec.call(this, ctx);
  return value instanceof ParameterDef ? null : value;
};

// cql-exec-fhir parses the FHIR model info XML in every PatientSource constructor (~100 ms); one source is
// reused for every evaluation (reset, then one bundle).
let sharedSource = null;
function patientFor(bundle) {
  sharedSource ??= cqlfhir.PatientSource.FHIRv401();
  sharedSource.reset();
  sharedSource.loadBundles([bundle]);
  return memoizeRetrieves(sharedSource.currentPatient());
}

// cql-exec-fhir filters the whole bundle and wraps every match in a new FHIRObject on each retrieve; a retrieve
// inside a function called once per order is then quadratic. The bundle does not change during an evaluation,
// so each (type, profile) lookup is done once per patient; code and date filters still run in cql-execution.
function memoizeRetrieves(patient) {
  const findRecords = patient.findRecords.bind(patient);
  const memo = new Map();
  patient.findRecords = (profile, retrieveDetails) => {
    const key = `${retrieveDetails?.datatype ?? ""}|${profile ?? ""}`;
    if (!memo.has(key)) memo.set(key, findRecords(profile, retrieveDetails));
    return memo.get(key);
  };
  return patient;
}

/** A library ready to run: main ELM + its includes + the value sets it can see. */
export class PreparedLibrary {
  constructor(libraries, mainName, valueSetDirs) {
    const elms = Object.fromEntries(libraries);
    this.source = { libraries: [...libraries], mainName, valueSetDirs }; // what a worker thread needs to rebuild it
    this.name = mainName;
    this.library = new cql.Library(elms[mainName], new cql.Repository(elms));
    this.codeService = codeService(valueSetDirs);
    this.parameters = (elms[mainName].library.parameters?.def ?? []).map((p) => p.name);
    this.types = {};
    for (const def of elms[mainName].library.statements?.def ?? []) {
      if (def.type === "FunctionDef") continue;
      this.types[def.name] = def.resultTypeName ?? describeType(def.resultTypeSpecifier ?? def.expression?.resultTypeSpecifier);
    }
  }

  /** {defines: {name: value}, errors: {name: message}, ms} for one bundle. */
  async evaluate(bundle, now, parameters = {}) {
    const started = process.hrtime.bigint();
    const patient = patientFor(bundle);
    const ctx = new cql.PatientContext(this.library, patient, this.codeService, parameters, now, new cql.NullMessageListener());
    const raw = {};
    const errors = {};
    for (const [name, expr] of Object.entries(this.library.expressions)) {
      if (expr.context !== "Patient") continue;
      try {
        raw[name] = await expr.execute(ctx);
      } catch (e) {
        errors[name] = String(e?.message ?? e);
      }
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const defines = {};
    for (const [name, value] of Object.entries(raw)) defines[name] = toJson(value);
    return { defines, errors, ms };
  }
}

function describeType(spec) {
  if (!spec) return null;
  switch (spec.type) {
    case "NamedTypeSpecifier":
      return spec.name;
    case "ListTypeSpecifier":
      return `List<${describeType(spec.elementType)}>`;
    case "IntervalTypeSpecifier":
      return `Interval<${describeType(spec.pointType)}>`;
    case "TupleTypeSpecifier":
      return `Tuple{${(spec.element ?? []).map((e) => `${e.name} ${describeType(e.elementType ?? e.type)}`).join(", ")}}`;
    case "ChoiceTypeSpecifier":
      return `Choice<${(spec.choice ?? []).map(describeType).join(", ")}>`;
    default:
      return spec.type ?? null;
  }
}
