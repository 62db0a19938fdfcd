/**
 * The servers the clients download from, each on 127.0.0.1 with a private config in a temp
 * directory: nginx (its listening sockets made, and paced, by a python3 launcher), python's
 * http.server, and parget's own server. Each can say how many connections and requests it saw.
 */
import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { LAUNCHER, nginxConfig, PROBE, type Listener } from "./core/configs.js";
import { countLogLines, countPythonLogLines, sumBodyBytes } from "./core/stats.js";
import type { Cleanup } from "./cleanup.js";
import { runQuiet, startDaemon, waitUntil, which, type Daemon } from "./processes.js";

export interface Counts {
  connections: number;
  requests: number;
  /** Body bytes sent, where the server logs them. */
  bytes?: number;
}

/** Reads what was appended to a log since `mark()`. */
export class LogCursor {
  #offset = 0;
  constructor(readonly file: string) {}

  async mark(): Promise<void> {
    this.#offset = await stat(this.file).then(
      (s) => s.size,
      () => 0,
    );
  }

  /** The complete lines appended since the mark. */
  async lines(): Promise<string[]> {
    const handle = await open(this.file, "r").catch(() => undefined);
    if (!handle) return [];
    try {
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(Math.max(0, size - this.#offset));
      await handle.read(buffer, 0, buffer.length, this.#offset);
      const text = buffer.toString("utf8");
      return text
        .slice(0, text.lastIndexOf("\n") + 1)
        .split("\n")
        .filter(Boolean);
    } finally {
      await handle.close();
    }
  }
}

export interface NginxServer {
  ports: Record<string, number>;
  log: LogCursor;
  /** Connections and requests logged since the log's mark. */
  counts(): Promise<Counts>;
  stop(): Promise<void>;
}

/** Whether 127.0.0.1:port answers as nginx, asked from inside the server's namespace. */
async function answersAsNginx(
  prefix: readonly string[],
  port: number,
  tls: boolean,
): Promise<boolean> {
  if (prefix.length > 0) {
    const probe = await runQuiet([...prefix, "python3", "-c", PROBE, String(port)], {
      timeoutMs: 5000,
    });
    return probe.code === 0;
  }
  return new Promise((resolve) => {
    const target = { host: "127.0.0.1", port, method: "HEAD", path: "/", agent: false };
    const req = tls
      ? https.request({ ...target, rejectUnauthorized: false })
      : http.request(target);
    req.setTimeout(2000, () => req.destroy());
    req.once("response", (res) => {
      res.resume();
      resolve(String(res.headers.server ?? "").startsWith("nginx"));
    });
    req.once("error", () => resolve(false));
    req.end();
  });
}

export async function startNginx(options: {
  dir: string;
  root: string;
  listeners: readonly Listener[];
  /** e.g. ["ip", "netns", "exec", NS]: nginx and its launcher run there. */
  prefix?: readonly string[];
  cleanup: Cleanup;
}): Promise<NginxServer> {
  const nginx = which("nginx");
  if (!nginx) throw new Error("nginx is not installed (apt-get install nginx-light)");
  if (!which("python3")) throw new Error("python3 is needed to create nginx's paced sockets");
  const { dir } = options;
  const prefix = options.prefix ?? [];
  await mkdir(path.join(dir, "temp"), { recursive: true });
  const file = (name: string): string => path.join(dir, name);
  // An nginx started again in the same directory must not be taken for the one before it.
  await rm(file("ports.json"), { force: true });
  const certificate = options.listeners.some((l) => l.tls)
    ? await selfSignedCertificate(dir)
    : undefined;
  await writeFile(
    file("nginx.conf.in"),
    nginxConfig({ ...options, dir, ...(certificate ? { certificate } : {}) }),
  );
  await writeFile(file("launcher.py"), LAUNCHER);
  await writeFile(
    file("spec.json"),
    JSON.stringify({
      listeners: options.listeners.map(({ name, rate }) => ({ name, rate })),
      template: file("nginx.conf.in"),
      conf: file("nginx.conf"),
      ports: file("ports.json"),
      nginx,
      prefix: dir,
      errorLog: file("error.log"),
    }),
  );
  const daemon = startDaemon(
    { prefix, argv: ["python3", file("launcher.py"), file("spec.json")] },
    options.cleanup,
    `nginx in ${dir}`,
  );
  try {
    let ports: Record<string, number> = {};
    await waitUntil(
      async () => {
        const text = await readFile(file("ports.json"), "utf8").catch(() => "");
        if (text) ports = JSON.parse(text) as Record<string, number>;
        return text !== "";
      },
      "nginx's launcher",
      { daemon },
    );
    for (const { name, tls } of options.listeners) {
      const port = ports[name]!;
      await waitUntil(() => answersAsNginx(prefix, port, tls === true), `nginx on port ${port}`, {
        daemon,
      });
    }
    const log = new LogCursor(file("access.log"));
    return {
      ports,
      log,
      counts: async () => {
        const lines = await log.lines();
        return { ...countLogLines(lines), bytes: sumBodyBytes(lines) };
      },
      stop: () => daemon.stop(),
    };
  } catch (error) {
    await daemon.stop();
    const errors = await readFile(file("error.log"), "utf8").catch(() => "");
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${errors}`);
  }
}

/** A throwaway certificate for 127.0.0.1 (clients are told not to check it), made by openssl. */
async function selfSignedCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  const made = await runQuiet(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { timeoutMs: 10_000 },
  );
  if (made.code !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  return { cert, key };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface PythonServer {
  port: number;
  /** Discards what was logged so far. */
  mark(): void;
  /** Requests since the mark; http.server answers one request per connection. */
  counts(): Counts;
  stop(): Promise<void>;
}

export async function startPythonServer(root: string, cleanup: Cleanup): Promise<PythonServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const daemon: Daemon = startDaemon(
      {
        argv: ["python3", "-m", "http.server", "--bind", "127.0.0.1", String(port)],
        cwd: root,
      },
      cleanup,
      "python3 -m http.server",
    );
    try {
      await waitUntil(() => canConnect(port), `python3 -m http.server on ${port}`, { daemon });
      return {
        port,
        mark: () => void daemon.takeLines(),
        counts: () => {
          const requests = countPythonLogLines(daemon.takeLines());
          return { connections: requests, requests };
        },
        stop: () => daemon.stop(),
      };
    } catch (error) {
      await daemon.stop();
      // Another process may have taken the port between freePort() and the bind.
      if (attempt < 5 && /in use/i.test(daemon.output())) continue;
      throw error;
    }
  }
}
