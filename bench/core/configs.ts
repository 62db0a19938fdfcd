/**
 * The text of the servers' private configs: nginx's config, and the python3 launcher that
 * creates nginx's listening sockets (with a pacing rate) before nginx starts.
 */

/** One listening socket the launcher creates; `@PORT_<name>@` in the config becomes its port. */
export interface Listener {
  name: string;
  /** SO_MAX_PACING_RATE in bytes/s; 0 leaves the socket unpaced. */
  rate: number;
  /** Extra directives of this listener's `server` block. */
  directives?: string;
  /** Serve HTTPS with the config's certificate. */
  tls?: boolean;
}

/** The access log's format: `$connection` tells connections apart, one line per request. */
export const LOG_FORMAT =
  '$connection $connection_requests $status $body_bytes_sent $server_port "$http_range"';

export function nginxConfig(options: {
  dir: string;
  root: string;
  listeners: readonly Listener[];
  /** PEM files for the listeners that serve HTTPS. */
  certificate?: { cert: string; key: string };
}): string {
  const { dir, root, certificate } = options;
  const temp = (name: string): string => `${dir}/temp/${name}`;
  const servers = options.listeners.map((l) => {
    if (l.tls && !certificate) throw new Error(`listener ${l.name} needs a certificate`);
    const tls =
      l.tls && certificate
        ? `    ssl_certificate ${certificate.cert};\n    ssl_certificate_key ${certificate.key};\n`
        : "";
    return (
      `  server {\n    listen 127.0.0.1:@PORT_${l.name}@${l.tls ? " ssl" : ""};\n` +
      `    root ${root};\n${tls}` +
      (l.directives ? `    ${l.directives}\n` : "") +
      "  }"
    );
  });
  // master_process on: in single-process mode nginx 1.22 crashes on inherited sockets.
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  log_format bench '${LOG_FORMAT}';
  access_log ${dir}/access.log bench;
  client_body_temp_path ${temp("body")};
  proxy_temp_path ${temp("proxy")};
  fastcgi_temp_path ${temp("fastcgi")};
  uwsgi_temp_path ${temp("uwsgi")};
  scgi_temp_path ${temp("scgi")};
  default_type application/octet-stream;
  sendfile on;
  # wget2 and aria2c send a request per chunk: do not make them reconnect every 1000.
  keepalive_requests 100000;
${servers.join("\n")}
}
`;
}

/**
 * python3 LAUNCHER SPEC.json: creates each listener's socket on 127.0.0.1 (port 0), paced with
 * SO_MAX_PACING_RATE (47) where asked, writes the config with the ports filled in and the ports
 * as JSON, then becomes nginx with the sockets inherited through the NGINX variable.
 */
export const LAUNCHER = `import json, os, socket, sys

SO_MAX_PACING_RATE = 47  # Linux; accepted sockets inherit it, and TCP paces each on its own

spec = json.load(open(sys.argv[1]))
sockets, ports = [], {}
for listener in spec["listeners"]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if listener["rate"] > 0:
        s.setsockopt(socket.SOL_SOCKET, SO_MAX_PACING_RATE, listener["rate"])
    s.bind(("127.0.0.1", 0))
    s.listen(511)
    s.set_inheritable(True)
    sockets.append(s)  # kept referenced: a collected socket would be closed
    ports[listener["name"]] = s.getsockname()[1]

conf = open(spec["template"]).read()
for name, port in ports.items():
    conf = conf.replace("@PORT_%s@" % name, str(port))
with open(spec["conf"], "w") as f:
    f.write(conf)
with open(spec["ports"] + ".tmp", "w") as f:
    json.dump(ports, f)
os.rename(spec["ports"] + ".tmp", spec["ports"])

env = dict(os.environ, NGINX="".join("%d;" % s.fileno() for s in sockets))
argv = [spec["nginx"], "-p", spec["prefix"], "-c", spec["conf"], "-e", spec["errorLog"]]
os.execvpe(spec["nginx"], argv, env)
`;

/**
 * python3 -c PROBE PORT: exits 0 when 127.0.0.1:PORT answers a HEAD as nginx. Runs where the
 * server runs, inside a network namespace too.
 */
export const PROBE = `import http.client, sys
try:
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=2)
    c.request("HEAD", "/")
    sys.exit(0 if (c.getresponse().getheader("Server") or "").startswith("nginx") else 1)
except Exception:
    sys.exit(1)
`;
