/**
 * Config sections beside `instruments`, one per stage. Each stage owns its schema file here;
 * this map is the only place they are put together.
 */
export const configSections = {} as const;
