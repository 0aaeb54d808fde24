#!/usr/bin/env node
// Reference CQL tool: official CQL-to-ELM translator (@cqframework/cql) + cql-execution/cql-exec-fhir.
// Usage: see README.md in this folder, or run `node tools/reference-cql/cli.mjs help`.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

// The Kotlin/JS translator logs through console.* and println (process.stdout); keep stdout for results only.
const toStderr = (...args) => process.stderr.write(`${args.map(String).join(" ")}\n`);
console.log = console.info = console.debug = console.warn = toStderr;
const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);

const { Translator, TranslationError } = await import("./lib/translate.mjs");
const { PreparedLibrary, parseNow } = await import("./lib/evaluate.mjs");
const { evaluateInWorkers } = await import("./lib/batch-eval.mjs");

const USAGE = `usage:
  cli.mjs check PATH... [--lib-path DIR]...           translate every .cql under PATH; exit 1 on any error
  cli.mjs translate FILE.cql... [--lib-path DIR]... [--out DIR]
                                                      ELM JSON (stdout, or DIR/<Library>.json incl. includes)
  cli.mjs eval FILE.cql --data BUNDLE.json [--lib-path DIR]... [--valuesets DIR]... [--now YYYY-MM-DD]
               [--param NAME=VALUE]... [--define NAME]  every define's value as JSON
  cli.mjs batch JOB.json|-                            many libraries x many records in one process (JSON)`;

function parseArgs(argv) {
  const out = { positional: [], libPaths: [], valueSets: [], params: {}, defines: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--lib-path") out.libPaths.push(next());
    else if (a === "--valuesets") out.valueSets.push(next());
    else if (a === "--data") out.data = next();
    else if (a === "--now") out.now = next();
    else if (a === "--out") out.out = next();
    else if (a === "--define") out.defines.push(next());
    else if (a === "--param") {
      const kv = next();
      const eq = kv.indexOf("=");
      if (eq < 1) fail(`--param wants NAME=VALUE, got ${kv}`);
      out.params[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a.startsWith("--")) fail(`unknown option ${a}\n${USAGE}`);
    else out.positional.push(a);
  }
  return out;
}

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function cqlFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  const found = [];
  for (const name of readdirSync(path).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const p = join(path, name);
    if (statSync(p).isDirectory()) found.push(...cqlFiles(p));
    else if (name.endsWith(".cql")) found.push(p);
  }
  return found;
}

/** Library paths for a file: explicit ones, its own folder, and any `_shared` folder above it (policies/_shared). */
function libPathsFor(file, explicit) {
  const paths = [...explicit];
  let dir = dirname(resolve(file));
  paths.push(dir);
  for (let i = 0; i < 4 && dir !== dirname(dir); i++, dir = dirname(dir)) {
    const shared = join(dir, "_shared");
    if (existsSync(shared) && statSync(shared).isDirectory()) paths.push(shared);
  }
  return [...new Set(paths.map((p) => resolve(p)))];
}

function writeJson(value) {
  stdoutWrite(`${JSON.stringify(value, null, 1)}\n`);
}

function check(args) {
  if (args.positional.length === 0) fail(USAGE);
  let failed = 0;
  let count = 0;
  for (const file of args.positional.flatMap(cqlFiles)) {
    count++;
    try {
      const t = new Translator(libPathsFor(file, args.libPaths));
      const { warnings } = t.translateWithIncludes(file);
      for (const w of warnings) process.stderr.write(`${w}\n`);
      process.stderr.write(`ok ${file}\n`);
    } catch (e) {
      if (!(e instanceof TranslationError)) throw e;
      failed++;
      for (const m of e.messages) process.stderr.write(`${m}\n`);
    }
  }
  process.stderr.write(`${count - failed} of ${count} libraries translate cleanly\n`);
  return failed === 0 && count > 0 ? 0 : 1;
}

function translate(args) {
  if (args.positional.length === 0) fail(USAGE);
  const all = {};
  let failed = false;
  for (const file of args.positional) {
    try {
      const t = new Translator(libPathsFor(file, args.libPaths));
      const { libraries, warnings } = t.translateWithIncludes(file);
      for (const w of warnings) process.stderr.write(`${w}\n`);
      for (const [name, elm] of libraries) all[name] = elm;
      if (!args.out && args.positional.length === 1) all.__main = libraries.values().next().value;
    } catch (e) {
      if (!(e instanceof TranslationError)) throw e;
      failed = true;
      for (const m of e.messages) process.stderr.write(`${m}\n`);
    }
  }
  if (failed) return 1;
  if (args.out) {
    mkdirSync(args.out, { recursive: true });
    for (const [name, elm] of Object.entries(all)) writeFileSync(join(args.out, `${name}.json`), JSON.stringify(elm, null, 1));
  } else if (all.__main) {
    writeJson(all.__main);
  } else {
    writeJson(all);
  }
  return 0;
}

function prepare(file, libPaths, valueSets, session = null) {
  const t = session ?? new Translator([]);
  t.addLibPaths(libPathsFor(file, libPaths));
  const { libraries, warnings } = t.translateWithIncludes(file);
  const mainName = libraries.keys().next().value;
  return { prepared: new PreparedLibrary(libraries, mainName, valueSets), warnings };
}

async function evalOne(args) {
  if (args.positional.length !== 1 || !args.data) fail(USAGE);
  const file = args.positional[0];
  let prepared;
  try {
    prepared = prepare(file, args.libPaths, valueSetDirsFor(file, args.valueSets)).prepared;
  } catch (e) {
    if (!(e instanceof TranslationError)) throw e;
    for (const m of e.messages) process.stderr.write(`${m}\n`);
    return 1;
  }
  const bundle = JSON.parse(readFileSync(args.data, "utf8"));
  const now = parseNow(args.now ?? new Date().toISOString().slice(0, 10));
  const result = await prepared.evaluate(bundle, now, args.params);
  if (args.defines.length > 0) {
    for (const key of ["defines", "errors"]) {
      result[key] = Object.fromEntries(Object.entries(result[key]).filter(([k]) => args.defines.includes(k)));
    }
  }
  writeJson({ library: prepared.name, types: prepared.types, ...result });
  return Object.keys(result.errors).length > 0 ? 1 : 0;
}

/** Value sets a library sees by default: valuesets/ next to it and in each _shared folder on its path. */
function valueSetDirsFor(file, explicit) {
  if (explicit.length > 0) return explicit;
  return libPathsFor(file, []).map((d) => join(d, "valuesets")).filter((d) => existsSync(d));
}

/**
 * Batch job (JSON):
 * {"libraries": [{"id", "file", "libPaths"?: [], "valueSets"?: []}],
 *  "records":   [{"id", "data": "bundle.json", "now": "YYYY-MM-DD", "parameters"?: {}, "libraries"?: [ids]}],
 *  "timing":    [{"library": id, "record": id, "repeat": n}]}
 * Output: {"translation": {id: {ok, errors, warnings, name, types, parameters}}, "results": [{library, record, defines, errors, ms}],
 *          "timing": [{library, record, runs, median_ms, min_ms}]}
 */
async function batch(args) {
  if (args.positional.length !== 1) fail(USAGE);
  const src = args.positional[0];
  const job = JSON.parse(readFileSync(src === "-" ? 0 : src, "utf8"));
  const translation = {};
  const prepared = {};
  const session = new Translator([]); // one translator session: FHIRHelpers and shared includes translate once
  for (const lib of job.libraries ?? []) {
    try {
      const { prepared: p, warnings } = prepare(lib.file, lib.libPaths ?? [], valueSetDirsFor(lib.file, lib.valueSets ?? []), session);
      prepared[lib.id] = p;
      translation[lib.id] = { ok: true, errors: [], warnings, name: p.name, types: p.types, parameters: p.parameters };
    } catch (e) {
      if (!(e instanceof TranslationError)) throw e;
      translation[lib.id] = { ok: false, errors: e.messages, warnings: [] };
    }
  }
  const records = new Map((job.records ?? []).map((r) => [r.id, r]));
  const threads = Number(process.env.REFERENCE_CQL_THREADS ?? 2);
  const results = await evaluateInWorkers(prepared, job.records ?? [], threads);
  const bundles = new Map();
  const bundleOf = (path) => {
    if (!bundles.has(path)) bundles.set(path, JSON.parse(readFileSync(path, "utf8")));
    return bundles.get(path);
  };
  const timing = [];
  for (const t of job.timing ?? []) {
    const record = records.get(t.record);
    const p = prepared[t.library];
    if (!record || !p) continue;
    const now = parseNow(record.now);
    const times = [];
    const repeat = Math.max(1, t.repeat ?? 20);
    for (let i = 0; i < repeat + 3; i++) {
      const r = await p.evaluate(bundleOf(record.data), now, record.parameters ?? {});
      if (i >= 3) times.push(r.ms); // first runs warm the JIT
    }
    times.sort((a, b) => a - b);
    timing.push({ library: t.library, record: t.record, runs: times.length, median_ms: times[times.length >> 1], min_ms: times[0] });
  }
  writeJson({ translation, results, timing });
  return 0;
}

const [command, ...rest] = process.argv.slice(2);
const args = parseArgs(rest);
const commands = { check, translate, eval: evalOne, batch };
if (!commands[command]) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(command === "help" || command === "--help" ? 0 : 2);
}
process.exitCode = await commands[command](args);
