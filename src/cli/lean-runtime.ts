/**
 * V8 settings for the CLI, imported before anything else so that they hold while the bundle
 * loads: a young generation that grew while modules were parsed would never shrink again.
 *
 * Memory, not speed: every socket read is a short-lived 64 KiB buffer, and letting V8's young
 * generation grow (its default) only delays collecting them (~15 MiB of RSS at 16 connections).
 * Optimising undici's WebAssembly HTTP parser costs ~35 MiB more; its baseline code keeps up.
 * main.ts hands its transport a hook that collects young garbage every few MiB (cli/reclaim.ts).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--semi-space-growth-factor=1");
setFlagsFromString("--liftoff-only");
setFlagsFromString("--expose-gc");
(globalThis as { gc?: unknown }).gc = runInNewContext("gc");
