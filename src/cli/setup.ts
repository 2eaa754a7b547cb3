/**
 * What every command needs: the validated config, a logger, and the engine's inputs. The only
 * place (with src/config) that reads files and the environment.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { formatConfigErrors, loadConfig, type KeelConfig } from '../config/load.js';
import { toRiskConfig } from '../config/risk.js';
import type { RiskConfig } from '../risk/config.js';
import type { VarSeed } from '../risk/state.js';
import { buildVarSeed, readDailyCloses } from './var-seed.js';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CONFIG_DIR = join(PACKAGE_ROOT, 'config');

/** A bad input or config: printed as one clear message, exit code 2. */
export class UsageError extends Error {}

export function loadConfigOrThrow(dir: string): KeelConfig {
  const r = loadConfig(dir);
  if (!r.ok) throw new UsageError(`invalid configuration in ${dir}:\n${formatConfigErrors(r.errors)}`);
  return r.config;
}

export function createLogger(level: string, destination: 1 | 2 = 2): Logger {
  return pino({ level, base: { app: 'keel' } }, pino.destination(destination));
}

export interface EngineInputs {
  risk: RiskConfig;
  varSeed: VarSeed | undefined;
}

/** The risk config plus the VaR seed read from the configured history file. */
export function engineInputs(config: KeelConfig, configDir: string): EngineInputs {
  const risk = toRiskConfig(config.risk);
  const file = config.risk.var.historyFile;
  if (file === undefined) return { risk, varSeed: undefined };
  const path = isAbsolute(file) ? file : resolve(configDir, file);
  let rows;
  try {
    rows = readDailyCloses(path);
  } catch (e) {
    throw new UsageError(`risk.var.historyFile: ${(e as Error).message}`);
  }
  const assets = new Set<string>();
  for (const ins of config.registry.all) {
    assets.add(ins.spec.underlying);
    assets.add(ins.spec.quote);
  }
  return { risk, varSeed: buildVarSeed(rows, [...assets].sort(), risk.var.lambda, config.risk.var.seedDays) };
}
