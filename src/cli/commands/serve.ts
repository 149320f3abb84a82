import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { hostAddress, portNumber } from '../options.js';
import { UserError } from '../output.js';
import { createStaticServer } from '../static-server.js';

interface ServeFlags {
  port: number;
  host: string;
  dir?: string;
}

/** The playground `npm run build` writes (dist/playground, next to this command's dist/src). */
export const PLAYGROUND_DIR = fileURLToPath(new URL('../../../playground/', import.meta.url));

/** The address a browser opens for host:port (IPv6 literals in brackets; any-address as localhost). */
export function serverUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the browser playground (dist/playground) with the cross-origin isolation headers its threads need',
    )
    .option('--port <n>', 'TCP port (0: any free port)', portNumber, 8080)
    .option('--host <address>', 'address to listen on (0.0.0.0: every interface)', hostAddress, '127.0.0.1')
    .option('--dir <path>', 'folder to serve instead of the built playground')
    .addHelpText(
      'after',
      '\nExample:\n  npm run build && hhnet serve --port 8080   # then open the printed URL',
    )
    .action(async (flags: ServeFlags) => {
      const root = flags.dir ?? PLAYGROUND_DIR;
      if (!existsSync(join(root, 'index.html')))
        throw new UserError(
          flags.dir
            ? `${root} has no index.html to serve`
            : `the playground is not built (${root} has no index.html): run npm run build`,
        );
      const server = createStaticServer(root);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            new UserError(
              err.code === 'EADDRINUSE'
                ? `port ${flags.port} on ${flags.host} is in use: pick another with --port (0: any free port)`
                : `cannot listen on ${flags.host}:${flags.port} (${err.code ?? err.message})`,
            ),
          ),
        );
        server.listen(flags.port, flags.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      process.stdout.write(`hhnet playground: ${serverUrl(flags.host, port)} (Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          server.close(() => resolve());
          server.closeAllConnections();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
