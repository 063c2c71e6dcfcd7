// `pnpm bench [scenario …]`: runs the benchmarks on this machine and prints one JSON document.
// Scenarios: baseline, throughput, latency, admission, limits, memory, cost, budgets, fairness, credits (default: all), and
// overview (seeds 1,000,000 runs: only when named) and gateway (the OpenAI-compatible gateway against Portkey's: only
// when named; it needs no BullMQ baseline, its figures are against the direct and Portkey figures of its own run).
// Every figure is measured in the same run as the raw BullMQ baseline, so ratios hold on a noisy machine.
import { cpus, totalmem } from 'node:os';
import { runOrExit } from './lib.mjs';

// Build output goes to stderr: stdout carries only the JSON result.

const all = ['baseline', 'throughput', 'latency', 'admission', 'limits', 'memory', 'cost', 'budgets', 'fairness', 'credits'];
const named = [...all, 'overview', 'gateway'];
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const scenarios = chosen.length ? chosen : all;
const unknown = scenarios.filter((s) => !named.includes(s));
if (unknown.length) {
  console.error(`Unknown scenario(s): ${unknown.join(', ')}. Choose from: ${named.join(', ')}`);
  process.exit(2);
}

await runOrExit('pnpm', ['run', '--silent', 'build', '--output-logs=errors-only'], { stdio: ['ignore', 2, 2] });
const bench = await import('../bench/runs.mjs');
const overviewBench = await import('../bench/overview.mjs');
const gatewayBench = await import('../bench/gateway.mjs');

const result = {
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  startedAt: new Date().toISOString(),
  results: {},
};
const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

const run = {
  baseline: () => bench.rawBullmqBaseline(),
  throughput: () => bench.endToEndThroughput(),
  latency: () => bench.addedLatency(),
  admission: () => bench.admissionLatency(),
  limits: () => bench.limitsPrecision(),
  memory: () => bench.workerMemory(),
  cost: () => bench.costPerRun(),
  budgets: () => bench.budgetThroughput(),
  fairness: () => bench.fairnessLatency(),
  credits: () => bench.creditsThroughput(),
  overview: () => overviewBench.overviewLatency(),
  gateway: () => gatewayBench.gatewayComparison(),
};
const needsBaseline = scenarios.some((s) => s !== 'gateway');
for (const name of [...(needsBaseline ? ['baseline'] : []), ...scenarios.filter((s) => s !== 'baseline')]) {
  log(`${name}…`);
  const t = Date.now();
  result.results[name] = await run[name]();
  log(`${name} done in ${Math.round((Date.now() - t) / 1000)} s: ${JSON.stringify(result.results[name])}`);
}

const r = result.results;
const bars = {};
if (r.throughput) {
  bars.throughputRunsPerSecond = { value: r.throughput.runsPerSecond, bar: 1000, pass: r.throughput.runsPerSecond >= 1000 };
  const ratio = r.throughput.runsPerSecond / r.baseline.jobsPerSecond;
  bars.throughputVsBaseline = { value: Math.round(ratio * 1000) / 1000, bar: 0.08, goal: 0.25, pass: ratio >= 0.08 };
  bars.cpuMsPerRun = { value: r.throughput.cpuMsPerRun, bar: 2.5, pass: r.throughput.cpuMsPerRun <= 2.5 };
}
if (r.latency) {
  bars.addedLatencyP50Ms = { value: r.latency.p50Ms, bar: 5, pass: r.latency.p50Ms <= 5 };
  bars.addedLatencyP99Ms = { value: r.latency.p99Ms, bar: 20, pass: r.latency.p99Ms <= 20 };
}
if (r.admission) bars.admissionP99Ms = { value: r.admission.p99Ms, bar: 50, pass: r.admission.p99Ms <= 50 };
if (r.limits) {
  bars.limitViolations = { value: r.limits.violations, bar: 0, pass: r.limits.violations === 0 };
  bars.limitUtilisation = { value: r.limits.utilisation, bar: 0.9, pass: r.limits.utilisation >= 0.9 };
}
if (r.budgets) {
  // The guardrail may cost at most 25% of the end-to-end throughput (issue 5).
  bars.budgetHotCost = { value: r.budgets.hotBudgetCost, bar: 0.25, pass: r.budgets.hotBudgetCost <= 0.25 };
  bars.budgetFiftyWorkspacesCost = { value: r.budgets.fiftyWorkspacesCost, bar: 0.25, pass: r.budgets.fiftyWorkspacesCost <= 0.25 };
}
// Issue 15: credits are a budget of the ledger; paying with them may cost what a budget may (issue 5's bar).
if (r.credits) bars.creditsCost = { value: r.credits.creditsCost, bar: 0.25, pass: r.credits.creditsCost <= 0.25 };
// Another account's backlog must not hold a run back (was a test threshold: p95 < 1.5 s).
if (r.fairness) bars.fairnessP95Ms = { value: r.fairness.p95Ms, bar: 1500, pass: r.fairness.p95Ms <= 1500 };
// Issue 12: Vaultrun's gateway (in the API; standalone as well) against Portkey's, same run, same fake provider.
if (r.gateway) {
  for (const [where, group] of Object.entries(r.gateway.bars)) for (const [name, b] of Object.entries(group)) bars[`gateway${where[0].toUpperCase()}${where.slice(1)}${name[0].toUpperCase()}${name.slice(1)}`] = b;
}
if (r.memory) bars.workerRssMb = { value: r.memory.rssMb, bar: 300, pass: r.memory.rssMb <= 300 };
result.bars = bars;
result.finishedAt = new Date().toISOString();
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
