export function nodeRedSettings(o: { userDir: string; port: number; credentialSecret: string; repoRoot: string; writtenBy: string }): string;
