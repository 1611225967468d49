// settings.js for a throwaway Node-RED user dir that loads this package straight from the repo
// (package.json "node-red" -> dist/nodes): `npm start` and the browser tests.

/**
 * @param {{ userDir: string, port: number, credentialSecret: string, repoRoot: string, writtenBy: string }} o
 * @returns {string} the file's text
 */
export function nodeRedSettings({ userDir, port, credentialSecret, repoRoot, writtenBy }) {
  return `// Written by ${writtenBy}.
module.exports = {
    uiHost: "127.0.0.1",
    uiPort: ${port},
    flowFile: "flows.json",
    credentialSecret: ${JSON.stringify(credentialSecret)},
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, palette: { catalogues: [] }, projects: { enabled: false } },
    externalModules: { palette: { allowInstall: false } },
    // relative file names of file nodes (the "save it to a file" example) land in this user dir
    fileWorkingDirectory: ${JSON.stringify(userDir)},
    // the package loads straight from the repo
    nodesDir: [${JSON.stringify(repoRoot)}],
    logging: { console: { level: "info", metrics: false, audit: false } },
};
`;
}
