/** The clients the benchmark compares and section 1's concurrencies. No imports: the orchestrator (run.ts) loads this. */
export const VARIANTS = ["ours", "sdk", "raw"] as const;
export type VariantName = (typeof VARIANTS)[number];
export const CPU_CONCURRENCY = [1, 16] as const;
