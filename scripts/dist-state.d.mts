/** The .js files a build makes (one per .ts under src/), relative to the repo: "dist/lib/errors.js", … */
export function distFiles(repoRoot: string): string[];
export function distState(repoRoot: string): "fresh" | "missing" | "stale";
export function ensureBuilt(repoRoot: string, say: (text: string) => void): void;
