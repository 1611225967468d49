export function nodeRedSettings(o: {
  userDir: string;
  credentialSecret: string | false;
  repoRoot?: string;
  writtenBy: string;
  fileContext?: boolean;
  extra?: string;
}): string;
