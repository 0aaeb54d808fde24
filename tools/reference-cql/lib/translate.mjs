// CQL -> ELM JSON with the official translator (@cqframework/cql, Kotlin/JS build of cql-to-elm).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import {
  CqlCompilerOptions,
  CqlTranslator,
  LibraryManager,
  ModelManager,
  createLibrarySourceProvider,
  createModelInfoProvider,
  createUcumService,
  stringAsSource,
} from "@cqframework/cql/cql-to-elm";
import { fhirHelpersSource } from "./fhirhelpers.mjs";
import { fhirModelInfoPath, systemModelInfoPath } from "./paths.mjs";

const require = createRequire(import.meta.url);

/** Translation failure: `messages` are "file:line:col: error: text" lines. */
export class TranslationError extends Error {
  constructor(messages) {
    super(messages.join("\n"));
    this.messages = messages;
  }
}

function ucumService() {
  const ucum = require("@lhncbc/ucum-lhc").UcumLhcUtils.getInstance();
  const validate = (unit) => {
    const r = ucum.validateUnitString(unit, false);
    return r.status === "valid" ? null : `Invalid UCUM unit '${unit}': ${(r.msg ?? []).join("; ")}`;
  };
  const convert = (value, from, to) => {
    const r = ucum.convertUnitTo(from, Number(value), to);
    if (r.status !== "succeeded") throw new Error(`cannot convert ${from} to ${to}`);
    return String(r.toVal);
  };
  const unsupported = () => {
    throw new Error("UCUM unit arithmetic is not needed by the translator");
  };
  return createUcumService(convert, validate, unsupported, unsupported);
}

function compilerOptions() {
  const O = CqlCompilerOptions.Options;
  const options = new CqlCompilerOptions();
  options.setOptions([O.EnableLocators, O.EnableResultTypes, O.DisableListDemotion, O.DisableListPromotion]);
  return options;
}

/**
 * Position of a compiler message. TrackBack's Kotlin properties are not exported to JS (mangled names),
 * so the line and column are read from its toString() and the library from its VersionedIdentifier field.
 */
function locate(locator) {
  if (!locator) return { libName: null, line: 0, col: 0 };
  const m = /startLine=(\d+), startChar=(\d+)/.exec(String(locator));
  const lib = Object.values(locator).find((v) => v && typeof v === "object" && "id" in v);
  return { libName: lib?.id ?? null, line: m ? Number(m[1]) : 0, col: m ? Number(m[2]) : 0 };
}

const ktList = (list) => (list.asJsReadonlyArrayView ? list.asJsReadonlyArrayView() : [...list]);

/**
 * One translator session: a model manager with the System and FHIR 4.0.1 model infos, FHIRHelpers 4.0.1
 * built in, and included libraries looked up as <Name>.cql in the library paths.
 */
export class Translator {
  constructor(libPaths = []) {
    this.libPaths = libPaths.map((p) => resolve(p));
    this.files = new Map(); // library name -> file it was read from (for error locations)
    this.elmCache = new Map(); // absolute file path -> ELM JSON object
    const modelManager = new ModelManager();
    modelManager.modelInfoLoader.registerModelInfoProvider(
      createModelInfoProvider((id, _system, version) => {
        if (id === "System") return stringAsSource(readFileSync(systemModelInfoPath, "utf8"));
        if (id === "FHIR" && (version == null || version === "4.0.1")) {
          return stringAsSource(readFileSync(fhirModelInfoPath, "utf8"));
        }
        return null;
      }),
    );
    this.libraryManager = new LibraryManager(modelManager, compilerOptions(), null, ucumService());
    this.libraryManager.librarySourceLoader.registerProvider(
      createLibrarySourceProvider((id, _system, version) => {
        if (id === "FHIRHelpers" && (version == null || version === "4.0.1")) {
          this.files.set("FHIRHelpers", "<FHIRHelpers 4.0.1>");
          return stringAsSource(fhirHelpersSource());
        }
        const file = this.findLibrary(id);
        return file ? stringAsSource(readFileSync(file, "utf8")) : null;
      }),
    );
  }

  /** More include folders (a batch shares one session, so each library is translated once). */
  addLibPaths(paths) {
    for (const p of paths.map((x) => resolve(x))) if (!this.libPaths.includes(p)) this.libPaths.push(p);
  }

  findLibrary(name) {
    for (const dir of this.libPaths) {
      const file = join(dir, `${name}.cql`);
      if (existsSync(file)) {
        this.files.set(name, file);
        return file;
      }
    }
    return null;
  }

  /** Translate one file; returns {elm, includes: [{name, version, elm}], warnings}. Throws TranslationError. */
  translateFile(file) {
    const path = resolve(file);
    if (this.elmCache.has(path)) return { elm: this.elmCache.get(path), warnings: [] };
    const text = readFileSync(path, "utf8");
    const dir = dirname(path);
    if (!this.libPaths.includes(dir)) this.libPaths.push(dir);
    const declared = /^\s*library\s+("[^"]+"|\w+)/m.exec(text);
    if (declared) this.files.set(declared[1].replace(/"/g, ""), path);
    const translator = CqlTranslator.fromText(text, this.libraryManager);
    const format = (e) => {
      const { libName, line, col } = locate(e.locator);
      const where = libName && libName !== declared?.[1] ? (this.files.get(libName) ?? libName) : path;
      return `${where}:${line}:${col}: ${e.severity.name.toLowerCase()}: ${e.message}`;
    };
    const errors = ktList(translator.errors).map(format);
    if (errors.length > 0) throw new TranslationError(errors);
    const warnings = ktList(translator.warnings).map(format);
    const elm = JSON.parse(translator.toJson());
    this.elmCache.set(path, elm);
    return { elm, warnings };
  }

  /** ELM of a library and (recursively) of everything it includes, keyed by library name. */
  translateWithIncludes(file) {
    const out = new Map();
    const warnings = [];
    const visit = (f) => {
      const { elm, warnings: w } = this.translateFile(f);
      warnings.push(...w);
      out.set(elm.library.identifier.id, elm);
      for (const inc of elm.library.includes?.def ?? []) {
        if (out.has(inc.path)) continue;
        if (inc.path === "FHIRHelpers") {
          out.set("FHIRHelpers", this.fhirHelpersElm());
        } else {
          const incFile = this.files.get(inc.path) ?? this.findLibrary(inc.path);
          if (!incFile) throw new TranslationError([`${f}:0:0: error: library ${inc.path} not found`]);
          visit(incFile);
        }
      }
    };
    visit(file);
    return { libraries: out, warnings };
  }

  fhirHelpersElm() {
    if (!this.fhirHelpers) {
      const translator = CqlTranslator.fromText(fhirHelpersSource(), this.libraryManager);
      const errors = ktList(translator.errors).map((e) => {
        const { line, col } = locate(e.locator);
        return `<FHIRHelpers 4.0.1>:${line}:${col}: error: ${e.message}`;
      });
      if (errors.length > 0) throw new TranslationError(errors);
      this.fhirHelpers = JSON.parse(translator.toJson());
    }
    return this.fhirHelpers;
  }
}
