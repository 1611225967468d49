export const SHARED_DIR: string;
export type Facts = Record<string, string>;
export function helpFacts(
  models: { DEFAULT_MODEL: Record<string, string>; GENERIC_LIMITS: Record<string, number>; MODELS: Record<string, any> },
  pkg: { homepage?: string },
  type: string,
): Facts;
export function composeHelp(page: string, fragment: (name: string) => string | undefined, facts: Facts, where?: string): string;
export function languages(localesDir: string): string[];
export function composeLocales(localesDir: string, factsFor: (type: string) => Facts): Record<string, string>;
export function writeComposedHelp(localesDir: string, outDir: string, factsFor: (type: string) => Facts): string[];
