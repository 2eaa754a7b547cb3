/**
 * The exchange simulator's sustained rate: `keel sim` in its own process at a configured flow,
 * with every feed's real adapter connected from a second process (so the encoders have
 * subscribers), for a fixed window; reports market ticks/s and frames/s delivered per feed, read
 * from the simulator's own counters (GET /_sim/stats).
 *
 *   node --import tsx bench/sim-rate.ts [--rate 50000] [--seconds 15] [--json]
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import { CountingDeadLetterSink } from '../src/feeds/dlq.js';
import { startFeeds } from '../src/feeds/runner.js';
import { machineInfo, machineLine, saveResult } from './lib/machine.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, fallback: number): number {
  const k = process.argv.indexOf(name);
  return k < 0 ? fallback : Number(process.argv[k + 1]);
}

async function main(): Promise<void> {
  const rate = arg('--rate', 50_000);
  const seconds = arg('--seconds', 15);
  const json = process.argv.includes('--json');
  // A config directory identical to config/ but with the simulator's flow at `rate`.
  const dir = mkdtempSync(join(tmpdir(), 'keel-sim-rate-'));
  cpSync(join(ROOT, 'config'), dir, { recursive: true });
  for (const file of ['sim.yaml', 'risk.yaml']) {
    const text = readFileSync(join(dir, file), 'utf8').replaceAll('../data/', `${join(ROOT, 'data')}/`);
    writeFileSync(join(dir, file), file === 'sim.yaml' ? text.replace(/messagesPerSecond: *\d+/, `messagesPerSecond: ${rate}`) : text);
  }
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const sim = spawn(process.execPath, [join(ROOT, 'bin/keel.js'), '--config', dir, '--log-level', 'warn', 'sim', '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    sim.stdout!.on('data', (b: Buffer) => (b.toString().includes('listening') ? resolve() : undefined));
    sim.on('exit', (code) => reject(new Error(`keel sim exited with ${code}`)));
  });
  const loaded = loadConfig(dir);
  if (!loaded.ok) throw new Error('config');
  const config = loaded.config;
  let events = 0;
  const logger = pino({ level: 'silent' });
  const feeds = startFeeds({
    registry: config.registry,
    feeds: config.feeds,
    endpoint: (feed) => ({ url: `ws://127.0.0.1:${port}/${feed}`, restUrl: `http://127.0.0.1:${port}/${feed}` }),
    emit: () => {
      events++;
    },
    deadLetters: new CountingDeadLetterSink({ logger }),
    logger,
  });
  await new Promise((r) => setTimeout(r, 3000)); // connect, subscribe, snapshots
  const stats = async (): Promise<{ uptimeMs: number; ticks: number; feeds: Record<string, { sent: number }> }> =>
    (await (await fetch(`http://127.0.0.1:${port}/_sim/stats`)).json()) as never;
  const a = await stats();
  const e0 = events;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await stats();
  const e1 = events;
  await feeds.close();
  sim.kill('SIGTERM');
  const dt = (b.uptimeMs - a.uptimeMs) / 1000;
  const perFeed: Record<string, number> = {};
  let frames = 0;
  for (const [feed, s] of Object.entries(b.feeds)) {
    const n = (s.sent - (a.feeds[feed]?.sent ?? 0)) / dt;
    perFeed[feed] = Math.round(n);
    frames += n;
  }
  const result = {
    bench: 'sim-rate',
    date: new Date().toISOString(),
    machine: machineInfo(),
    configuredTicksPerSec: rate,
    seconds: dt,
    ticksPerSec: Math.round((b.ticks - a.ticks) / dt),
    framesPerSec: Math.round(frames),
    framesPerSecByFeed: perFeed,
    normalizedEventsPerSecReceived: Math.round((e1 - e0) / dt),
  };
  saveResult('sim-rate', result);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(`machine: ${machineLine(result.machine)}\n`);
    process.stdout.write(`simulator at ${rate}/s configured: ${result.ticksPerSec} market ticks/s, ${result.framesPerSec} frames/s to clients, ${result.normalizedEventsPerSecReceived} normalized events/s received\n`);
    process.stdout.write(`${JSON.stringify(perFeed)}\n`);
  }
}

await main();
