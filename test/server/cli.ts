/**
 * Starts the Images API test server from the command line:
 *   npx tsx test/server/cli.ts --port 18180 [--host 127.0.0.1] [--key sk-demo] [--block-prompts REGEX]
 * Without --key any key (or none) is accepted. --block-prompts: prompts matching REGEX (case-insensitive) are
 * refused 400 moderation_blocked, as OpenAI's safety system refuses them (server.blockPrompts). Only the models the
 * server lists are answered (server.onlyListedModels): a typo gets 404 model_not_found, as from a real server.
 * Stops on SIGINT/SIGTERM.
 */
import { ImagesApiServer } from "./images-api-server";

function parseArgs(argv: string[]): { port: number; host: string; key: string | null; blockPrompts: RegExp | null } {
  const opts = { port: 0, host: "127.0.0.1", key: null as string | null, blockPrompts: null as RegExp | null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--port") {
      opts.port = Number(value());
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error(`invalid --port ${argv[i]}`);
    } else if (flag === "--host") opts.host = value();
    else if (flag === "--key") opts.key = value();
    else if (flag === "--block-prompts") opts.blockPrompts = new RegExp(value(), "i");
    else throw new Error(`unknown argument ${argv[i]} (usage: cli.ts --port N [--host H] [--key K] [--block-prompts REGEX])`);
  }
  return opts;
}

async function main(): Promise<void> {
  const { port, host, key, blockPrompts } = parseArgs(process.argv.slice(2));
  const server = await ImagesApiServer.start({ port, host, apiKey: key });
  server.blockPrompts = blockPrompts;
  server.onlyListedModels = true;
  console.log(`Images API test server listening on ${server.baseUrl}`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: Error) => {
  console.error(`Images API test server: ${err.message}`);
  process.exit(1);
});
