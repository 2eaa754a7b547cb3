/**
 * Config sections beside `instruments`, one per stage. Each stage owns its schema file here;
 * this map is the only place they are put together.
 */
import { embeddedSectionSchema } from './embedded.js';
import { feedsSectionSchema, liveSectionSchema, simSectionSchema } from './feeds.js';
import { riskSectionSchema } from './risk.js';

export const configSections = {
  risk: riskSectionSchema,
  feeds: feedsSectionSchema,
  sim: simSectionSchema,
  live: liveSectionSchema,
  embedded: embeddedSectionSchema,
} as const;
