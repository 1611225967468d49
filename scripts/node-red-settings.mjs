// settings.js for a throwaway Node-RED user dir: `npm start` and the browser tests (which load this package straight
// from the repo: package.json "node-red" -> dist/nodes), the package test and the node-red-process test (which do not).

/**
 * @param {{ userDir: string, credentialSecret: string | false, repoRoot?: string, writtenBy: string, fileContext?: boolean, extra?: string }} o
 *   without `repoRoot` the package is not loaded from the repo; the port is red.js's -p; `fileContext`: the
 *   default context store on disk (localfilesystem), kept across restarts; `extra`: more settings, as source lines
 * @returns {string} the file's text
 */
export function nodeRedSettings({ userDir, credentialSecret, repoRoot, writtenBy, fileContext = false, extra = "" }) {
  return `// Written by ${writtenBy}.
module.exports = {
    uiHost: "127.0.0.1",
    flowFile: "flows.json",
    credentialSecret: ${JSON.stringify(credentialSecret)},
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, palette: { catalogues: [] }, projects: { enabled: false } },
    externalModules: { palette: { allowInstall: false } },
    // relative file names of file nodes (the "save it to a file" example) land in this user dir
    fileWorkingDirectory: ${JSON.stringify(userDir)},
${repoRoot === undefined ? "" : `    // the package loads straight from the repo\n    nodesDir: [${JSON.stringify(repoRoot)}],\n`}${fileContext ? `    contextStorage: { default: { module: "localfilesystem", config: { flushInterval: 1 } } },\n` : ""}    logging: { console: { level: "info", metrics: false, audit: false } },
${extra}};
`;
}
