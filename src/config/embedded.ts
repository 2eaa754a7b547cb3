/**
 * The `embedded:` section (config/embedded.yaml): what `keel start` adds around the simulator and
 * the engine so the desk view works offline — the HTTP listener, opening balances at the
 * simulated venues, and paper execution of approved orders against the simulated books.
 */
import { z } from 'zod';

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string such as "1000000"');

export const embeddedSectionSchema = z
  .strictObject({
    http: z.strictObject({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(8080) }).prefault({}),
    /** Fill approved orders that cross the simulated touch (market orders at the best price). */
    paperFills: z.boolean().default(true),
    /** Booked as `transfer` events at start, as if each account were funded at its venue. */
    openingBalances: z.record(z.string(), z.record(z.string(), decimal)).default({}),
  })
  .prefault({});

export type EmbeddedConfig = z.infer<typeof embeddedSectionSchema>;
