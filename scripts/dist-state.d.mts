export function distState(repoRoot: string): "fresh" | "missing" | "stale";
export function ensureBuilt(repoRoot: string, say: (text: string) => void): void;
