/** A full collection, for tests that check what is freed. */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gcFn: (() => void) | undefined;
/** global.gc when node runs with --expose-gc; otherwise enabled at runtime through V8 flags. False when neither works. */
export function gc(): boolean {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === "function") gcFn = g;
    else {
      try {
        setFlagsFromString("--expose-gc");
        gcFn = runInNewContext("gc") as () => void;
      } catch {
        gcFn = undefined;
      }
    }
  }
  if (!gcFn) return false;
  gcFn();
  gcFn();
  return true;
}
