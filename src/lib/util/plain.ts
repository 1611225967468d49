/**
 * Small checks of values that come from flows: plain objects of any realm, and number settings.
 */

/**
 * An object literal (or JSON.parse result), from this realm or another: a function node's code runs in a vm context
 * of its own, whose objects have a different Object.prototype. Arrays, Buffers, Dates, Maps and class instances are not.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Object.prototype.toString.call(v) !== "[object Object]") return false;
  const proto = Object.getPrototypeOf(v);
  // null, or some realm's Object.prototype (itself the end of the chain)
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** A number setting from a node's dialog (a number or its text): the value when it is at least `min`, else `fallback`. */
export function numberSetting(value: unknown, fallback: number, min: number): number {
  const n = typeof value === "number" ? value : Number.parseFloat(String(value ?? ""));
  return Number.isFinite(n) && n >= min ? n : fallback;
}
