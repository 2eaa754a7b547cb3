import { z } from 'zod';
import { INSTRUMENT_KINDS, VENUES, type InstrumentSpec } from '../portfolio/instruments.js';

const decimal = z.string().regex(/^\d+(\.\d+)?$/, 'expected a non-negative decimal string such as "0.01"');

export const instrumentSpecSchema = z.strictObject({
  venue: z.enum(VENUES),
  venueSymbol: z.string().min(1),
  kind: z.enum(INSTRUMENT_KINDS),
  settlementType: z.enum(['linear', 'inverse']),
  base: z.string().min(1),
  quote: z.string().min(1),
  settle: z.string().min(1),
  underlying: z.string().min(1),
  contractSize: decimal,
  tickSize: decimal,
  lotSize: decimal,
  minQty: decimal.optional(),
  expiry: z.iso.datetime().optional(),
  strike: decimal.optional(),
  optionType: z.enum(['call', 'put']).optional(),
  adv: decimal.optional(),
  initialMarginRate: z.number().gt(0).lte(1).optional(),
  tradable: z.boolean().optional(),
}) satisfies z.ZodType<InstrumentSpec>;

export const instrumentsSectionSchema = z.array(instrumentSpecSchema).min(1);
