/**
 * Real web servers for interop tests, as one table: how each is configured and started, in the
 * foreground with a private config, pid, logs and state in a temp directory, on 127.0.0.1 at a
 * free port, over http or https with TEST_TLS. Nothing is written outside that directory, and
 * nothing goes through systemd or the distribution's service scripts.
 */
import { accessSync, constants } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { startServerProcess, type ServerCommand } from "./processes.js";
import { TEST_TLS } from "./tls.js";

export type Scheme = "http" | "https";

/** TEST_TLS as PEM files. */
export interface TlsFiles {
  key: string;
  cert: string;
  /** The key, then the certificate, in one file (lighttpd's `ssl.pemfile`). */
  keyAndCert: string;
}

/** What a server is started for. */
export interface Site {
  /** The directory served at "/". */
  root: string;
  /** The server's own directory: config, logs, pid, state. */
  dir: string;
  port: number;
  /** Set when the server is to speak https. */
  tls: TlsFiles | undefined;
}

export interface ServerDefinition {
  /** Shown in test names. */
  name: string;
  /** The executable, looked up on PATH, then in /usr/sbin and /usr/local/sbin. */
  binary: string;
  /** Whether it answers a range request with a 206. */
  ranges: boolean;
  /** The schemes it is tested over. */
  schemes: readonly Scheme[];
  /** How its `Server` header starts: readiness means this server answers, not any process on the port. */
  banner: RegExp;
  /** Other files a scheme needs, e.g. a TLS module packaged apart from the server. */
  needs?: Partial<Record<Scheme, readonly string[]>>;
  /** Its error log, relative to `site.dir`: read when it fails to start. */
  errorLog?: string;
  /** Writes its config into `site.dir` and says how to run it in the foreground. */
  configure(site: Site, executable: string): Promise<ServerCommand>;
}

const SEARCH_DIRS = ["/usr/sbin", "/usr/local/sbin"];

/** The named executable, or undefined when there is none. */
export function findExecutable(name: string): string | undefined {
  // Debian puts nginx, lighttpd and apache2 in /usr/sbin, which a non-root PATH may lack.
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), ...SEARCH_DIRS];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (accessible(candidate, constants.X_OK)) return candidate;
  }
  return undefined;
}

function accessible(file: string, mode: number): boolean {
  try {
    accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
}

/** Why `server` cannot be tested over `scheme` on this machine, or false when it can. */
export function unavailable(server: ServerDefinition, scheme: Scheme): string | false {
  if (!findExecutable(server.binary)) {
    return `${server.binary} is not installed (not on PATH or in ${SEARCH_DIRS.join(", ")}); CI installs it, see .ci/run`;
  }
  const missing = (server.needs?.[scheme] ?? []).filter(
    (file) => !accessible(file, constants.R_OK),
  );
  if (missing.length > 0) return `${server.name} over ${scheme} needs ${missing.join(", ")}`;
  return false;
}

const APACHE_MODULES = "/usr/lib/apache2/modules";
const LIGHTTPD_MODULES = "/usr/lib/lighttpd";

function nginx(name: string, ranges: boolean, serverDirectives = ""): ServerDefinition {
  return {
    name,
    binary: "nginx",
    ranges,
    schemes: serverDirectives ? ["http"] : ["http", "https"],
    banner: /^nginx/,
    errorLog: "error.log",
    async configure({ root, dir, port, tls }, executable) {
      const temp = (name: string): string => path.join(dir, "temp", name);
      await mkdir(path.join(dir, "temp"), { recursive: true });
      const conf = path.join(dir, "nginx.conf");
      const errorLog = path.join(dir, "error.log");
      await writeFile(
        conf,
        `daemon off;
master_process off;
worker_processes 1;
pid ${path.join(dir, "nginx.pid")};
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
    listen 127.0.0.1:${port}${tls ? " ssl" : ""};
    ${tls ? `ssl_certificate ${tls.cert}; ssl_certificate_key ${tls.key};` : ""}
    root ${root};
    ${serverDirectives}
  }
}
`,
      );
      // -e: the log for errors met before the config is read (nginx >= 1.19.5), not /var/log.
      return { command: executable, args: ["-p", dir, "-c", conf, "-e", errorLog] };
    },
  };
}

const lighttpd: ServerDefinition = {
  name: "lighttpd",
  binary: "lighttpd",
  ranges: true,
  schemes: ["http", "https"],
  banner: /^lighttpd/,
  // Debian packages lighttpd's TLS module apart (lighttpd-mod-openssl).
  needs: { https: [path.join(LIGHTTPD_MODULES, "mod_openssl.so")] },
  errorLog: "error.log",
  async configure({ root, dir, port, tls }, executable) {
    const conf = path.join(dir, "lighttpd.conf");
    const lines = [
      `server.document-root = "${root}"`,
      `server.bind = "127.0.0.1"`,
      `server.port = ${port}`,
      `server.errorlog = "${path.join(dir, "error.log")}"`,
      `mimetype.assign = (".bin" => "application/octet-stream")`,
    ];
    if (tls) {
      lines.push(
        `server.modules += ("mod_openssl")`,
        `ssl.engine = "enable"`,
        `ssl.pemfile = "${tls.keyAndCert}"`,
      );
    }
    await writeFile(conf, `${lines.join("\n")}\n`);
    return { command: executable, args: ["-D", "-f", conf] };
  },
};

const apache: ServerDefinition = {
  name: "Apache httpd",
  binary: "apache2",
  ranges: true,
  schemes: ["http", "https"],
  banner: /^Apache/,
  needs: {
    http: [path.join(APACHE_MODULES, "mod_mpm_event.so")],
    https: [path.join(APACHE_MODULES, "mod_ssl.so")],
  },
  errorLog: "error.log",
  async configure({ root, dir, port, tls }, executable) {
    const modules = ["mpm_event", "authz_core", "dir", "mime"];
    if (tls) modules.push("socache_shmcb", "ssl");
    // Started as root, Apache serves as an unprivileged user, which must be able to read the root.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) await chmod(root, 0o755);
    const conf = path.join(dir, "httpd.conf");
    await writeFile(
      conf,
      `ServerRoot "${dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
${modules.map((m) => `LoadModule ${m}_module ${APACHE_MODULES}/mod_${m}.so`).join("\n")}
${asRoot ? "# 65534 is nobody and nogroup on Debian.\nUser #65534\nGroup #65534" : ""}
PidFile "${path.join(dir, "httpd.pid")}"
ErrorLog "${path.join(dir, "error.log")}"
LogLevel warn
DefaultRuntimeDir "${dir}"
Mutex file:${dir} default
TypesConfig /dev/null
AddType application/octet-stream .bin
StartServers 1
DocumentRoot "${root}"
<Directory />
  AllowOverride None
  Require all granted
</Directory>
${
  tls
    ? `SSLEngine on
SSLCertificateFile "${tls.cert}"
SSLCertificateKeyFile "${tls.key}"
SSLSessionCache "shmcb:${path.join(dir, "ssl_scache")}(512000)"`
    : ""
}
`,
    );
    // Not -X: one process there serves connections one at a time. Event workers are threads, and
    // SIGTERM to the parent stops them.
    return { command: executable, args: ["-DFOREGROUND", "-d", dir, "-f", conf] };
  },
};

const caddy: ServerDefinition = {
  name: "Caddy",
  binary: "caddy",
  ranges: true,
  schemes: ["http", "https"],
  banner: /^Caddy/,
  async configure({ root, dir, port, tls }, executable) {
    const conf = path.join(dir, "Caddyfile");
    await writeFile(
      conf,
      `{
	admin off
	skip_install_trust
	storage file_system ${path.join(dir, "storage")}
	# No certificate management, and no redirect listener on port 80.
	auto_https ${tls ? "disable_redirects" : "off"}
	# HTTP/3 would also listen on UDP.
	servers {
		protocols h1 h2
	}
}

${tls ? "https" : "http"}://127.0.0.1:${port} {
	# A site address names the host to match; bind says where to listen.
	bind 127.0.0.1
	root * ${root}
	file_server
	${tls ? `tls ${tls.cert} ${tls.key}` : ""}
}
`,
    );
    // Caddy writes its autosave and PKI state under HOME and the XDG directories: keep them here.
    // startServerProcess takes no environment, so env(1) sets it and execs caddy in its place.
    const home = path.join(dir, "home");
    await mkdir(home);
    return {
      command: "env",
      args: [
        `HOME=${home}`,
        `XDG_DATA_HOME=${home}`,
        `XDG_CONFIG_HOME=${home}`,
        executable,
        "run",
        "--config",
        conf,
        "--adapter",
        "caddyfile",
      ],
    };
  },
};

const pythonHttpServer: ServerDefinition = {
  name: "python3 -m http.server",
  binary: "python3",
  // SimpleHTTPRequestHandler ignores Range and sends the whole file with a 200.
  ranges: false,
  schemes: ["http"],
  banner: /^SimpleHTTP\//,
  async configure({ root, port }, executable) {
    return {
      command: executable,
      args: ["-m", "http.server", "--bind", "127.0.0.1", String(port), "--directory", root],
    };
  },
};

/** nginx closing the connection after every response: the body arrives with the close. */
export const nginxClosing = nginx("nginx with keepalive_timeout 0", true, "keepalive_timeout 0;");

/** Every server the interop suite runs against. */
export const SERVERS: readonly ServerDefinition[] = [
  nginx("nginx", true),
  nginx("nginx with max_ranges 0", false, "max_ranges 0;"),
  lighttpd,
  apache,
  caddy,
  pythonHttpServer,
];

export interface RunningServer {
  readonly port: number;
  /** scheme://127.0.0.1:port + path */
  url(path: string): string;
  /** The certificate to trust for https (pass it to --ca-certificate). */
  readonly caCertificate: string | undefined;
  /** What the process printed so far. */
  output(): string;
}

/**
 * Starts `server` serving `root` over `scheme` and resolves once it answers. It is stopped, and
 * its directory removed, when the test ends.
 */
export async function startRealServer(
  t: TestContext,
  server: ServerDefinition,
  { root, scheme }: { root: string; scheme: Scheme },
): Promise<RunningServer> {
  const reason = unavailable(server, scheme);
  if (reason) throw new Error(reason);
  const executable = findExecutable(server.binary)!;
  const dir = await mkdtemp(path.join(os.tmpdir(), `parget-${server.binary}-`));
  const removeDir = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const tls = scheme === "https" ? await writeTlsFiles(dir) : undefined;
    const started = await startServerProcess(
      t,
      `${server.name} (${scheme})`,
      async (port) => {
        // A retry on another port starts from an empty directory but for the certificate.
        const site = { root, dir: await freshDir(dir, "run"), port, tls };
        return server.configure(site, executable);
      },
      {
        ready: (port) => answers(port, scheme, server.banner),
        ...(server.errorLog ? { logFile: path.join(dir, "run", server.errorLog) } : {}),
      },
    );
    // Hooks run in the order registered: this one after the one that stops the server.
    t.after(removeDir);
    return {
      port: started.port,
      url: (p) => `${scheme}://127.0.0.1:${started.port}${p}`,
      caCertificate: tls?.cert,
      output: started.output,
    };
  } catch (error) {
    await removeDir();
    throw error;
  }
}

async function writeTlsFiles(dir: string): Promise<TlsFiles> {
  const files = {
    key: path.join(dir, "key.pem"),
    cert: path.join(dir, "cert.pem"),
    keyAndCert: path.join(dir, "key-and-cert.pem"),
  };
  await writeFile(files.key, TEST_TLS.key, { mode: 0o600 });
  await writeFile(files.cert, TEST_TLS.cert);
  await writeFile(files.keyAndCert, TEST_TLS.key + TEST_TLS.cert, { mode: 0o600 });
  return files;
}

async function freshDir(parent: string, name: string): Promise<string> {
  const dir = path.join(parent, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
  return dir;
}

/** Whether 127.0.0.1:port answers a HEAD over `scheme` with a `Server` header matching `banner`. */
function answers(port: number, scheme: Scheme, banner: RegExp): Promise<boolean> {
  return new Promise((resolve) => {
    const options = { host: "127.0.0.1", port, method: "HEAD", path: "/", agent: false };
    const req =
      scheme === "https" ? https.request({ ...options, ca: TEST_TLS.cert }) : http.request(options);
    req.setTimeout(1000, () => req.destroy());
    req.once("response", (res) => {
      res.resume();
      resolve(banner.test(String(res.headers.server ?? "")));
    });
    req.once("error", () => resolve(false));
    req.end();
  });
}
