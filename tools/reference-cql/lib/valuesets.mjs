// FHIR R4 ValueSet JSON files -> cql-execution CodeService.
// Codes come from expansion.contains (nested contains included) when present, else compose.include[].concept.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import cql from "cql-execution";

function expansionCodes(contains, out) {
  for (const c of contains ?? []) {
    if (c.code != null && c.system != null && c.abstract !== true) {
      out.push({ code: c.code, system: c.system, version: c.version });
    }
    expansionCodes(c.contains, out);
  }
  return out;
}

/** Codes of one ValueSet resource. */
export function valueSetCodes(vs) {
  if (vs.expansion && Array.isArray(vs.expansion.contains)) return expansionCodes(vs.expansion.contains, []);
  const out = [];
  for (const inc of vs.compose?.include ?? []) {
    for (const concept of inc.concept ?? []) out.push({ code: concept.code, system: inc.system, version: inc.version });
  }
  return out;
}

function* jsonFiles(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* jsonFiles(path);
    else if (name.endsWith(".json")) yield path;
  }
}

/** {url: {version: [codes]}} from every ValueSet JSON file under the given directories. */
export function loadValueSets(dirs) {
  const sets = {};
  for (const dir of dirs) {
    for (const file of jsonFiles(dir)) {
      const vs = JSON.parse(readFileSync(file, "utf8"));
      if (vs.resourceType !== "ValueSet" || !vs.url) continue;
      const version = vs.version ?? "";
      sets[vs.url] ??= {};
      sets[vs.url][version] = valueSetCodes(vs);
    }
  }
  return sets;
}

export function codeService(dirs) {
  return new cql.CodeService(loadValueSets(dirs));
}
