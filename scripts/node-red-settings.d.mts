export function nodeRedSettings(o: { userDir: string; credentialSecret: string; repoRoot?: string; writtenBy: string; fileContext?: boolean }): string;
