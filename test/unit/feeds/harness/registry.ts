/** Instrument registries for the venue tests: the shipped universe, and small spot universes. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { instrumentsSectionSchema } from '../../../../src/config/instruments.js';
import { InstrumentRegistry, type InstrumentSpec, type Venue } from '../../../../src/portfolio/instruments.js';

const INSTRUMENTS_YAML = fileURLToPath(new URL('../../../../config/instruments.yaml', import.meta.url));

function loadShippedRegistry(): InstrumentRegistry {
  const section = instrumentsSectionSchema.parse((parseDocument(readFileSync(INSTRUMENTS_YAML, 'utf8')).toJS() as { instruments?: unknown }).instruments);
  const registry = InstrumentRegistry.build(section);
  if (Array.isArray(registry)) throw new Error(`config/instruments.yaml: ${JSON.stringify(registry)}`);
  return registry;
}

/** config/instruments.yaml, the shipped universe (validated as `keel` loads it). */
export const shippedRegistry: InstrumentRegistry = loadShippedRegistry();

/** A spot pair of a test universe: linear, contract size 1. */
export function spotSpec(venue: Venue, venueSymbol: string, base: string, quote: string, tickSize: string, lotSize: string): InstrumentSpec {
  return { venue, venueSymbol, kind: 'spot', settlementType: 'linear', base, quote, settle: quote, underlying: base, contractSize: '1', tickSize, lotSize };
}
