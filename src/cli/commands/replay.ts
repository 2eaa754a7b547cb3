/**
 * `keel replay --events FILE.ndjson`: applies an event log to a fresh engine and prints every
 * decision, alert, audit record and refused line as NDJSON, then the final state. Deterministic:
 * the same file prints the same bytes (compute times only with --timing).
 */
import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { InstrumentRegistry } from '../../portfolio/instruments.js';
import type { RiskConfig } from '../../risk/config.js';
import { Engine } from '../../risk/engine.js';
import type { Envelope, InputEvent } from '../../risk/events.js';
import type { VarSeed } from '../../risk/state.js';
import { validateEnvelope } from '../../risk/validate.js';

export interface ReplayOptions {
  events: string;
  registry: InstrumentRegistry;
  risk: RiskConfig;
  varSeed: VarSeed | undefined;
  output: NodeJS.WritableStream;
  timing: boolean;
  snapshotOut?: string | undefined;
}

export interface ReplaySummary {
  lines: number;
  applied: number;
  decisions: number;
  approved: number;
  inputErrors: number;
}

export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const engine = new Engine(opts.registry, opts.risk, {
    varSeed: opts.varSeed,
    ...(opts.timing ? { timer: () => performance.now() * 1e6 } : {}),
  });
  const summary: ReplaySummary = { lines: 0, applied: 0, decisions: 0, approved: 0, inputErrors: 0 };
  const out = opts.output;
  const rl = createInterface({ input: createReadStream(opts.events, 'utf8'), crlfDelay: Infinity });
  for await (const raw of rl) {
    summary.lines++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      summary.inputErrors++;
      out.write(`${JSON.stringify({ type: 'input_error', line: summary.lines, errors: [{ field: '', problem: `not JSON: ${(e as Error).message}` }] })}\n`);
      continue;
    }
    const v = validateEnvelope(parsed);
    if (!v.ok) {
      summary.inputErrors++;
      out.write(`${JSON.stringify({ type: 'input_error', line: summary.lines, errors: v.errors })}\n`);
      continue;
    }
    summary.applied++;
    const decision = engine.process(v.event as Envelope<InputEvent>);
    if (decision !== undefined) {
      summary.decisions++;
      if (decision.approved) summary.approved++;
      const { computeNs, ...rest } = decision;
      const { order: _order, ...fields } = rest as typeof rest & { order?: unknown };
      out.write(`${JSON.stringify({ v: 1, type: 'decision', ...fields, ...(opts.timing ? { computeNs } : {}) })}\n`);
    }
    for (const o of engine.drainOutputs()) out.write(`${JSON.stringify({ v: 1, ...o })}\n`);
  }
  out.write(`${JSON.stringify({ v: 1, type: 'final', summary, report: engine.report() })}\n`);
  if (opts.snapshotOut !== undefined) writeFileSync(opts.snapshotOut, JSON.stringify(engine.snapshot()));
  return summary;
}
