/** The .js files a build makes under dist/ (one per .ts under src/ but src/editor), relative to the repo: "dist/lib/errors.js", … */
export function distFiles(repoRoot: string): string[];
/** The editor script bundled from src/editor: "resources/images-api-editor.js" */
export const EDITOR_SCRIPT: string;
export function distState(repoRoot: string): "fresh" | "missing" | "stale";
export function ensureBuilt(repoRoot: string, say: (text: string) => void): void;
