// cql-execution values -> plain JSON with explicit CQL types, so another engine can compare them.
//   null, booleans, numbers, strings as themselves; lists as arrays;
//   {"@type": "Code" | "Concept" | "Quantity" | "Ratio" | "Date" | "DateTime" | "Time" | "Interval" | "Tuple"
//             | "Resource" | "FHIR", ...}
import cql from "cql-execution";

export function toJson(v) {
  if (v == null) return null;
  if (typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : { "@type": "Number", value: String(v) };
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof cql.Code) {
    return { "@type": "Code", code: v.code ?? null, system: v.system ?? null, version: v.version ?? null, display: v.display ?? null };
  }
  if (v instanceof cql.Concept) return { "@type": "Concept", codes: (v.codes ?? []).map(toJson), display: v.display ?? null };
  if (v instanceof cql.Quantity) return { "@type": "Quantity", value: v.value ?? null, unit: v.unit ?? null };
  if (v instanceof cql.Ratio) return { "@type": "Ratio", numerator: toJson(v.numerator), denominator: toJson(v.denominator) };
  if (v instanceof cql.Interval) {
    return { "@type": "Interval", low: toJson(v.low), high: toJson(v.high), lowClosed: v.lowClosed, highClosed: v.highClosed };
  }
  if (v.isDateTime) return { "@type": "DateTime", value: v.toString() };
  if (v.isDate) return { "@type": "Date", value: v.toString() };
  if (v.isTime) return { "@type": "Time", value: v.toString() };
  if (typeof v.getTypeInfo === "function" && v._json !== undefined) {
    // cql-exec-fhir FHIRObject: a resource, or a FHIR element that no FHIRHelpers conversion touched.
    if (v._json && typeof v._json === "object" && v._json.resourceType) {
      return { "@type": "Resource", resourceType: v._json.resourceType, id: v._json.id ?? null };
    }
    return { "@type": "FHIR", fhirType: v.getTypeInfo()?.name ?? null, json: v._json };
  }
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const elements = {};
    for (const [k, x] of Object.entries(v)) elements[k] = toJson(x);
    return { "@type": "Tuple", elements };
  }
  return { "@type": "Unknown", js: String(v) };
}
