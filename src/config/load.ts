/**
 * Loads `config/*.yaml`, validates it once and returns one typed object that `main` passes down.
 * Every file holds top-level sections (`instruments:`, `risk:` ...); unknown sections and unknown
 * keys anywhere are errors, and all errors are reported together with file and path.
 * Nothing else in Keel reads configuration files or `process.env`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { InstrumentRegistry } from '../portfolio/instruments.js';
import { instrumentsSectionSchema } from './instruments.js';
import { configSections } from './sections.js';

export interface ConfigError {
  file: string;
  path: string;
  message: string;
}

const rootSchema = z.strictObject({
  instruments: instrumentsSectionSchema,
  ...configSections,
});

export type KeelConfig = z.infer<typeof rootSchema> & { registry: InstrumentRegistry };

export type LoadResult = { ok: true; config: KeelConfig } | { ok: false; errors: ConfigError[] };

/** Reads and validates every `*.yaml` in `dir`. */
export function loadConfig(dir: string): LoadResult {
  const errors: ConfigError[] = [];
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  } catch (e) {
    return { ok: false, errors: [{ file: dir, path: '', message: `cannot read config directory: ${(e as Error).message}` }] };
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch (e) {
      errors.push({ file, path: '', message: (e as Error).message });
      continue;
    }
    const doc = parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const err of doc.errors) errors.push({ file, path: '', message: err.message });
      continue;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      errors.push({ file, path: '', message: 'a config file must be a mapping of sections' });
      continue;
    }
    for (const [key, section] of Object.entries(value as Record<string, unknown>)) {
      const prior = origin.get(key);
      if (prior !== undefined) {
        errors.push({ file, path: key, message: `section already defined in ${prior}` });
        continue;
      }
      origin.set(key, file);
      merged[key] = section;
    }
  }
  return validateConfig(merged, origin, errors);
}

/** Validates an already-parsed object (tests, embedded defaults). */
export function validateConfig(
  raw: Record<string, unknown>,
  origin: ReadonlyMap<string, string> = new Map(),
  prior: ConfigError[] = [],
): LoadResult {
  const errors = [...prior];
  const parsed = rootSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.');
      const top = String(issue.path[0] ?? '');
      const keys = issue.code === 'unrecognized_keys' ? `: ${issue.keys.join(', ')}` : '';
      errors.push({ file: origin.get(top) ?? '(config)', path, message: issue.message + keys });
    }
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  const registry = InstrumentRegistry.build(parsed.data.instruments);
  if (Array.isArray(registry)) {
    return { ok: false, errors: registry.map((e) => ({ file: origin.get('instruments') ?? '(config)', path: e.path, message: e.message })) };
  }
  const crossErrors = crossCheck(parsed.data, registry);
  if (crossErrors.length > 0) return { ok: false, errors: crossErrors.map((e) => ({ ...e, file: origin.get(e.path.split('.')[0] ?? '') ?? '(config)' })) };
  return { ok: true, config: { ...parsed.data, registry } };
}

/** Checks that span sections (e.g. limits naming instruments that exist). */
function crossCheck(_config: z.infer<typeof rootSchema>, _registry: InstrumentRegistry): Omit<ConfigError, 'file'>[] {
  return [];
}

export function formatConfigErrors(errors: readonly ConfigError[]): string {
  return errors.map((e) => `${e.file}: ${e.path || '(root)'}: ${e.message}`).join('\n');
}
