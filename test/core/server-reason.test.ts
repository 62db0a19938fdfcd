import { test } from "node:test";
import assert from "node:assert/strict";
import { mayExplain, serverReason } from "../../src/core/server-reason.js";

test("serverReason: the reason in the error bodies servers send", () => {
  const cases: [string, string, string | undefined][] = [
    [
      "S3 XML",
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>60</X-Amz-Expires><Expires>2026-01-01T00:01:00Z</Expires><ServerTime>2026-01-01T00:05:00Z</ServerTime><RequestId>ABC</RequestId></Error>',
      "AccessDenied: Request has expired",
    ],
    [
      "S3 XML, a signature mismatch whose canonical request must not be shown",
      "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><AWSAccessKeyId>AKIAEXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 …</StringToSign><CanonicalRequest>GET /k X-Amz-Credential=AKIA…</CanonicalRequest></Error>",
      "SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.",
    ],
    [
      "GCS XML with Details",
      "<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>Invalid argument.</Message><Details>The provided token has expired. Request signature expired at: 2026-01-01T00:15:00+00:00</Details></Error>",
      "ExpiredToken: Invalid argument. (The provided token has expired. Request signature expired at: 2026-01-01T00:15:00+00:00)",
    ],
    [
      "Azure XML, its Message followed by RequestId and Time lines",
      '\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:abc\nTime:2026-01-01T00:00:00Z</Message><AuthenticationErrorDetail>Signed expiry time [Thu, 01 Jan 2026 00:00:00 GMT] must be after signed start time [Thu, 01 Jan 2026 01:00:00 GMT]</AuthenticationErrorDetail></Error>',
      "AuthenticationFailed: Server failed to authenticate the request. (Signed expiry time [Thu, 01 Jan 2026 00:00:00 GMT] must be after signed start time [Thu, 01 Jan 2026 01:00:00 GMT])",
    ],
    [
      "XML entities",
      "<Error><Code>X</Code><Message>a &amp; b &lt;c&gt; &#65;&#x42;&#27;&#xD800;</Message></Error>",
      "X: a & b <c> AB",
    ],
    ["XML without a code or message", "<html><body>nope</body></html>", undefined],
    [
      "GCS JSON",
      '{"error":{"code":403,"message":"Anonymous caller does not have storage.objects.get access.","errors":[{"message":"…","domain":"global","reason":"forbidden"}]}}',
      "forbidden: Anonymous caller does not have storage.objects.get access.",
    ],
    [
      "Google APIs JSON with a status",
      '{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}',
      "PERMISSION_DENIED: The caller does not have permission",
    ],
    [
      "OAuth JSON",
      '{"error":"invalid_token","error_description":"The token expired"}',
      "invalid_token: The token expired",
    ],
    [
      "registry JSON",
      '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}',
      "UNAUTHORIZED: authentication required",
    ],
    [
      "problem JSON",
      '{"type":"about:blank","title":"Forbidden","status":403,"detail":"Token expired"}',
      "Forbidden: Token expired",
    ],
    [
      "code and message JSON",
      '{"code":"NoSuchKey","message":"The key does not exist"}',
      "NoSuchKey: The key does not exist",
    ],
    ["a JSON message only", '{"message":"Not Found"}', "Not Found"],
    ["JSON that says nothing", '{"ok":false}', undefined],
    ["JSON cut at the read limit", '{"message":"abc', '{"message":"abc'],
    ["plain text: its first line", "Forbidden\nmore detail\n", "Forbidden"],
    ["plain text with leading blank lines", "\n\n  denied by policy  \r\nx", "denied by policy"],
    ["empty", "", undefined],
    ["blank", " \n ", undefined],
  ];
  for (const [what, body, reason] of cases) assert.equal(serverReason(body), reason, what);
});

test("serverReason: one printable line, secrets redacted, length capped", () => {
  assert.equal(
    serverReason(
      "<Error><Code>A\u001b[31m</Code><Message>red\u202Edeppilf\ttext</Message></Error>",
    ),
    "A [31m: red deppilf text",
  );
  assert.equal(
    serverReason("go to https://u:p@h/k?X-Amz-Signature=abc&X-Amz-Date=1 instead"),
    "go to https://h/k?X-Amz-Signature=REDACTED&X-Amz-Date=1 instead",
  );
  const long = serverReason("x".repeat(5000))!;
  assert.equal([...long].length, 200);
  assert.ok(long.endsWith("…"));
});

test("mayExplain: text, XML and JSON bodies, not HTML pages or binaries", () => {
  const cases: [string | undefined, boolean][] = [
    ["application/xml", true],
    ["text/xml; charset=utf-8", true],
    ["application/json", true],
    ["application/problem+json", true],
    ["text/plain", true],
    ["Text/Plain;charset=UTF-8", true],
    ["text/html", false],
    ["application/octet-stream", false],
    ["image/png", false],
    [undefined, false],
  ];
  for (const [type, expected] of cases) assert.equal(mayExplain(type), expected, String(type));
});
