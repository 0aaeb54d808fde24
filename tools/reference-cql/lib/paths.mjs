// Locations of the model infos the translator needs (inside this tool and its node_modules).
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const toolRoot = dirname(here);
export const systemModelInfoPath = join(toolRoot, "modelinfo", "system-modelinfo.xml");
export const fhirModelInfoPath = join(
  dirname(require.resolve("cql-exec-fhir/package.json")),
  "lib",
  "modelInfos",
  "fhir-modelinfo-4.0.1.xml",
);
