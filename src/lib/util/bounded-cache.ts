/**
 * Things built once per name (a model's validation schema, a model's route) and kept, but at most
 * `max` of them: model names come from messages, so a flow could otherwise grow the cache forever.
 * Beyond `max` the oldest entry is forgotten (and built again when asked for).
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string, build: () => V): V {
    let value = this.entries.get(key);
    if (value === undefined) {
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
      value = build();
      this.entries.set(key, value);
    }
    return value;
  }
}
