/**
 * A private nginx for interop tests: its own config, pid, logs and temp directories inside a temp
 * directory, in the foreground (no daemon, no master), on 127.0.0.1 at a free port.
 */
import { accessSync, constants } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { answersAs, startServerProcess, type ServerProcess } from "./processes.js";

/** The nginx executable on PATH, or undefined when there is none. */
export function findNginx(): string | undefined {
  // Debian puts nginx in /usr/sbin, which a non-root PATH may lack.
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, "nginx");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface NginxOptions {
  /** The directory nginx serves at "/". */
  root: string;
  /** Directives added to the server block, e.g. "max_ranges 0;". */
  serverDirectives?: string;
}

function config(prefix: string, errorLog: string, port: number, options: NginxOptions): string {
  const temp = (name: string): string => path.join(prefix, "temp", name);
  return `
daemon off;
master_process off;
worker_processes 1;
pid ${path.join(prefix, "nginx.pid")};
error_log ${errorLog} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${temp("body")};
  proxy_temp_path ${temp("proxy")};
  fastcgi_temp_path ${temp("fastcgi")};
  uwsgi_temp_path ${temp("uwsgi")};
  scgi_temp_path ${temp("scgi")};
  default_type application/octet-stream;
  sendfile on;
  server {
    listen 127.0.0.1:${port};
    root ${options.root};
    ${options.serverDirectives ?? ""}
  }
}
`;
}

/**
 * Starts nginx serving `options.root` and resolves once it accepts connections. It is stopped,
 * and its directory removed, when the test ends.
 */
export async function startNginx(t: TestContext, options: NginxOptions): Promise<ServerProcess> {
  const nginx = findNginx();
  if (!nginx) throw new Error("nginx is not installed");
  const prefix = await mkdtemp(path.join(os.tmpdir(), "parget-nginx-"));
  const errorLog = path.join(prefix, "error.log");
  const removePrefix = (): Promise<void> => rm(prefix, { recursive: true, force: true });
  let server: ServerProcess;
  try {
    await mkdir(path.join(prefix, "temp"));
    server = await startServerProcess(
      t,
      "nginx",
      async (port) => {
        const conf = path.join(prefix, "nginx.conf");
        await writeFile(conf, config(prefix, errorLog, port, options));
        // -e: the log for errors met before the config is read (nginx >= 1.19.5), not /var/log.
        return { command: nginx, args: ["-p", prefix, "-c", conf, "-e", errorLog] };
      },
      { logFile: errorLog, ready: (port) => answersAs(port, /^nginx/) },
    );
  } catch (error) {
    await removePrefix();
    throw error;
  }
  // Hooks run in the order registered: this one after the one that stops nginx.
  t.after(removePrefix);
  return server;
}
