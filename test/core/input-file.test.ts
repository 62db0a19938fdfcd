import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parseInputFile, type InputEntry } from "../../src/core/input-file.js";
import { UsageError } from "../../src/errors.js";
import { MAX_CONNECTIONS } from "../../src/options.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const md5 = createHash("md5").update("parget").digest("hex");
const HUB = "https://hub.example/org/model/resolve/main";

const MODEL_LIST = `# a model's shards, for parget -i (aria2's input-file form)

${HUB}/model-00001-of-00002.safetensors
  dir=model
  checksum=sha-256=${sha256("shard 1")}
  header=Authorization: Bearer hf_s3cret
${HUB}/model-00002-of-00002.safetensors
\tdir=./model/
\tout=weights/second.safetensors
\tchecksum=sha256=${sha256("shard 2").toUpperCase()}
\tchecksum=md5=${md5}
\theader=Authorization: Bearer hf_s3cret
\theader=X-Trace: a:b:c
\tsplit=8
\tmax-connection-per-server=4

  # the index is small: one connection
${HUB}/model.safetensors.index.json
  max-connection-per-server=1
  out=index.json
https://mirror.example/config.json
`;

const MODEL_ENTRIES: InputEntry[] = [
  {
    url: `${HUB}/model-00001-of-00002.safetensors`,
    line: 3,
    dir: "model",
    checksums: [{ algorithm: "sha256", hex: sha256("shard 1"), source: "user" }],
    headers: { Authorization: "Bearer hf_s3cret" },
  },
  {
    url: `${HUB}/model-00002-of-00002.safetensors`,
    line: 7,
    dir: "model",
    output: "weights/second.safetensors",
    checksums: [
      { algorithm: "sha256", hex: sha256("shard 2"), source: "user" },
      { algorithm: "md5", hex: md5, source: "user" },
    ],
    headers: { Authorization: "Bearer hf_s3cret", "X-Trace": "a:b:c" },
    connections: 4,
  },
  { url: `${HUB}/model.safetensors.index.json`, line: 18, output: "index.json", connections: 1 },
  { url: "https://mirror.example/config.json", line: 21 },
];

test("a model's shards: each URL takes the indented options below it", () => {
  assert.deepEqual(parseInputFile(MODEL_LIST, "shards.txt"), MODEL_ENTRIES);
});

test("CRLF line ends, a byte-order mark and a missing final newline read the same", () => {
  const crlf = `\uFEFF${MODEL_LIST.replace(/\n/g, "\r\n").trimEnd()}`;
  assert.deepEqual(parseInputFile(crlf, "shards.txt"), MODEL_ENTRIES);
});

test("an empty list, or one of comments only, has no entries", () => {
  assert.deepEqual(parseInputFile("", "x"), []);
  assert.deepEqual(parseInputFile("\n# nothing\n  # an indented comment\n\t\n", "x"), []);
});

test("an option line is trimmed around its key and value; = in a value is kept", () => {
  const [entry] = parseInputFile("http://x.test/a\n \t out = a=b.bin \t\n", "x");
  assert.deepEqual(entry, { url: "http://x.test/a", line: 1, output: "a=b.bin" });
});

test("out and dir lose ./ and empty segments; dir=. is the root itself", () => {
  const cases: [string, Partial<InputEntry>][] = [
    ["out=./a.bin", { output: "a.bin" }],
    ["out=././sub//deep/./a.bin", { output: "sub/deep/a.bin" }],
    ["out=..a.bin", { output: "..a.bin" }],
    ["out=a..b/c...", { output: "a..b/c..." }],
    ["out=ünï cødé.bin", { output: "ünï cødé.bin" }],
    ["dir=models/", { dir: "models" }],
    ["dir=./a//b/.", { dir: "a/b" }],
    ["dir=.", {}],
    ["dir=./", {}],
    ["dir=.../x", { dir: ".../x" }],
  ];
  for (const [option, expected] of cases) {
    const [entry] = parseInputFile(`http://x.test/a\n  ${option}\n`, "x");
    assert.deepEqual(entry, { url: "http://x.test/a", line: 1, ...expected }, option);
  }
});

test("split and max-connection-per-server are one limit: the smaller holds, in either order", () => {
  const connections = (options: string[]) =>
    parseInputFile(`http://x.test/a\n${options.map((o) => ` ${o}\n`).join("")}`, "x")[0]
      ?.connections;
  assert.equal(connections(["split=5"]), 5);
  assert.equal(connections(["max-connection-per-server=16"]), 16);
  assert.equal(connections(["split=5", "max-connection-per-server=16"]), 5);
  assert.equal(connections(["max-connection-per-server=3", "split=16"]), 3);
  assert.equal(connections([`split=${MAX_CONNECTIONS}`]), MAX_CONNECTIONS);
  assert.equal(connections(["split=1"]), 1);
  assert.equal(connections(["split=007"]), 7);
  assert.equal(connections([]), undefined);
});

test("a later header replaces an earlier one of the same name in any case", () => {
  const [entry] = parseInputFile(
    "http://x.test/a\n header=X-A: 1\n header=Accept: */*\n header=x-a: 2\n header=X-Empty:\n",
    "x",
  );
  assert.deepEqual(entry?.headers, { Accept: "*/*", "x-a": "2", "X-Empty": "" });
});

test("checksum takes aria2's and parget's spellings; a repeated identical digest counts once", () => {
  const sha1 = createHash("sha1").update("parget").digest("hex");
  const sha512 = createHash("sha512").update("parget").digest("hex");
  const [entry] = parseInputFile(
    [
      "http://x.test/a",
      ` checksum=sha-1=${sha1}`,
      ` checksum=SHA-512=${sha512.toUpperCase()}`,
      ` checksum=md5=${md5}`,
      " checksum=crc32c=E3069283",
      ` checksum=sha_1=${sha1}`,
    ].join("\n"),
    "x",
  );
  assert.deepEqual(entry?.checksums, [
    { algorithm: "sha1", hex: sha1, source: "user" },
    { algorithm: "sha512", hex: sha512, source: "user" },
    { algorithm: "md5", hex: md5, source: "user" },
    { algorithm: "crc32c", hex: "e3069283", source: "user" },
  ]);
});

test("options belong to the URL above them only", () => {
  const entries = parseInputFile(
    "http://x.test/a\n out=a.bin\nhttp://x.test/b\nhttp://x.test/c\n out=a.bin\n",
    "x",
  );
  assert.deepEqual(entries, [
    { url: "http://x.test/a", line: 1, output: "a.bin" },
    { url: "http://x.test/b", line: 3 },
    { url: "http://x.test/c", line: 4, output: "a.bin" },
  ]);
});

const URL_LINE = "http://x.test/a";
const hex = sha256("x");

/** [the list, the line at fault, what the message says after "list.txt:LINE: ", the code]. */
const ERRORS: [string, number, RegExp, ("PARGET_BAD_URL" | "PARGET_USAGE")?][] = [
  // Structure
  [
    "# header\n  out=a.bin\nhttp://x.test/a",
    2,
    /^an indented line is an option of the URL above it, but no URL comes before it$/,
  ],
  [
    "http://x.test/a\thttp://mirror.test/a",
    1,
    /TAB-separated URLs .* mirrors .* not supported: give each file one URL$/,
    "PARGET_BAD_URL",
  ],
  // URLs
  ["ftp://x.test/a", 1, /^unsupported URL scheme "ftp:"/, "PARGET_BAD_URL"],
  ["\n\nexample.com/a.iso", 3, /^"example.com\/a.iso" has no scheme/, "PARGET_BAD_URL"],
  ["http://", 1, /^invalid URL/, "PARGET_BAD_URL"],
  [`${URL_LINE}\n out=a\nnot a url`, 3, /^invalid URL "not a url"/, "PARGET_BAD_URL"],
  // Lines that are not key=value
  [`${URL_LINE}\n out`, 2, /^expected an option as key=value, such as out=NAME$/],
  [`${URL_LINE}\n =a.bin`, 2, /^expected an option as key=value/],
  [`${URL_LINE}\n -x=1`, 2, /^expected an option as key=value/],
  // aria2 options parget does not read
  [`${URL_LINE}\n referer=http://x.test/`, 2, /^referer: parget does not support this option/],
  [`${URL_LINE}\n user-agent=x`, 2, /^user-agent: parget does not support this option/],
  [`${URL_LINE}\n select-file=1,2`, 2, /^select-file: parget does not support/],
  [`${URL_LINE}\n index-out=1=a`, 2, /^index-out: parget does not support/],
  [`${URL_LINE}\n OUT=a`, 2, /^OUT: .* \(it reads out, dir, checksum, header, split and max-/],
  [`${URL_LINE}\n toString=a`, 2, /^toString: parget does not support/],
  // out
  [`${URL_LINE}\n out=`, 2, /^out: is empty$/],
  [`${URL_LINE}\n out=/etc/passwd`, 2, /^out: "\/etc\/passwd" is absolute/],
  [`${URL_LINE}\n out=C:x.bin`, 2, /^out: "C:x.bin" is absolute/],
  [`${URL_LINE}\n out=../a.bin`, 2, /^out: "..\/a.bin" has a ".." segment/],
  [`${URL_LINE}\n out=sub/../../a.bin`, 2, /^out: .* has a ".." segment/],
  [`${URL_LINE}\n out=sub/..`, 2, /^out: "sub\/.." has a ".." segment/],
  [`${URL_LINE}\n out=..`, 2, /^out: ".." has a ".." segment/],
  [`${URL_LINE}\n out=a\\b.bin`, 2, /^out: "a\\\\b.bin" has a "\\": use "\/" between directories$/],
  [`${URL_LINE}\n out=a\0.bin`, 2, /^out: contains a NUL character$/],
  [`${URL_LINE}\n out=.`, 2, /^out: "." names a directory, not a file$/],
  [`${URL_LINE}\n out=sub/`, 2, /^out: "sub\/" names a directory, not a file$/],
  [`${URL_LINE}\n out=a\n out=b`, 3, /^out: given twice for this URL \(first on line 2\)$/],
  // dir
  [`${URL_LINE}\n dir=`, 2, /^dir: is empty$/],
  [`${URL_LINE}\n dir=/srv`, 2, /^dir: "\/srv" is absolute/],
  [`${URL_LINE}\n dir=a/../..`, 2, /^dir: "a\/..\/.." has a ".." segment/],
  [`${URL_LINE}\n dir=a\\..`, 2, /^dir: .* has a "\\"/],
  [`${URL_LINE}\n dir=\0`, 2, /^dir: contains a NUL character$/],
  [`${URL_LINE}\n dir=a\n\n dir=a`, 4, /^dir: given twice for this URL \(first on line 2\)$/],
  // checksum
  [`${URL_LINE}\n checksum=`, 2, /^checksum: invalid checksum "": expected ALGORITHM=HEX/],
  [`${URL_LINE}\n checksum=${hex}`, 2, /^checksum: invalid checksum .*: expected ALGORITHM=HEX/],
  [`${URL_LINE}\n checksum=sha-224=${hex}`, 2, /^checksum: unknown checksum algorithm "sha-224"/],
  [`${URL_LINE}\n checksum=sha-256=${hex.slice(1)}`, 2, /^checksum: .* expected 64 hex digits/],
  [`${URL_LINE}\n checksum=sha-256=${hex.slice(1)}g`, 2, /^checksum: .* only hex digits/],
  [
    `${URL_LINE}\n checksum=sha-256=${hex}\n checksum=SHA256=${sha256("y")}`,
    3,
    /^checksum: a second sha256 digest, different from line 2's$/,
  ],
  // header
  [`${URL_LINE}\n header=`, 2, /^header: expected "Name: value", got no ":"$/],
  [`${URL_LINE}\n header=Bad Name: x`, 2, /^header: invalid header name "Bad Name"$/],
  [`${URL_LINE}\n header=X-A: 1\r2`, 2, /^header: the value of X-A has a line break$/],
  // split and max-connection-per-server
  [`${URL_LINE}\n split=0`, 2, /^split: expected a positive whole number, got "0"$/],
  [`${URL_LINE}\n split=`, 2, /^split: expected a positive whole number, got ""$/],
  [`${URL_LINE}\n split=-1`, 2, /^split: expected a positive whole number, got "-1"$/],
  [`${URL_LINE}\n split=2.5`, 2, /^split: expected a positive whole number, got "2.5"$/],
  [`${URL_LINE}\n split=1e3`, 2, /^split: expected a positive whole number, got "1e3"$/],
  [`${URL_LINE}\n split=${MAX_CONNECTIONS + 1}`, 2, /^split: expected at most 64, got 65$/],
  [
    `${URL_LINE}\n max-connection-per-server=99999999999999999999`,
    2,
    /^max-connection-per-server: expected a positive whole number/,
  ],
  [`${URL_LINE}\n split=2\n split=2`, 3, /^split: given twice for this URL \(first on line 2\)$/],
];

test("every error names the list and line, and says what is wrong", () => {
  for (const [text, line, message, code = "PARGET_USAGE"] of ERRORS) {
    for (const [input, source] of [
      [text, "list.txt"],
      [text.replace(/\n/g, "\r\n"), "stdin"],
    ] as const) {
      assert.throws(
        () => parseInputFile(input, source),
        (error: unknown) => {
          assert.ok(error instanceof UsageError, String(error));
          const prefix = `${source}:${line}: `;
          assert.ok(error.message.startsWith(prefix), `${error.message} starts with ${prefix}`);
          assert.match(error.message.slice(prefix.length), message);
          assert.equal(error.code, code, error.message);
          assert.equal(error.exitCode, 2);
          assert.doesNotMatch(error.message, /[\r\n]/);
          return true;
        },
        JSON.stringify(input),
      );
    }
  }
});

test("a message never shows a header's value, even one written without header=", () => {
  const secret = "hf_s3cretT0ken==";
  const lists = [
    `${URL_LINE}\n  Authorization: Bearer ${secret}`,
    `${URL_LINE}\n  Authorization: Bearer x=${secret}`,
    `${URL_LINE}\n  header=Authorization Bearer ${secret}`,
    `${URL_LINE}\n  header=Authorization: Bearer ${secret}\r${secret}`,
  ];
  for (const text of lists) {
    assert.throws(
      () => parseInputFile(text, "list.txt"),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message.startsWith("list.txt:2: ") &&
        !error.message.includes("s3cret"),
      text,
    );
  }
});

test("a quoted path cannot drive the terminal: control characters are escaped", () => {
  assert.throws(
    () => parseInputFile(`${URL_LINE}\n out=/\u001b[2J\u009b31m\u202e.bin`, "list.txt"),
    (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(
        error.message,
        'list.txt:2: out: "/\\u001b[2J\\u009b31m\\u202e.bin" is absolute: ' +
          "give a path relative to the download directory",
      );
      return true;
    },
  );
});
