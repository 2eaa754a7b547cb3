/** The recorded and documented venue frames in test/fixtures/venues (provenance in its INDEX.md). */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES_DIR = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'venues');

/** One fixture file of a venue folder (`kraken`, `binance-spot`, ...), as text. */
export function fixture(folder: string, name: string): string {
  return readFileSync(`${FIXTURES_DIR}/${folder}/${name}`, 'utf8');
}

/** The file names of a venue folder, sorted. */
export function fixtureNames(folder: string): string[] {
  return readdirSync(`${FIXTURES_DIR}/${folder}`).sort();
}
