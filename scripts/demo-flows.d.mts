export const CONFIG_TYPE: string;
export const DEMO_CONFIG_ID: string;
export const DEMO_TAB_ORDER: string[];
export const DEMO_BATCH_POLL: number;
export const DEMO_BLOCKED_PROMPTS: string;
export function exampleFiles(): string[];
export function buildFlows(baseUrl: string): { flows: Array<Record<string, unknown> & { id: string; type: string }>; files: string[] };
