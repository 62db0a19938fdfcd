import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import fc from "fast-check";
import {
  MAX_NAME_BYTES,
  chooseFilename,
  resolveInside,
  sanitizeFilename,
} from "../../src/core/filename.js";
import { FileSystemError, UsageError } from "../../src/errors.js";

const utf8Bytes = (text: string) => Buffer.byteLength(text, "utf8");
// A lone surrogate does not survive a trip through UTF-8.
const wellFormed = (text: string) => Buffer.from(text, "utf8").toString("utf8") === text;

test("sanitizeFilename", () => {
  const cases: [string, string | undefined][] = [
    ["report.pdf", "report.pdf"],
    ["my file (1).tar.gz", "my file (1).tar.gz"],
    [".bashrc", ".bashrc"],
    ["..foo", "..foo"],
    ["€ rates.txt", "€ rates.txt"],
    ["日本語.txt", "日本語.txt"],
    ["../../etc/passwd", "passwd"],
    ["..\\..\\boot.ini", "boot.ini"],
    ["/abs/path", "path"],
    ["C:\\Windows\\system32\\cmd.exe", "cmd.exe"],
    ["C:evil.txt", "Cevil.txt"],
    ["dir/", undefined],
    ["../x", "x"],
    ["..", undefined],
    [".", undefined],
    ["...", undefined],
    ["", undefined],
    ["   ", undefined],
    // A Unicode space before a trailing dot goes too (found by the property test below).
    ["0\u3000.", "0"],
    ["a .\u00a0. ", "a"],
    ["/", undefined],
    ["\\", undefined],
    ["a/..", undefined],
    ["a\u0000b.txt", "ab.txt"],
    ["\u0000", undefined],
    ["evil\u001b[31m.txt", "evil[31m.txt"],
    ["tab\there\n.txt", "tabhere.txt"],
    ["del\u007f.txt", "del.txt"],
    ["csi\u009b2J.txt", "csi2J.txt"],
    ['a<b>c:d"e|f?g*h.txt', "abcdefgh.txt"],
    ["?*", undefined],
    ["  padded.txt  ", "padded.txt"],
    ["trailing.txt...", "trailing.txt"],
    ["trailing. . .", "trailing"],
    ["\u00a0nbsp.txt\u00a0", "nbsp.txt"],
    ["CON", "_CON"],
    ["con", "_con"],
    ["CON.txt", "_CON.txt"],
    ["con.tar.gz", "_con.tar.gz"],
    ["CON .txt", "_CON .txt"],
    ["PRN", "_PRN"],
    ["aux.h", "_aux.h"],
    ["NUL.", "_NUL"],
    ["COM1", "_COM1"],
    ["com9.log", "_com9.log"],
    ["LPT1.txt", "_LPT1.txt"],
    ["COM¹", "_COM¹"],
    ["COM0", "COM0"],
    ["COM10", "COM10"],
    ["CONSOLE.txt", "CONSOLE.txt"],
    ["icon.png", "icon.png"],
    ["x.CON", "x.CON"],
    ["\ud800lone.txt", "lone.txt"],
    ["pair\ud83d\ude00.txt", "pair\ud83d\ude00.txt"],
  ];
  for (const [name, expected] of cases) {
    assert.equal(sanitizeFilename(name), expected, JSON.stringify(name));
  }
});

test("sanitizeFilename caps names at MAX_NAME_BYTES UTF-8 bytes, keeping the extension", () => {
  const ascii = sanitizeFilename(`${"a".repeat(300)}.txt`);
  assert.equal(ascii, `${"a".repeat(MAX_NAME_BYTES - 4)}.txt`);

  // "é" is 2 bytes: the 196 bytes of stem room hold 98 of them.
  const twoByte = sanitizeFilename(`${"é".repeat(150)}.txt`);
  assert.equal(twoByte, `${"é".repeat(98)}.txt`);

  // "€" is 3 bytes, the emoji 4 (a surrogate pair in UTF-16).
  for (const char of ["€", "\ud83d\ude00"]) {
    const result = sanitizeFilename(`${char.repeat(100)}.tar.gz`);
    assert.ok(result !== undefined);
    assert.ok(result.endsWith(".gz"), result);
    assert.ok(utf8Bytes(result) <= MAX_NAME_BYTES);
    assert.ok(utf8Bytes(result) > MAX_NAME_BYTES - utf8Bytes(char));
    assert.ok(wellFormed(result));
  }

  const noExtension = sanitizeFilename("ü".repeat(200));
  assert.equal(noExtension, "ü".repeat(MAX_NAME_BYTES / 2));

  // An absurd "extension" is not kept at the expense of the whole name.
  const hugeExtension = sanitizeFilename(`name.${"x".repeat(300)}`);
  assert.equal(hugeExtension, `name.${"x".repeat(MAX_NAME_BYTES - 5)}`);

  // Truncation must not leave a trailing dot or space.
  const endsBadly = sanitizeFilename(`${"a".repeat(MAX_NAME_BYTES - 1)} ${"b".repeat(10)}`);
  assert.equal(endsBadly, "a".repeat(MAX_NAME_BYTES - 1));

  assert.equal(sanitizeFilename("a".repeat(MAX_NAME_BYTES)), "a".repeat(MAX_NAME_BYTES));
  assert.equal(sanitizeFilename("CON" + ".x".repeat(200))?.startsWith("_CON"), true);
});

test("sanitizeFilename output is always one safe, stable base name", () => {
  const nasty = fc.constantFrom(
    "/",
    "\\",
    "\u0000",
    ".",
    "..",
    " ",
    "\u001f",
    "\u007f",
    "CON",
    ":",
    "\ud800",
  );
  const names = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.string({ unit: "binary", maxLength: 400 }),
    fc.array(fc.oneof(nasty, fc.string({ unit: "grapheme" }))).map((parts) => parts.join("")),
  );
  fc.assert(
    fc.property(names, (name) => {
      const result = sanitizeFilename(name);
      if (result === undefined) return;
      // eslint-disable-next-line no-control-regex
      assert.ok(!/[/\\\u0000-\u001f\u007f<>:"|?*]/.test(result), JSON.stringify(result));
      assert.notEqual(result, ".");
      assert.notEqual(result, "..");
      assert.notEqual(result, "");
      assert.ok(utf8Bytes(result) <= MAX_NAME_BYTES);
      assert.equal(result, result.trim());
      assert.ok(!/[. ]$/.test(result));
      assert.ok(wellFormed(result), JSON.stringify(result));
      assert.ok(!/^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i.test(result));
      assert.equal(sanitizeFilename(result), result, "sanitizing is idempotent");
      assert.equal(path.basename(result), result);
    }),
    { numRuns: 2000 },
  );
});

test("chooseFilename picks -o, then Content-Disposition, then the URL, then 'download'", () => {
  const url = (href: string) => new URL(href);
  const cases: [Parameters<typeof chooseFilename>[0], string][] = [
    [
      {
        output: "mine.iso",
        contentDisposition: 'attachment; filename="theirs.iso"',
        url: url("https://h/a/file.iso"),
      },
      "mine.iso",
    ],
    [
      {
        output: undefined,
        contentDisposition: 'attachment; filename="theirs.iso"',
        url: url("https://h/file.iso"),
      },
      "theirs.iso",
    ],
    [
      {
        contentDisposition: "attachment; filename*=UTF-8''%e2%82%ac%20rates.txt",
        url: url("https://h/x"),
      },
      "€ rates.txt",
    ],
    [
      { contentDisposition: 'attachment; filename="../../etc/passwd"', url: url("https://h/x") },
      "passwd",
    ],
    [
      {
        contentDisposition: 'attachment; filename="..\\\\..\\\\boot.ini"',
        url: url("https://h/x"),
      },
      "boot.ini",
    ],
    [
      { contentDisposition: "attachment; filename*=UTF-8''%2e%2e%2fx", url: url("https://h/y") },
      "x",
    ],
    [{ contentDisposition: "attachment; filename*=UTF-8''%2e%2e", url: url("https://h/y") }, "y"],
    [{ contentDisposition: 'attachment; filename="CON.txt"', url: url("https://h/y") }, "_CON.txt"],
    [{ contentDisposition: "attachment", url: url("https://h/dir/file.tar.gz") }, "file.tar.gz"],
    [
      { contentDisposition: 'attachment; filename=".."', url: url("https://h/dir/file.tar.gz") },
      "file.tar.gz",
    ],
    [{ url: url("https://h/dir/file.tar.gz?x=1#frag") }, "file.tar.gz"],
    [{ url: url("https://h/dir/sub/") }, "sub"],
    [{ url: url("https://h/my%20file.txt") }, "my file.txt"],
    [{ url: url("https://h/caf%C3%A9.txt") }, "café.txt"],
    [{ url: url("https://h/a/%2e%2e%2f%2e%2e%2fetc%2fpasswd") }, "passwd"],
    [{ url: url("https://h/a/..%5C..%5Cboot.ini") }, "boot.ini"],
    [{ url: url("https://h/bad%zzname") }, "bad%zzname"],
    [{ url: url("https://h/a%00b") }, "ab"],
    [{ url: url("https://h/") }, "download"],
    [{ url: url("https://h") }, "download"],
    [{ url: url("https://h/%2e%2e") }, "download"],
    [{ url: url("https://h/%00") }, "download"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(
      chooseFilename(input),
      expected,
      JSON.stringify({ ...input, url: input.url.href }),
    );
  }
});

test("chooseFilename rejects an -o that is a path or not a safe name", () => {
  const url = new URL("https://h/file");
  const cases: [string, RegExp][] = [
    ["dir/file", /path separator.*-d/],
    ["../file", /path separator.*-d/],
    ["/abs/file", /path separator.*-d/],
    ["dir\\file", /path separator.*-d/],
    ["", /not a safe file name.*-d/],
    [".", /not a safe file name/],
    ["..", /not a safe file name/],
    ["CON", /not a safe file name/],
    ["a\u0000b", /not a safe file name/],
    ["a:b", /not a safe file name/],
    ["name.", /not a safe file name/],
    [" name", /not a safe file name/],
    ["x".repeat(256), /not a safe file name/],
  ];
  for (const [output, message] of cases) {
    assert.throws(
      () => chooseFilename({ output, url }),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      JSON.stringify(output),
    );
  }
});

test("resolveInside", () => {
  const dir = path.resolve("/srv/downloads");
  assert.equal(resolveInside(dir, "file.iso"), path.join(dir, "file.iso"));
  assert.equal(resolveInside("/srv/downloads/", "..foo"), path.join(dir, "..foo"));
  assert.equal(resolveInside("relative/dir", "f"), path.resolve("relative/dir", "f"));
  assert.equal(resolveInside("/", "f"), path.resolve("/f"));
  for (const name of [
    "",
    ".",
    "..",
    "../x",
    "../../etc/passwd",
    "/etc/passwd",
    "a/../../x",
    "../downloads2/x",
  ]) {
    assert.throws(() => resolveInside(dir, name), FileSystemError, JSON.stringify(name));
  }
});
