/** `--checksums FILE|URL`: the list is read from disk, or fetched when it is an http(s) URL. */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import {
  UsageError,
  fetchText,
  parseChecksumList,
  type ChecksumList,
  type FetchTextOptions,
} from "../index.js";
import { osReason } from "./flags.js";

export async function loadChecksumList(
  where: string,
  options: FetchTextOptions,
): Promise<ChecksumList> {
  if (/^https?:\/\//i.test(where)) {
    const text = await fetchText(where, options);
    return parseChecksumList(text, basename(new URL(where).pathname) || "checksum list");
  }
  let text: string;
  try {
    text = await readFile(where, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read checksum list ${where}: ${osReason(error)}`);
  }
  return parseChecksumList(text, where);
}
