// Word lists the generator draws from (the lists themselves are data, in
// vocabulary.json). Lists are ordered so that drawing with a skew
// (index = n * u^k) makes early entries common and late entries rare: that
// gives search terms that exist often ("Garcia", "meeting") and rarely
// ("Thornquist", "quarantine"), which the verification catalog relies on.
import vocabulary from "./vocabulary.json" with { type: "json" };

export const FIRST_NAMES: readonly string[] = vocabulary.firstNames;
export const LAST_NAMES: readonly string[] = vocabulary.lastNames;
export const EMAIL_DOMAINS: readonly string[] = vocabulary.emailDomains;
export const COMPANIES: readonly string[] = vocabulary.companies;
export const TAGS: readonly string[] = vocabulary.tags;
/** Message, note and task words, most common first. */
export const WORDS: readonly string[] = vocabulary.words;
/**
 * Rare words: about 1 row in 200 of each text column gets one of these, so each
 * word matches ~0.01% of rows — the "rare term" a search box sees.
 */
export const RARE_WORDS: readonly string[] = vocabulary.rareWords;
export const LOCATIONS: readonly string[] = vocabulary.locations;
export const EVENT_TITLES: readonly string[] = vocabulary.eventTitles;
export const WORKFLOW_NAMES: readonly string[] = vocabulary.workflowNames;

/** A Postgres array literal expression for a word list, e.g. ARRAY['a','b']. */
export function sqlTextArray(words: readonly string[]): string {
  return `ARRAY[${words.map((w) => `'${w.replaceAll("'", "''")}'`).join(",")}]::text[]`;
}
