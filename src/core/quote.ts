/** Quoting the user's own text in a message. */

const MAX_QUOTED = 60;

/**
 * `text` in double quotes, cut to about 60 characters, with every control and invisible
 * formatting character escaped: a file's line may hold an escape sequence that would drive the
 * terminal showing the message.
 */
export function quote(text: string): string {
  const chars = [...text];
  const cut = chars.length > MAX_QUOTED ? `${chars.slice(0, MAX_QUOTED - 1).join("")}…` : text;
  // JSON escapes C0 controls, quotes, backslashes and lone surrogates; the rest are done here.
  return JSON.stringify(cut).replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
