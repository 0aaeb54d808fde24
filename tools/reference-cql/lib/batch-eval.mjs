// Evaluate batch records against prepared libraries, in this thread or split over worker threads
// (one Node process either way; the translator runs once, in the main thread).
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { PreparedLibrary, parseNow } from "./evaluate.mjs";

/** Results of every (record, library) pair of `records`, in order. */
export async function evaluateRecords(prepared, records) {
  const bundles = new Map();
  const bundleOf = (path) => {
    if (!bundles.has(path)) bundles.set(path, JSON.parse(readFileSync(path, "utf8")));
    return bundles.get(path);
  };
  const results = [];
  for (const record of records) {
    const now = parseNow(record.now);
    for (const id of record.libraries ?? Object.keys(prepared)) {
      if (!prepared[id]) continue;
      try {
        const r = await prepared[id].evaluate(bundleOf(record.data), now, record.parameters ?? {});
        results.push({ library: id, record: record.id, ...r });
      } catch (e) {
        results.push({ library: id, record: record.id, defines: {}, errors: { "*": String(e?.message ?? e) }, ms: 0 });
      }
    }
  }
  return results;
}

/** Records split over up to `threads` workers, balanced by bundle size x libraries; results in job order. */
export async function evaluateInWorkers(prepared, records, threads = Math.min(2, availableParallelism())) {
  if (threads < 2 || records.length < 4) return evaluateRecords(prepared, records);
  const cost = (r) => (r.libraries ?? Object.keys(prepared)).length * (1 + readFileSync(r.data).length / 4096);
  const order = records.map((r, i) => [i, cost(r)]).sort((a, b) => b[1] - a[1]);
  const shares = Array.from({ length: threads }, () => ({ load: 0, indexes: [] }));
  for (const [i, c] of order) {
    const share = shares.reduce((a, b) => (b.load < a.load ? b : a));
    share.load += c;
    share.indexes.push(i);
  }
  const libraries = Object.fromEntries(Object.entries(prepared).map(([id, p]) => [id, p.source]));
  const parts = await Promise.all(
    shares.map(
      (share) =>
        new Promise((resolve, reject) => {
          const chunk = share.indexes.sort((a, b) => a - b).map((i) => records[i]);
          const worker = new Worker(new URL(import.meta.url), { workerData: { libraries, records: chunk } });
          worker.once("message", (results) => resolve({ chunk, results }));
          worker.once("error", reject);
        }),
    ),
  );
  const byRecord = new Map();
  for (const { results } of parts) {
    for (const r of results) {
      if (!byRecord.has(r.record)) byRecord.set(r.record, []);
      byRecord.get(r.record).push(r);
    }
  }
  return records.flatMap((r) => byRecord.get(r.id) ?? []);
}

if (!isMainThread && workerData?.records) {
  const prepared = {};
  for (const [id, src] of Object.entries(workerData.libraries)) {
    prepared[id] = new PreparedLibrary(src.libraries, src.mainName, src.valueSetDirs);
  }
  parentPort.postMessage(await evaluateRecords(prepared, workerData.records));
}
