import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseChecksumList } from "../../src/core/checksum-list.js";
import { UsageError } from "../../src/errors.js";
import type { DigestAlgorithm } from "../../src/options.js";

/** File names that each test a rule of the formats: escapes, markers, the BSD form's `) = `. */
const NAMES = [
  "plain.bin",
  "with space.bin",
  "back\\slash.bin",
  "lit\\n.bin",
  "new\nline.bin",
  "carriage\rreturn.bin",
  "both\\and\n.bin",
  "ünïcødé 文件 😀.bin",
  "*star.bin",
  "**two stars.bin",
  " leading space.bin",
  "trailing space.bin ",
  "paren) = inside.bin",
  "(parens).bin",
  "end)",
  "SHA256 (not a tag) = 00.bin",
  "tab\tname.bin",
  "#not a comment.bin",
  "sub dir/deep.bin",
];

/** Each file's content differs, so a name mapped to the wrong line fails. */
const content = (name: string) => `content of ${JSON.stringify(name)}\n`;
const digest = (algorithm: string, name: string) =>
  createHash(algorithm).update(content(name)).digest("hex");

function filesOnDisk(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "parget-sums-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "sub dir"));
  for (const name of NAMES) writeFileSync(join(dir, name), content(name));
  return dir;
}

/** What a tool prints for NAMES, run in `dir` as a publisher would run it. */
function run(dir: string, command: string, args: string[], names = NAMES): string {
  return execFileSync(command, [...args, ...names], { cwd: dir, encoding: "utf8" });
}

const COREUTILS: [string, string[], DigestAlgorithm][] = [
  ["sha256sum", ["--"], "sha256"],
  ["sha256sum", ["-b", "--"], "sha256"],
  ["sha256sum", ["--tag", "--"], "sha256"],
  ["sha1sum", ["--"], "sha1"],
  ["sha1sum", ["--tag", "--"], "sha1"],
  ["sha512sum", ["-b", "--"], "sha512"],
  ["sha512sum", ["--tag", "--"], "sha512"],
  ["md5sum", ["--"], "md5"],
  ["md5sum", ["--tag", "--"], "md5"],
];

test("coreutils' own output: every awkward name maps to the digest node:crypto computes", (t) => {
  const dir = filesOnDisk(t);
  for (const [command, args, algorithm] of COREUTILS) {
    const what = `${command} ${args.join(" ")}`;
    const output = run(dir, command, args);
    // The escapes are what make newlines in names safe: check coreutils used them.
    assert.ok(output.includes("new\\nline.bin") && !output.includes("new\nline.bin"), what);
    for (const text of [output, output.replace(/\n/g, "\r\n")]) {
      const list = parseChecksumList(text, join(dir, "SUMS"));
      assert.equal(list.size, NAMES.length, what);
      for (const name of NAMES) {
        const hex = digest(algorithm, name);
        assert.deepEqual(
          list.lookup(name),
          [{ algorithm, hex, source: "SUMS" }],
          `${what}: ${name}`,
        );
      }
    }
  }
});

test("a ./ that a publisher typed is not part of the name", (t) => {
  const dir = filesOnDisk(t);
  const names = ["./plain.bin", "././sub dir/deep.bin", "./*star.bin"];
  for (const args of [["--"], ["--tag", "--"]]) {
    const list = parseChecksumList(run(dir, "sha256sum", args, names), "SHA256SUMS");
    for (const name of ["plain.bin", "sub dir/deep.bin", "*star.bin"]) {
      const hex = digest("sha256", name);
      const expected = [{ algorithm: "sha256", hex, source: "SHA256SUMS" }];
      assert.deepEqual(list.lookup(name), expected, name);
      assert.deepEqual(list.lookup(`./${name}`), expected, name);
    }
  }
});

test("one list may mix algorithms and forms; a name listed by several keeps them all", (t) => {
  const dir = filesOnDisk(t);
  const text = [
    run(dir, "sha256sum", ["--"]),
    "# the same files again, in other forms\n",
    run(dir, "md5sum", ["--tag", "--"]),
    run(dir, "sha512sum", ["-b", "--"]),
    // A repeated line agrees with itself.
    run(dir, "sha256sum", ["--tag", "--"]),
  ].join("");
  const list = parseChecksumList(text, "CHECKSUMS");
  assert.equal(list.size, NAMES.length);
  for (const name of NAMES) {
    assert.deepEqual(
      list.lookup(name),
      (["sha256", "md5", "sha512"] as const).map((algorithm) => ({
        algorithm,
        hex: digest(algorithm, name),
        source: "CHECKSUMS",
      })),
      name,
    );
  }
});

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("OpenSSL's dgst output (SHA2-256(NAME)= HEX) reads too", { skip: !hasOpenssl() }, (t) => {
  const dir = filesOnDisk(t);
  // OpenSSL does not escape names, so a line break in one cannot be read back.
  const names = NAMES.filter((name) => !name.includes("\n"));
  for (const [flag, algorithm] of [
    ["-sha256", "sha256"],
    ["-sha512", "sha512"],
    ["-sha1", "sha1"],
    ["-md5", "md5"],
  ] as const) {
    const list = parseChecksumList(run(dir, "openssl", ["dgst", flag], names), "dgst.txt");
    for (const name of names) {
      const hex = digest(algorithm, name);
      assert.deepEqual(list.lookup(name), [{ algorithm, hex, source: "dgst.txt" }], name);
    }
  }
});

const H = {
  md5: "d41d8cd98f00b204e9800998ecf8427e",
  sha1: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
  sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  sha512:
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" +
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
};
const other256 = "0".repeat(64);

test("BSD's reversed form (HEX NAME, one space) and stray white space around the parts", () => {
  const list = parseChecksumList(
    [
      `${H.sha256} reversed.bin`,
      `  ${H.md5}  indented.bin`,
      `${H.sha1}\ttabbed.bin`,
      `SHA256(tight.bin)=${H.sha256}`,
      `sha512 (lower tag.bin)  =  ${H.sha512.toUpperCase()}  `,
      `${H.sha256.toUpperCase()} *UPPER.bin`,
      // A tag made of hex digits is a GNU digest: this names the file "(x) = y".
      `${H.md5} (x) = y`,
    ].join("\n"),
    "sums",
  );
  const one = (algorithm: keyof typeof H) => [{ algorithm, hex: H[algorithm], source: "sums" }];
  assert.deepEqual(list.lookup("reversed.bin"), one("sha256"));
  assert.deepEqual(list.lookup("indented.bin"), one("md5"));
  assert.deepEqual(list.lookup("tabbed.bin"), one("sha1"));
  assert.deepEqual(list.lookup("tight.bin"), one("sha256"));
  assert.deepEqual(list.lookup("lower tag.bin"), one("sha512"));
  assert.deepEqual(list.lookup("UPPER.bin"), one("sha256"));
  assert.deepEqual(list.lookup("(x) = y"), one("md5"));
  assert.equal(list.size, 7);
});

test("lookup: the exact path first, then a bare listed name for a file in a subdirectory", () => {
  const list = parseChecksumList(
    [
      `${H.sha256}  model/config.json`,
      `${H.sha256}  README.md`,
      `${H.md5}  ./weights.bin`,
      `${H.sha1}  shards/a.bin`,
      `${H.sha1}  a.bin`,
      `${H.sha1}  back\\slash`,
      `${H.sha256}  sub/`,
    ].join("\n"),
    "SHA256SUMS",
  );
  const sha256 = [{ algorithm: "sha256", hex: H.sha256, source: "SHA256SUMS" }];
  const md5 = [{ algorithm: "md5", hex: H.md5, source: "SHA256SUMS" }];
  const sha1 = [{ algorithm: "sha1", hex: H.sha1, source: "SHA256SUMS" }];
  assert.equal(list.size, 7);
  assert.deepEqual(list.lookup("model/config.json"), sha256);
  assert.deepEqual(list.lookup("./model/config.json"), sha256);
  // A listed path with a directory stands only for that path.
  assert.equal(list.lookup("config.json"), undefined);
  assert.equal(list.lookup("other/config.json"), undefined);
  // A bare name stands for a file of that name anywhere, when it is the only candidate.
  assert.deepEqual(list.lookup("README.md"), sha256);
  assert.deepEqual(list.lookup("docs/README.md"), sha256);
  assert.deepEqual(list.lookup("a/b/weights.bin"), md5);
  // Two listed names end in a.bin: only exact paths match.
  assert.deepEqual(list.lookup("a.bin"), sha1);
  assert.deepEqual(list.lookup("shards/a.bin"), sha1);
  assert.equal(list.lookup("other/a.bin"), undefined);
  // Names are literal: a backslash is not a separator.
  assert.deepEqual(list.lookup("back\\slash"), sha1);
  assert.equal(list.lookup("back/slash"), undefined);
  assert.equal(list.lookup("slash"), undefined);
  assert.equal(list.lookup("readme.md"), undefined);
  assert.equal(list.lookup(""), undefined);
  assert.equal(list.lookup("sub"), undefined);
});

test("lookup returns fresh digests each time", () => {
  const list = parseChecksumList(`${H.sha256}  a.bin\n`, "sums");
  list.lookup("a.bin")?.pop();
  const found = list.lookup("a.bin");
  if (found?.[0]) found[0].hex = other256;
  assert.deepEqual(list.lookup("a.bin"), [{ algorithm: "sha256", hex: H.sha256, source: "sums" }]);
});

test("the list keeps its name as given; the digests carry its base name", () => {
  const list = parseChecksumList(`${H.md5}  a\n`, "/srv/releases/v1/MD5SUMS");
  assert.equal(list.source, "/srv/releases/v1/MD5SUMS");
  assert.equal(list.lookup("a")?.[0]?.source, "MD5SUMS");
  assert.equal(parseChecksumList(`${H.md5}  a\n`, "stdin").lookup("a")?.[0]?.source, "stdin");
});

/** [the list, the line at fault (0: the whole list), what the message says after the prefix]. */
const ERRORS: [string, number, RegExp][] = [
  ["", 0, /holds no checksum: expected lines like "HEX {2}NAME" or "SHA256 \(NAME\) = HEX"$/],
  ["# only a comment\n\n  \n", 0, /holds no checksum/],
  ["hello world", 1, /^expected "HEX {2}NAME" or "SHA256 \(NAME\) = HEX": "hello world"$/],
  [`\n${H.sha256}`, 2, /^expected "HEX {2}NAME"/],
  [`${H.sha256}plain.bin`, 1, /^expected "HEX {2}NAME"/],
  [`${H.sha256.slice(1)}x  a.bin`, 1, /^expected "HEX {2}NAME"/],
  [`${H.sha256}  `, 1, /^no file name: /],
  [`${H.sha256}  ./`, 1, /^no file name: /],
  [`SHA256 () = ${H.sha256}`, 1, /^no file name: /],
  [
    `${"a".repeat(56)}  a.bin`,
    1,
    /^sha224 is not supported \(parget checks md5, sha1, sha256 and sha512\): /,
  ],
  [`${"a".repeat(96)}  a.bin`, 1, /^sha384 is not supported/],
  [
    `${"a".repeat(8)}  a.bin`,
    1,
    /^a digest of 8 hex digits is none of md5, sha1, sha256 and sha512: /,
  ],
  [`${"a".repeat(65)}  a.bin`, 1, /^a digest of 65 hex digits/],
  [`SHA224 (a.bin) = ${"a".repeat(56)}`, 1, /^SHA224 is not supported \(parget checks md5, /],
  [`SHA384 (a.bin) = ${"a".repeat(96)}`, 1, /^SHA384 is not supported/],
  [`BLAKE2b (a.bin) = ${H.sha512}`, 1, /^BLAKE2b is not supported/],
  [`SHA3-256 (a.bin) = ${H.sha256}`, 1, /^SHA3-256 is not supported/],
  [`SHA256 (a.bin) = ${H.sha1}`, 1, /^expected 64 hex digits for sha256, got 40: /],
  [`MD5 (a.bin) = `, 1, /^expected 32 hex digits for md5, got 0: /],
  [`SHA256 (a.bin) = ${H.sha256.slice(1)}g`, 1, /^the sha256 digest is not hex: /],
  [`SHA256 (a.bin) ${H.sha256}`, 1, /^expected "HEX {2}NAME"/],
  [`\\${H.md5}  a\\tb`, 1, /^the file name has a "\\" not followed by \\, n or r: /],
  [`\\${H.md5}  ab\\`, 1, /^the file name has a "\\" not followed by \\, n or r: /],
  [`${H.md5}  a\0b`, 1, /^the file name has a NUL character: "[^"]*\\u0000b"$/],
  [
    `${H.sha256}  a.bin\n# again\n${H.sha256.toUpperCase()}  a.bin\n${other256}  ./a.bin`,
    4,
    /^"a.bin" has a second sha256 digest, different from line 1's$/,
  ],
  [
    `SHA1 (x) = ${H.sha1}\n${"1".repeat(40)} *x`,
    2,
    /^"x" has a second sha1 digest, different from line 1's$/,
  ],
];

test("every error names the list and line, and quotes the line it cannot read", () => {
  for (const [text, line, message] of ERRORS) {
    for (const [input, source] of [
      [text, "SHA256SUMS"],
      [text.replace(/\n/g, "\r\n"), "stdin"],
    ] as const) {
      assert.throws(
        () => parseChecksumList(input, source),
        (error: unknown) => {
          assert.ok(error instanceof UsageError, String(error));
          const prefix = line === 0 ? `${source} ` : `${source}:${line}: `;
          assert.ok(error.message.startsWith(prefix), `${error.message} starts with ${prefix}`);
          assert.match(error.message.slice(prefix.length), message);
          assert.equal(error.code, "PARGET_USAGE");
          assert.doesNotMatch(error.message, /[\r\n]/);
          return true;
        },
        JSON.stringify(input),
      );
    }
  }
});

test("a quoted line is cut short and cannot drive the terminal", () => {
  const line = `\u001b[2J\u009b31m\u202e${"x".repeat(100)}`;
  assert.throws(
    () => parseChecksumList(line, "sums"),
    (error: unknown) => {
      assert.ok(error instanceof UsageError);
      const quoted = /: (".*")$/.exec(error.message)?.[1] ?? "";
      assert.equal(quoted, `"\\u001b[2J\\u009b31m\\u202e${"x".repeat(50)}…"`);
      return true;
    },
  );
});
