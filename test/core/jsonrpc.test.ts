import assert from "node:assert/strict";
import { test } from "node:test";
import { parseBody, readMulticall, readRequest, splitToken } from "../../src/core/jsonrpc.js";

test("requests: valid shapes, aria2's leniency about the version, and invalid ones", () => {
  assert.deepEqual(readRequest({ jsonrpc: "2.0", id: 1, method: "m", params: [1] }), {
    ok: true,
    call: { id: 1, method: "m", params: [1] },
  });
  // The npm aria2 client sends "json-rpc" instead; aria2 does not check.
  assert.deepEqual(readRequest({ "json-rpc": "2.0", id: "x", method: "m" }), {
    ok: true,
    call: { id: "x", method: "m", params: [] },
  });
  assert.deepEqual(readRequest({ method: "m" }), {
    ok: true,
    call: { id: undefined, method: "m", params: [] },
  });
  const invalid: [unknown, number][] = [
    [null, -32600],
    [[], -32600],
    [{ jsonrpc: "1.0", id: 1, method: "m" }, -32600],
    [{ id: 1 }, -32600],
    [{ id: {}, method: "m" }, -32600],
    [{ id: 1, method: "m", params: { a: 1 } }, -32602],
  ];
  for (const [value, code] of invalid) {
    const item = readRequest(value);
    assert.equal(item.ok, false, JSON.stringify(value));
    if (!item.ok) assert.equal("error" in item.response && item.response.error.code, code);
  }
});

test("bodies: one request, a batch, not JSON, an empty batch", () => {
  assert.equal(parseBody('{"id":1,"method":"m"}').kind, "single");
  const batch = parseBody('[{"id":1,"method":"m"}, 5]');
  assert.equal(batch.kind, "batch");
  if (batch.kind === "batch")
    assert.deepEqual(
      batch.items.map((i) => i.ok),
      [true, false],
    );
  const broken = parseBody("{");
  assert.deepEqual(broken, {
    kind: "invalid",
    response: { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error." } },
  });
  const empty = parseBody("[]");
  assert.equal(
    empty.kind === "invalid" && "error" in empty.response && empty.response.error.code,
    -32600,
  );
});

test("token: comes off the first parameter only", () => {
  assert.deepEqual(splitToken(["token:abc", 1]), { token: "abc", rest: [1] });
  assert.deepEqual(splitToken([1, "token:abc"]), { token: undefined, rest: [1, "token:abc"] });
  assert.deepEqual(splitToken([]), { token: undefined, rest: [] });
  assert.deepEqual(splitToken(["token:"]), { token: "", rest: [] });
});

test("multicall: a list of { methodName, params }, never nested", () => {
  assert.deepEqual(readMulticall([[{ methodName: "a", params: [1] }, { methodName: "b" }]]), [
    { method: "a", params: [1] },
    { method: "b", params: [] },
  ]);
  for (const bad of [[], [{}], [[{ methodName: 1 }]], [[{ methodName: "system.multicall" }]]]) {
    const read = readMulticall(bad);
    assert.ok(!Array.isArray(read) && read.code === -32602, JSON.stringify(bad));
  }
});
