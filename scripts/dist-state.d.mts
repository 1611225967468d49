export function distState(repoRoot: string): "fresh" | "missing" | "stale";
