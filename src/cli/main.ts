/**
 * The `keel` command line. Every command validates its options and the config before doing
 * anything, prints one clear message and exits non-zero on bad input (2 = usage/config, 1 = the
 * run failed). Console output is allowed here (and only here): it is the program's interface.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createLogger, DEFAULT_CONFIG_DIR, engineInputs, loadConfigOrThrow, UsageError } from './setup.js';

const program = new Command();
program
  .name('keel')
  .description('Real-time pre-trade risk engine for crypto trading desks')
  .option('-c, --config <dir>', 'configuration directory (config/*.yaml)', DEFAULT_CONFIG_DIR)
  .option('--log-level <level>', 'pino log level', 'info')
  .showHelpAfterError();

function configDir(): string {
  return resolve(program.opts<{ config: string }>().config);
}

function logLevel(): string {
  return program.opts<{ logLevel: string }>().logLevel;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

program
  .command('replay')
  .description('apply an event log (NDJSON envelopes, docs/events.md) and print every decision and the final state as JSON')
  .requiredOption('-e, --events <file>', 'event log, one envelope per line')
  .option('--timing', 'include each decision\'s compute time (output no longer byte-reproducible)', false)
  .option('--snapshot-out <file>', 'write the final engine snapshot here')
  .option('--strict', 'exit 1 when any input line was refused', false)
  .action(async (opts: { events: string; timing: boolean; snapshotOut?: string; strict: boolean }) => {
    if (!existsSync(opts.events)) throw new UsageError(`events file not found: ${opts.events}`);
    const dir = configDir();
    const config = loadConfigOrThrow(dir);
    const inputs = engineInputs(config, dir);
    const { runReplay } = await import('./commands/replay.js');
    const summary = await runReplay({ events: opts.events, registry: config.registry, risk: inputs.risk, varSeed: inputs.varSeed, output: process.stdout, timing: opts.timing, snapshotOut: opts.snapshotOut });
    if (opts.strict && summary.inputErrors > 0) process.exitCode = 1;
  });

program
  .command('parse')
  .description('normalize raw venue messages: NDJSON on stdin -> normalized events (NDJSON) on stdout')
  .requiredOption('--venue <venue>', 'binance-spot | binance-usdm | coinbase | kraken | okx | bybit | deribit')
  .option('--category <category>', 'bybit only: spot | linear | inverse', 'linear')
  .option('--book-depth <n>', 'levels per side in book events', positiveInt, 10)
  .action(async (opts: { venue: string; category: string; bookDepth: number }) => {
    const venues = ['binance-spot', 'binance-usdm', 'coinbase', 'kraken', 'okx', 'bybit', 'deribit'] as const;
    type ParseVenue = (typeof venues)[number];
    if (!(venues as readonly string[]).includes(opts.venue)) throw new UsageError(`unknown venue ${opts.venue}; one of ${venues.join(', ')}`);
    if (!['spot', 'linear', 'inverse'].includes(opts.category)) throw new UsageError(`unknown category ${opts.category}`);
    const config = loadConfigOrThrow(configDir());
    const { runParse } = await import('./commands/parse.js');
    const result = await runParse({
      venue: opts.venue as ParseVenue,
      category: opts.category as 'spot' | 'linear' | 'inverse',
      registry: config.registry,
      input: process.stdin,
      output: process.stdout,
      errors: process.stderr,
      bookDepth: opts.bookDepth,
    });
    if (result.lines === 0) process.stderr.write('keel parse: no input lines\n');
  });

program
  .command('sim')
  .description('run the exchange simulator alone: every venue\'s WebSocket protocol on one local port')
  .option('--port <port>', 'listen port (overrides sim.port)', (v) => Number(v))
  .action(async (opts: { port?: number }) => {
    const dir = configDir();
    const config = loadConfigOrThrow(dir);
    const logger = createLogger(logLevel());
    const { runSim } = await import('./commands/sim.js');
    const { simVenueFactories } = await import('../feeds/venues.js');
    const simConfig = opts.port === undefined ? config.sim : { ...config.sim, port: opts.port };
    const sim = await runSim({ config: simConfig, registry: config.registry, venues: simVenueFactories(), logger, configDir: dir });
    process.stdout.write(`keel sim listening on ${simConfig.host}:${sim.port}\n`);
    await waitForSignal();
    await sim.stop();
  });

program
  .command('start')
  .description('run Keel on embedded defaults: exchange simulator, feeds, engine and dashboard in one process')
  .option('--port <port>', 'HTTP port for the dashboard and API (overrides embedded.http.port)', (v) => Number(v))
  .action(async (opts: { port?: number }) => {
    const dir = configDir();
    const config = loadConfigOrThrow(dir);
    const inputs = engineInputs(config, dir);
    const logger = createLogger(logLevel());
    const { runEmbedded } = await import('./commands/start.js');
    const app = await runEmbedded({ config, inputs, logger, httpPort: opts.port, configDir: dir });
    process.stdout.write(`keel running: dashboard http://127.0.0.1:${app.httpPort}/  (simulator on port ${app.simPort}; Ctrl-C to stop)\n`);
    await waitForSignal();
    await app.stop();
  });

function waitForSignal(): Promise<void> {
  return new Promise((resolveSignal) => {
    const done = (): void => resolveSignal();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`keel: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`keel: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
